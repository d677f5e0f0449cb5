namespace Backprop;

// Sorting and the ops built on it (argsort, topk, kthvalue, median), and unique. The sort is a bitonic network of
// compare-exchange steps written in tensor ops (Gather, comparisons, Where), so it runs on every backend; it orders
// by (value, original index), a total order, so the result is the stable sort, with NaN after every number as in
// PyTorch. Only the indices are sorted: the values are x gathered at them, whose gradient goes back to x.
public sealed partial class Tensor
{
    /// <summary>
    /// The values along <paramref name="dim"/> in ascending (or descending) order, and where each came from;
    /// equal values keep their order (a stable sort), and NaN counts as larger than every number.
    /// </summary>
    public static (Tensor Values, Tensor Indices) Sort(Tensor x, int dim = -1, bool descending = false)
    {
        if (x.NDim == 0) return (x.Clone(), Zeros([], DType.Int64, device: x.Device));
        int d = Shapes.NormalizeDim("Sort", dim, x.NDim, x.shape);
        var indices = SortedIndices(x, d, descending);
        return (x.Gather(d, indices), indices);
    }

    /// <summary>The indices that sort x along <paramref name="dim"/> (stable; NaN last when ascending).</summary>
    public static Tensor Argsort(Tensor x, int dim = -1, bool descending = false) =>
        x.NDim == 0 ? Zeros([], DType.Int64, device: x.Device)
            : SortedIndices(x, Shapes.NormalizeDim("Argsort", dim, x.NDim, x.shape), descending);

    /// <summary>
    /// The <paramref name="k"/> largest (or smallest) values along <paramref name="dim"/>, in order, and their
    /// indices.
    /// </summary>
    public static (Tensor Values, Tensor Indices) Topk(Tensor x, int k, int dim = -1, bool largest = true)
    {
        int d = Shapes.NormalizeDim("Topk", dim, x.NDim, x.shape);
        if (k < 0 || k > x.shape[d])
            throw new ArgumentOutOfRangeException(nameof(k),
                $"Topk: k = {k} is out of range for dim {dim} of size {x.shape[d]} ({Op.Describe(x)})");
        var indices = SortedIndices(x, d, descending: largest).Narrow(d, 0, k).Contiguous();
        return (x.Gather(d, indices), indices);
    }

    /// <summary>The k-th smallest value along <paramref name="dim"/> (k from 1) and its index.</summary>
    public static (Tensor Values, Tensor Indices) Kthvalue(Tensor x, int k, int dim = -1, bool keepDim = false)
    {
        int d = Shapes.NormalizeDim("Kthvalue", dim, x.NDim, x.shape);
        if (k < 1 || k > x.shape[d])
            throw new ArgumentOutOfRangeException(nameof(k),
                $"Kthvalue: k = {k} is out of range for dim {dim} of size {x.shape[d]} ({Op.Describe(x)})");
        return Picked(x, d, SortedIndices(x, d, false).Narrow(d, k - 1, 1), keepDim);
    }

    /// <summary>
    /// The median along <paramref name="dim"/> and its index: for an even count the lower of the two middle
    /// values, and NaN where the slice holds one, as torch.median.
    /// </summary>
    public static (Tensor Values, Tensor Indices) Median(Tensor x, int dim, bool keepDim = false)
    {
        int d = Shapes.NormalizeDim("Median", dim, x.NDim, x.shape);
        int n = x.shape[d];
        if (n == 0) throw new ArgumentException($"Median: dim {dim} of {Op.Describe(x)} is empty");
        var order = SortedIndices(x, d, false);
        Tensor position;
        using (Autograd.NoGrad())
        {
            // NaN sorts last: where a slice has any, its first NaN is the median
            var nans = IsNan(x).Sum([d], keepDim: true);
            position = Where(nans.Gt(0L), n - nans, Full(nans.shape, (n - 1) / 2, DType.Int64, x.Device));
        }
        return Picked(x, d, order.Gather(d, position), keepDim);
    }

    /// <summary>The median of all elements (the lower middle value; NaN if any is NaN).</summary>
    public static Tensor Median(Tensor x) => Median(x.Reshape(-1), 0).Values;

    /// <summary>
    /// The most frequent value along <paramref name="dim"/> (the smallest of those tied) and the index of its last
    /// occurrence, as torch.mode. It compares every pair of a slice, so its memory grows with the square of the
    /// slice's length.
    /// </summary>
    public static (Tensor Values, Tensor Indices) Mode(Tensor x, int dim = -1, bool keepDim = false)
    {
        int d = Shapes.NormalizeDim("Mode", dim, x.NDim, x.shape);
        if (x.NDim == 0) return (x.Clone(), Zeros([], DType.Int64, device: x.Device));
        if (x.shape[d] == 0) throw new ArgumentException($"Mode: dim {dim} of {Op.Describe(x)} is empty");
        Tensor index;
        using (Autograd.NoGrad())
        {
            var row = x.Movedim(d, -1);
            var counts = row.Unsqueeze(-1).Eq(row.Unsqueeze(-2)).Sum([-1]);
            var mostFrequent = counts.Eq(counts.Amax([-1], keepDim: true));
            var value = Where(mostFrequent, row, Op.Scalar(double.PositiveInfinity, row)).Amin([-1], keepDim: true);
            var positions = Arange(row.shape[^1], DType.Int64).To(x.Device).Expand(row.shape);
            index = Where(row.Eq(value), positions, Op.Scalar(-1, positions)).Amax([-1], keepDim: true).Movedim(-1, d);
        }
        return Picked(x, d, index, keepDim);
    }

    // x's values at the given one-per-slice indices, with the dim kept or dropped
    private static (Tensor, Tensor) Picked(Tensor x, int d, Tensor index, bool keepDim)
    {
        var values = x.Gather(d, index);
        return keepDim ? (values, index) : (values.Squeeze(d), index.Squeeze(d));
    }

    /// <summary>
    /// The distinct values of x, sorted, flattened (torch.unique): with <paramref name="returnInverse"/> also
    /// where each element of x went (x's shape), with <paramref name="returnCounts"/> how often each occurs.
    /// Read on the host, as the output's size depends on the values; not differentiable.
    /// </summary>
    public static (Tensor Values, Tensor? Inverse, Tensor? Counts) Unique(Tensor x, bool returnInverse = false,
        bool returnCounts = false)
    {
        // integers are compared as integers (a double would merge those beyond 2^53)
        var (unique, inverse, counts) = x.DType.IsFloatingPoint()
            ? Distinct(x.To(DType.Float64).ToArray<double>(), v => FromArray(v).To(x.DType))
            : Distinct(x.To(DType.Int64).ToArray<long>(), v => FromArray(v).To(x.DType));
        return (unique.To(x.Device), returnInverse ? FromArray(inverse, x.shape).To(x.Device) : null,
            returnCounts ? FromArray(counts).To(x.Device) : null);
    }

    // the sorted distinct values (NaN last: double's CompareTo orders it first, so it is moved), each element's
    // slot among them, and each value's count
    private static (Tensor, long[], long[]) Distinct<T>(T[] values, Func<T[], Tensor> make) where T : IComparable<T>
    {
        var distinct = values.Distinct().Order().ToArray();
        if (distinct is double[] numbers) distinct = (T[])(object)numbers.Where(v => !double.IsNaN(v))
            .Concat(numbers.Where(double.IsNaN)).ToArray();
        var slot = new Dictionary<T, int>();
        for (int i = 0; i < distinct.Length; i++) slot[distinct[i]] = i;
        var counts = new long[distinct.Length];
        var inverse = new long[values.Length];
        for (int i = 0; i < values.Length; i++) counts[inverse[i] = slot[values[i]]]++;
        return (make(distinct), inverse, counts);
    }

    // The sorting permutation along dim d, by a bitonic network over the slices padded to a power of two. Each
    // element carries (rank class, key, original index): the class puts NaN after (or, descending, before) the
    // numbers and the padding after everything; the index breaks ties, which makes the order total and stable.
    private static Tensor SortedIndices(Tensor x, int d, bool descending)
    {
        using var _ = Autograd.NoGrad();
        var moved = x.DType == DType.Bool ? x.To(DType.Int64).Movedim(d, -1) : x.Movedim(d, -1);
        int n = moved.shape[^1];
        if (n <= 1) return Zeros(x.shape, DType.Int64, device: x.Device);
        int width = 1;
        while (width < n) width *= 2;
        var nan = IsNan(moved);
        var key = Where(nan, Op.Scalar(0, moved), moved).Pad([0, width - n]);
        var rankClass = Where(nan, Op.Scalar(descending ? 0 : 1, key), Op.Scalar(descending ? 1 : 0, key))
            .To(DType.Int64).Pad([0, width - n], value: 2);
        var shape = key.shape;
        var index = Arange(width, DType.Int64).To(x.Device).Expand(shape).Contiguous();
        for (int block = 2; block <= width; block *= 2)
            for (int span = block / 2; span >= 1; span /= 2)
            {
                var (partner, takesMin) = BitonicStep(width, block, span, x.Device);
                partner = partner.Expand(shape);
                var (pClass, pKey, pIndex) = (rankClass.Gather(-1, partner), key.Gather(-1, partner),
                    index.Gather(-1, partner));
                var keep = Where(takesMin, Before(rankClass, key, index, pClass, pKey, pIndex, descending),
                    Before(pClass, pKey, pIndex, rankClass, key, index, descending));
                (rankClass, key, index) = (Where(keep, rankClass, pClass), Where(keep, key, pKey),
                    Where(keep, index, pIndex));
            }
        return index.Narrow(-1, 0, n).Movedim(-1, d).Contiguous();
    }

    // whether element a comes before element b in the order
    private static Tensor Before(Tensor aClass, Tensor aKey, Tensor aIndex, Tensor bClass, Tensor bKey, Tensor bIndex,
        bool descending)
    {
        var keyFirst = descending ? aKey.Gt(bKey) : aKey.Lt(bKey);
        var tie = aKey.Eq(bKey).LogicalAnd(aIndex.Lt(bIndex));
        return aClass.Lt(bClass).LogicalOr(aClass.Eq(bClass).LogicalAnd(keyFirst.LogicalOr(tie)));
    }

    // one compare-exchange step: each position's partner (i xor span), and whether it keeps the smaller of the
    // pair (the lower position of a block sorted upward, or the upper of one sorted downward)
    private static (Tensor Partner, Tensor TakesMin) BitonicStep(int width, int block, int span, Device device)
    {
        var partner = new long[width];
        var takesMin = new bool[width];
        for (int i = 0; i < width; i++)
        {
            partner[i] = i ^ span;
            takesMin[i] = (i < (i ^ span)) == ((i & block) == 0);
        }
        return (FromArray(partner).To(device), FromArray(takesMin).To(device));
    }

    /// <summary>Sorted along dim, with the indices.</summary>
    public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false) => Sort(this, dim, descending);
    /// <summary>The indices that sort along dim.</summary>
    public Tensor Argsort(int dim = -1, bool descending = false) => Argsort(this, dim, descending);
    /// <summary>The k largest (or smallest) along dim.</summary>
    public (Tensor Values, Tensor Indices) Topk(int k, int dim = -1, bool largest = true) =>
        Topk(this, k, dim, largest);
    /// <summary>The k-th smallest along dim.</summary>
    public (Tensor Values, Tensor Indices) Kthvalue(int k, int dim = -1, bool keepDim = false) =>
        Kthvalue(this, k, dim, keepDim);
    /// <summary>The lower median along dim.</summary>
    public (Tensor Values, Tensor Indices) Median(int dim, bool keepDim = false) => Median(this, dim, keepDim);
    /// <summary>The most frequent value along dim and its last index.</summary>
    public (Tensor Values, Tensor Indices) Mode(int dim = -1, bool keepDim = false) => Mode(this, dim, keepDim);
    /// <summary>The lower median of all elements.</summary>
    public Tensor Median() => Median(this);
}
