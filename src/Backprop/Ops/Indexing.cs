namespace Backprop;

// Gathering and scattering by Int64 index tensors; Gather and ScatterAdd are each other's gradient. The ops of
// PyTorch's indexing (masks, index_add, scatter, index_put, take_along_dim) are compositions of these with Where,
// so they run on every backend and need no rule of their own; where an output's size depends on the values (a
// mask's count), the positions are read to the host first, as PyTorch does.
public sealed partial class Tensor
{
    private static void CheckIndex(string op, Tensor x, int dim, Tensor index)
    {
        if (index.DType != DType.Int64)
            throw new ArgumentException($"{op}: the index must be Int64, got {index.DType} with " +
                $"shape {Shapes.Format(index.shape)}");
        if (index.Backend.FindOutOfRange(index, x.shape.Length == 0 ? 1 : x.shape[dim]) is { } bad)
            throw new ArgumentOutOfRangeException(nameof(index), $"{op}: index {bad} is out of range for dim {dim} " +
                $"with size {x.shape[dim]} (shape {Shapes.Format(x.shape)})");
    }

    private static void CheckGatherShapes(string op, Tensor x, int dim, Tensor index, string other)
    {
        bool fits = index.shape.Length == x.shape.Length;
        for (int i = 0; fits && i < x.shape.Length; i++) fits = i == dim || index.shape[i] <= x.shape[i];
        if (!fits)
            throw new ArgumentException($"{op}: index shape {Shapes.Format(index.shape)} does not fit {other} " +
                $"shape {Shapes.Format(x.shape)} along dims other than {dim}");
    }

    /// <summary>out[i][j][k] = x[i][index[i][j][k]][k] for dim 1 (likewise for other dims); index has x's
    /// rank.</summary>
    public static Tensor Gather(Tensor x, int dim, Tensor index)
    {
        int d = Shapes.NormalizeDim("Gather", dim, x.shape.Length, x.shape);
        CheckGatherShapes("Gather", x, d, index, "input");
        CheckIndex("Gather", x, d, index);
        var y = Empty(index.shape, x.DType, x.Device);
        x.Backend.Gather(x, d, index, y);
        var inputShape = x.shape;
        return Op.Record("Gather", y, x, g => ScatterAdd(Zeros(inputShape, g.DType, device: g.Device), d, index, g),
            saved: [index]);
    }

    /// <summary>
    /// A copy of x with src[i][j][k] added at x[i][index[i][j][k]][k] for dim 1; repeated indices add up.
    /// src has the index's shape.
    /// </summary>
    public static Tensor ScatterAdd(Tensor x, int dim, Tensor index, Tensor src)
    {
        Op.RequireSame("ScatterAdd", x, src);
        if (!Shapes.Equal(src.shape, index.shape))
            throw new ArgumentException($"ScatterAdd: src shape {Shapes.Format(src.shape)} differs from index " +
                $"shape {Shapes.Format(index.shape)}");
        int d = Shapes.NormalizeDim("ScatterAdd", dim, x.shape.Length, x.shape);
        CheckGatherShapes("ScatterAdd", x, d, index, "input");
        CheckIndex("ScatterAdd", x, d, index);
        var y = Empty(x.shape, x.DType, x.Device);
        x.Backend.Copy(x, y);
        x.Backend.ScatterAdd(y, d, index, src);
        return Op.Record("ScatterAdd", y, [x, src], g => [g, Gather(g, d, index)], saved: [index]);
    }

    /// <summary>The entries of x at the Int64 vector <paramref name="index"/> along <paramref name="dim"/>.</summary>
    public static Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        int d = Shapes.NormalizeDim("IndexSelect", dim, x.shape.Length, x.shape);
        if (index.shape.Length != 1)
            throw new ArgumentException($"IndexSelect: the index must be a vector, got " +
                $"shape {Shapes.Format(index.shape)}");
        CheckIndex("IndexSelect", x, d, index);
        var along = new int[x.shape.Length];
        Array.Fill(along, 1);
        along[d] = index.shape[0];
        var outShape = (int[])x.shape.Clone();
        outShape[d] = index.shape[0];
        return Gather(x, d, index.Reshape(along).Expand(outShape));
    }

    /// <summary>Rows of <paramref name="weight"/> [num, dim] picked by the Int64 <paramref name="indices"/> of any
    /// shape.</summary>
    public static Tensor Embedding(Tensor weight, Tensor indices)
    {
        if (weight.shape.Length != 2)
            throw new ArgumentException($"Embedding: the weight must be a matrix [num, dim], got " +
                $"shape {Shapes.Format(weight.shape)}");
        return IndexSelect(weight, 0, indices.Reshape(-1)).Reshape([.. indices.shape, weight.shape[1]]);
    }

    /// <summary>x with <paramref name="value"/> where the Bool <paramref name="mask"/> (broadcast to x) is
    /// true.</summary>
    public static Tensor MaskedFill(Tensor x, Tensor mask, double value) =>
        MaskedFill(x, mask, Op.Scalar(value, x));

    /// <summary>x with the 0-dim <paramref name="value"/> where the mask is true; gradients reach both.</summary>
    public static Tensor MaskedFill(Tensor x, Tensor mask, Tensor value)
    {
        RequireMask("MaskedFill", mask);
        if (value.NDim != 0)
            throw new ArgumentException($"MaskedFill: the value must be 0-dim, got {Op.Describe(value)}");
        if (!Shapes.Equal(Shapes.Broadcast("MaskedFill", x.shape, mask.shape), x.shape))
            throw new ArgumentException(
                $"MaskedFill: the mask {Op.Describe(mask)} does not broadcast to the input {Op.Describe(x)}");
        return Where(mask, value.To(x.DType), x);
    }

    /// <summary>The elements of x where the mask is true (both broadcast together), as a vector.</summary>
    public static Tensor MaskedSelect(Tensor x, Tensor mask)
    {
        RequireMask("MaskedSelect", mask);
        var shape = Shapes.Broadcast("MaskedSelect", x.shape, mask.shape);
        var flat = x.Expand(shape).Reshape(-1);
        return flat.IndexSelect(0, Positions(mask.Expand(shape), x.Device));
    }

    /// <summary>The indices of the nonzero (true) elements, one row per element: Int64 [count, x.NDim].</summary>
    public static Tensor Nonzero(Tensor x)
    {
        var truth = (x.DType == DType.Bool ? x : x.Ne(0)).ToArray<bool>();
        var strides = Shapes.ContiguousStrides(x.shape);
        var rows = new List<long>();
        int count = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            if (!truth[i]) continue;
            count++;
            for (int d = 0, rest = i; d < x.NDim; rest %= strides[d], d++) rows.Add(rest / strides[d]);
        }
        return FromArray(rows.ToArray(), [count, x.NDim]).To(x.Device);
    }

    /// <summary>
    /// x with the slices of <paramref name="source"/> along <paramref name="dim"/> added at the positions the Int64
    /// vector <paramref name="index"/> names (repeats add up), each scaled by <paramref name="alpha"/>.
    /// </summary>
    public static Tensor IndexAdd(Tensor x, int dim, Tensor index, Tensor source, double alpha = 1)
    {
        int d = Shapes.NormalizeDim("IndexAdd", dim, x.NDim, x.shape);
        if (index.NDim != 1 || source.NDim != x.NDim || source.shape[d] != index.shape[0])
            throw new ArgumentException($"IndexAdd: the index {Op.Describe(index)} must be a vector as long as dim " +
                $"{dim} of the source {Op.Describe(source)}, which has the input's rank ({Op.Describe(x)})");
        return ScatterAdd(x, d, AlongDim(index, d, source.shape), alpha == 1 ? source : source * alpha);
    }

    /// <summary>
    /// x with src[i][j][k] written at x[i][index[i][j][k]][k] for dim 1 (likewise for other dims); src may be
    /// larger than the index, whose shape picks the part written. Where the index repeats a position PyTorch leaves
    /// the winner unspecified; here the values add.
    /// </summary>
    public static Tensor Scatter(Tensor x, int dim, Tensor index, Tensor src)
    {
        int d = Shapes.NormalizeDim("Scatter", dim, x.NDim, x.shape);
        var part = PartLike(src, index, "Scatter");
        return Where(Hit(x, d, index), ScatterAdd(ZerosLike(x), d, index, part.To(x.DType)), x);
    }

    /// <summary>x with <paramref name="value"/> written at the positions <paramref name="index"/> names along
    /// dim.</summary>
    public static Tensor Scatter(Tensor x, int dim, Tensor index, double value)
    {
        int d = Shapes.NormalizeDim("Scatter", dim, x.NDim, x.shape);
        return Where(Hit(x, d, index), Op.Scalar(value, x), x);
    }

    /// <summary>
    /// x with the values of src reduced into the positions <paramref name="index"/> names along dim, as
    /// torch.scatter_reduce: <paramref name="reduce"/> is "sum", "amax" or "amin"; with
    /// <paramref name="includeSelf"/> x's own value takes part, else a position that receives values loses it.
    /// The gradient of amax and amin is shared evenly among the values that tie for the result, as in PyTorch.
    /// </summary>
    public static Tensor ScatterReduce(Tensor x, int dim, Tensor index, Tensor src, string reduce,
        bool includeSelf = true)
    {
        int d = Shapes.NormalizeDim("ScatterReduce", dim, x.NDim, x.shape);
        var part = PartLike(src, index, "ScatterReduce");
        Op.RequireSame("ScatterReduce", x, part);
        CheckGatherShapes("ScatterReduce", x, d, index, "input");
        CheckIndex("ScatterReduce", x, d, index);
        switch (reduce)
        {
            case "sum":
                return includeSelf ? ScatterAdd(x, d, index, part)
                    : Where(Hit(x, d, index), ScatterAdd(ZerosLike(x), d, index, part), x);
            case "amax" or "amin":
                return ScatterExtreme(x, d, index, part, reduce == "amax", includeSelf);
            default:
                throw new ArgumentException(
                    $"ScatterReduce: reduce must be \"sum\", \"amax\" or \"amin\", got \"{reduce}\"");
        }
    }

    // The extreme per position: the host groups the source elements by the flat position they go to, a padded
    // [positions, most per position] table gathers them (the padding is −∞ or +∞), and Amax or Amin reduces it.
    private static Tensor ScatterExtreme(Tensor x, int d, Tensor index, Tensor src, bool max, bool includeSelf)
    {
        var targets = index.ToArray<long>();
        var indexStrides = Shapes.ContiguousStrides(index.shape);
        var xStrides = Shapes.ContiguousStrides(x.shape);
        var srcStrides = Shapes.ContiguousStrides(src.shape);
        var groups = new List<int>[x.Numel];
        for (int i = 0; i < targets.Length; i++)
        {
            int to = 0, from = 0;
            for (int k = 0, rest = i; k < index.NDim; rest %= indexStrides[k], k++)
            {
                int coordinate = rest / indexStrides[k];
                to += (k == d ? (int)targets[i] : coordinate) * xStrides[k];
                from += coordinate * srcStrides[k];
            }
            (groups[to] ??= []).Add(from);
        }
        int widest = Math.Max(1, groups.Max(g => g?.Count ?? 0));
        var table = new long[x.Numel * widest];
        var filled = new bool[x.Numel * widest];
        for (int p = 0; p < groups.Length; p++)
            for (int j = 0; j < (groups[p]?.Count ?? 0); j++)
            {
                table[p * widest + j] = groups[p]![j];
                filled[p * widest + j] = true;
            }
        var gathered = src.Reshape(-1).IndexSelect(0, FromArray(table).To(x.Device)).Reshape(x.Numel, widest);
        var padding = Op.Scalar(max ? double.NegativeInfinity : double.PositiveInfinity, x);
        var values = Where(FromArray(filled, [x.Numel, widest]).To(x.Device), gathered, padding);
        var own = x.Reshape(x.Numel, 1);
        if (includeSelf) values = Cat([own, values], 1);
        var reduced = (max ? values.Amax([1]) : values.Amin([1])).Reshape(x.shape);
        if (includeSelf) return reduced;
        var received = FromArray(Array.ConvertAll(groups, g => g is not null), x.shape).To(x.Device);
        return Where(received, reduced, x);
    }

    /// <summary>
    /// x with the rows (dim 0) that the Int64 vector <paramref name="index"/> names set to
    /// <paramref name="values"/> (broadcast to [count, rest...]); with <paramref name="accumulate"/> they are
    /// added instead, repeats adding up. Without it, a repeated index with values that differ is refused (PyTorch
    /// leaves the winner unspecified).
    /// </summary>
    public static Tensor IndexPut(Tensor x, Tensor index, Tensor values, bool accumulate = false)
    {
        if (index.DType == DType.Bool) return MaskPut(x, index, values, accumulate);
        if (index.DType != DType.Int64 || index.NDim != 1 || x.NDim == 0)
            throw new ArgumentException($"IndexPut: the index must be an Int64 vector or a Bool mask, got " +
                $"{Op.Describe(index)} for the input {Op.Describe(x)}");
        CheckIndex("IndexPut", x, 0, index);
        var rows = Array.ConvertAll(index.ToArray<long>(), r => r < 0 ? r + x.shape[0] : r);
        int[] rowShape = [rows.Length, .. x.shape[1..]];
        var placed = values.To(x.DType).Expand(rowShape);
        var rowIndex = FromArray(rows).To(x.Device);
        if (accumulate) return IndexAdd(x, 0, rowIndex, placed.Contiguous());
        if (rows.Distinct().Count() != rows.Length && values.Numel != 1)
            throw new ArgumentException($"IndexPut: the index {Op.Describe(index)} repeats a row, and which of its " +
                "values would win is unspecified; pass unique indices or accumulate: true");
        return PutRows(x, x.shape[0], rows, rowIndex, placed);
    }

    // a mask over x's leading dims picks rows of x flattened to [positions, rest...]
    private static Tensor MaskPut(Tensor x, Tensor mask, Tensor values, bool accumulate)
    {
        if (mask.NDim > x.NDim || !Shapes.Equal(mask.shape, x.shape[..mask.NDim]))
            throw new ArgumentException($"IndexPut: the mask {Op.Describe(mask)} must match the leading dims of " +
                $"the input {Op.Describe(x)}");
        var truth = mask.ToArray<bool>();
        var rows = Enumerable.Range(0, truth.Length).Where(i => truth[i]).Select(i => (long)i).ToArray();
        int[] flatShape = [truth.Length, .. x.shape[mask.NDim..]];
        var flat = x.Reshape(flatShape);
        var placed = values.To(x.DType).Expand([rows.Length, .. flatShape[1..]]);
        var rowIndex = FromArray(rows).To(x.Device);
        var result = accumulate ? IndexAdd(flat, 0, rowIndex, placed.Contiguous())
            : PutRows(flat, truth.Length, rows, rowIndex, placed);
        return result.Reshape(x.shape);
    }

    // x with the given distinct rows replaced by placed's rows: placed scattered into zeros, chosen by a row mask
    private static Tensor PutRows(Tensor x, int rowCount, long[] rows, Tensor rowIndex, Tensor placed)
    {
        var hit = new bool[rowCount];
        foreach (var r in rows) hit[r] = true;
        var rowMask = FromArray(hit, [rowCount, .. Enumerable.Repeat(1, x.NDim - 1)]).To(x.Device);
        var scattered = placed.Numel == 0 ? ZerosLike(x) : IndexAdd(ZerosLike(x), 0, rowIndex, placed.Contiguous());
        return Where(rowMask, scattered, x);
    }

    /// <summary>
    /// Writes <paramref name="values"/> into this tensor where the Bool mask (over its leading dims) is true, or
    /// into the rows the Int64 vector names: <c>t[mask] = v</c>. In place, with the rules of
    /// <see cref="Copy_"/>; <see cref="IndexPut"/> is the form that records a gradient.
    /// </summary>
    public Tensor IndexPut_(Tensor index, Tensor values, bool accumulate = false)
    {
        Tensor result;
        using (Autograd.NoGrad()) result = IndexPut(this, index, values, accumulate);
        return Copy_(result);
    }

    /// <summary>
    /// <c>t[mask]</c>: the rows where the Bool mask over the leading dims is true; <c>t[index]</c>: the rows the
    /// Int64 index names (shape index.Shape + the rest). Setting writes in place, as <see cref="IndexPut_"/>.
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("Index")]
    public Tensor this[Tensor index]
    {
        get
        {
            if (index.DType == DType.Bool)
            {
                if (index.NDim > NDim || !Shapes.Equal(index.shape, shape[..index.NDim]))
                    throw new ArgumentException($"Index: the mask {Op.Describe(index)} must match the leading dims " +
                        $"of the tensor {Op.Describe(this)}");
                return Reshape([Shapes.Numel(index.shape), .. shape[index.NDim..]])
                    .IndexSelect(0, Positions(index, Device));
            }
            if (index.DType != DType.Int64)
                throw new ArgumentException($"Index: an index tensor must be Int64 or Bool, got {Op.Describe(index)}");
            var wrapped = Where(index.Lt(0L), index + shape[0], index);
            return IndexSelect(0, wrapped.Reshape(-1)).Reshape([.. index.shape, .. shape[1..]]);
        }
        set => IndexPut_(index, value);
    }

    /// <summary>
    /// Picks along <paramref name="dim"/> with indices that broadcast against x in the other dims
    /// (torch.take_along_dim); without a dim, from x flattened.
    /// </summary>
    public static Tensor TakeAlongDim(Tensor x, Tensor indices, int? dim = null)
    {
        if (dim is null) return x.Reshape(-1).Gather(0, indices.Reshape(-1));
        int d = Shapes.NormalizeDim("TakeAlongDim", dim.Value, x.NDim, x.shape);
        if (indices.NDim != x.NDim)
            throw new ArgumentException($"TakeAlongDim: the indices {Op.Describe(indices)} need the input's rank " +
                $"({Op.Describe(x)})");
        var xShape = (int[])x.shape.Clone();
        var indexShape = (int[])indices.shape.Clone();
        xShape[d] = indexShape[d] = 1;
        var common = Shapes.Broadcast("TakeAlongDim", xShape, indexShape);
        int[] xTarget = [.. common], indexTarget = [.. common];
        xTarget[d] = x.shape[d];
        indexTarget[d] = indices.shape[d];
        return x.Expand(xTarget).Gather(d, indices.Expand(indexTarget));
    }

    /// <summary>
    /// The Int64 class indices as one-hot rows: Int64 [..., numClasses], with numClasses one past the largest
    /// index when not given.
    /// </summary>
    public static Tensor OneHot(Tensor indices, int numClasses = -1)
    {
        if (indices.DType != DType.Int64)
            throw new ArgumentException($"OneHot: the class indices must be Int64, got {Op.Describe(indices)}");
        var values = indices.ToArray<long>();
        long largest = values.Length == 0 ? -1 : values.Max(), smallest = values.Length == 0 ? 0 : values.Min();
        if (numClasses < 0) numClasses = (int)largest + 1;
        if (smallest < 0 || largest >= numClasses)
            throw new ArgumentOutOfRangeException(nameof(indices),
                $"OneHot: class indices must lie in [0, {numClasses}), got {smallest} to {largest}");
        var classes = Arange(numClasses, DType.Int64).To(indices.Device);
        return indices.Unsqueeze(-1).Eq(classes).To(DType.Int64);
    }

    private static void RequireMask(string op, Tensor mask)
    {
        if (mask.DType != DType.Bool)
            throw new ArgumentException($"{op}: the mask must be Bool, got {Op.Describe(mask)} " +
                "(make one with a comparison, such as x.Gt(0))");
    }

    // the flat positions of a mask's true elements, as an Int64 vector on the device
    private static Tensor Positions(Tensor mask, Device device)
    {
        var truth = mask.ToArray<bool>();
        var positions = new List<long>();
        for (int i = 0; i < truth.Length; i++)
            if (truth[i]) positions.Add(i);
        return FromArray(positions.ToArray()).To(device);
    }

    // a vector index along dim d, shaped to index every slice of a tensor of the given shape
    private static Tensor AlongDim(Tensor index, int d, int[] shape)
    {
        var along = new int[shape.Length];
        Array.Fill(along, 1);
        along[d] = index.shape[0];
        return index.Reshape(along).Expand(shape);
    }

    // true where the index writes, in x's shape
    private static Tensor Hit(Tensor x, int d, Tensor index)
    {
        var ones = OnesLike(index).To(DType.Float32);
        return ScatterAdd(Zeros(x.shape, DType.Float32, device: x.Device), d, index, ones).Gt(0);
    }

    // the part of src that the index's shape covers (PyTorch's scatter reads only that much)
    private static Tensor PartLike(Tensor src, Tensor index, string op)
    {
        if (src.NDim != index.NDim)
            throw new ArgumentException($"{op}: src {Op.Describe(src)} and index {Op.Describe(index)} differ in rank");
        var part = src;
        for (int k = 0; k < index.NDim; k++)
        {
            if (index.shape[k] > src.shape[k])
                throw new ArgumentException($"{op}: the index {Op.Describe(index)} is larger than src " +
                    $"{Op.Describe(src)} in dim {k}");
            if (index.shape[k] < src.shape[k]) part = part.Narrow(k, 0, index.shape[k]);
        }
        return part.Contiguous();
    }

    /// <summary>This with value where the mask is true.</summary>
    public Tensor MaskedFill(Tensor mask, double value) => MaskedFill(this, mask, value);
    /// <summary>This with the 0-dim value where the mask is true.</summary>
    public Tensor MaskedFill(Tensor mask, Tensor value) => MaskedFill(this, mask, value);
    /// <summary>The elements where the mask is true, as a vector.</summary>
    public Tensor MaskedSelect(Tensor mask) => MaskedSelect(this, mask);
    /// <summary>The indices of the nonzero elements, [count, NDim].</summary>
    public Tensor Nonzero() => Nonzero(this);
    /// <summary>This with source's slices added at the index along dim.</summary>
    public Tensor IndexAdd(int dim, Tensor index, Tensor source, double alpha = 1) =>
        IndexAdd(this, dim, index, source, alpha);
    /// <summary>This with src written at the index along dim.</summary>
    public Tensor Scatter(int dim, Tensor index, Tensor src) => Scatter(this, dim, index, src);
    /// <summary>This with value written at the index along dim.</summary>
    public Tensor Scatter(int dim, Tensor index, double value) => Scatter(this, dim, index, value);
    /// <summary>This with src reduced into the index along dim ("sum", "amax", "amin").</summary>
    public Tensor ScatterReduce(int dim, Tensor index, Tensor src, string reduce, bool includeSelf = true) =>
        ScatterReduce(this, dim, index, src, reduce, includeSelf);
    /// <summary>Picks along dim with broadcasting indices.</summary>
    public Tensor TakeAlongDim(Tensor indices, int? dim = null) => TakeAlongDim(this, indices, dim);

    /// <summary>Entries along <paramref name="dim"/> picked by the Int64 vector <paramref name="index"/>.</summary>
    public Tensor IndexSelect(int dim, Tensor index) => IndexSelect(this, dim, index);

    /// <summary>Entries picked along <paramref name="dim"/> by <paramref name="index"/>.</summary>
    public Tensor Gather(int dim, Tensor index) => Gather(this, dim, index);
}
