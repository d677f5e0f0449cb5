using Backprop.Kernels;

namespace Backprop;

// Reductions: the kernel reduces trailing rows; gradients are spread back by expanding over the reduced dims.
public sealed partial class Tensor
{
    /// <summary>Sum of all elements (0-dim).</summary>
    public Tensor Sum() => Sum(null, false);
    /// <summary>Sum over one dim.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>
    /// Sum over <paramref name="dims"/> (all when null); a Bool tensor counts its true elements, in Int64.
    /// </summary>
    public Tensor Sum(int[]? dims, bool keepDim = false)
    {
        if (DType == DType.Bool) return To(DType.Int64).Sum(dims, keepDim);
        var plan = ReducePlan.Of("Sum", this, dims, keepDim, allowEmpty: true);
        var y = plan.Run(ReduceKernel.Sum);
        return Op.Record("Sum", y, this, g => plan.ExpandBack(g), saved: []);   // every input element contributed once
    }

    /// <summary>Mean of all elements.</summary>
    public Tensor Mean() => Mean(null, false);
    /// <summary>Mean over one dim.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Mean over <paramref name="dims"/> (all when null).</summary>
    public Tensor Mean(int[]? dims, bool keepDim = false)
    {
        Op.RequireFloat("Mean", this);
        var plan = ReducePlan.Of("Mean", this, dims, keepDim, allowEmpty: true);
        return Sum(dims, keepDim) / plan.Count;   // divided, not multiplied by 1/n: PyTorch's bits
    }

    /// <summary>Largest element (0-dim); ties share the gradient evenly.</summary>
    public Tensor Max() => Amax(null);
    /// <summary>Smallest element (0-dim); ties share the gradient evenly.</summary>
    public Tensor Min() => Amin(null);

    /// <summary>Largest values over <paramref name="dims"/> (all when null); ties share the gradient evenly.</summary>
    public Tensor Amax(int[]? dims, bool keepDim = false) => Extreme("Max", ReduceKernel.Max, dims, keepDim);
    /// <summary>Smallest values over <paramref name="dims"/> (all when null); ties share the gradient evenly.</summary>
    public Tensor Amin(int[]? dims, bool keepDim = false) => Extreme("Min", ReduceKernel.Min, dims, keepDim);

    private Tensor Extreme(string name, ReduceKernel k, int[]? dims, bool keepDim)
    {
        var plan = ReducePlan.Of(name, this, dims, keepDim, allowEmpty: false);
        var y = plan.Run(k);
        var x = this;
        return Op.Record(name, y, this, g =>
        {
            var hits = x.Eq(plan.ExpandBack(y.Detach())).To(g.DType);
            return plan.ExpandBack(g) * hits / hits.Sum(plan.Dims, keepDim: true);
        }, saved: [x, y]);
    }

    /// <summary>Largest values along <paramref name="dim"/> and their first indices; the gradient goes to those
    /// indices.</summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) =>
        ExtremeAlong("Max", ReduceKernel.Max, dim, keepDim);
    /// <summary>Smallest values along <paramref name="dim"/> and their first indices.</summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) =>
        ExtremeAlong("Min", ReduceKernel.Min, dim, keepDim);

    private (Tensor, Tensor) ExtremeAlong(string name, ReduceKernel k, int dim, bool keepDim)
    {
        var plan = ReducePlan.Of(name, this, [dim], keepDim, allowEmpty: false);
        var values = plan.Run(k);
        var indices = plan.RunArg(k == ReduceKernel.Max);
        var x = this;
        var keptIndices = keepDim ? indices : indices.Unsqueeze(plan.Dims[0]);
        // the indices are the caller's too: saved, so a write into them is caught
        Op.Record(name, values, this,
            g => ScatterAdd(ZerosLike(x), plan.Dims[0], keptIndices, keepDim ? g : g.Unsqueeze(plan.Dims[0])),
            saved: [indices]);
        return (values, indices);
    }

    /// <summary>Index of the first largest element: of the flattened tensor when <paramref name="dim"/> is
    /// null.</summary>
    public Tensor ArgMax(int? dim = null, bool keepDim = false) =>
        dim is { } d ? ReducePlan.Of("ArgMax", this, [d], keepDim, false).RunArg(true)
            : ReducePlan.Of("ArgMax", Reshape(-1), [0], false, false).RunArg(true);

    /// <summary>Index of the first smallest element: of the flattened tensor when <paramref name="dim"/> is
    /// null.</summary>
    public Tensor ArgMin(int? dim = null, bool keepDim = false) =>
        dim is { } d ? ReducePlan.Of("ArgMin", this, [d], keepDim, false).RunArg(false)
            : ReducePlan.Of("ArgMin", Reshape(-1), [0], false, false).RunArg(false);

    /// <summary>True (Bool, 0-dim) when any element is true or nonzero.</summary>
    public Tensor Any() => Any(null);
    /// <summary>Whether any element along <paramref name="dim"/> is true or nonzero (Bool).</summary>
    public Tensor Any(int dim, bool keepDim = false) => Any([dim], keepDim);
    /// <summary>Whether any element over <paramref name="dims"/> (all when null) is true or nonzero (Bool).</summary>
    public Tensor Any(int[]? dims, bool keepDim = false) => Truth("Any", ReduceKernel.Max, dims, keepDim);

    /// <summary>True (Bool, 0-dim) when every element is true or nonzero.</summary>
    public Tensor All() => All(null);
    /// <summary>Whether every element along <paramref name="dim"/> is true or nonzero (Bool).</summary>
    public Tensor All(int dim, bool keepDim = false) => All([dim], keepDim);
    /// <summary>Whether every element over <paramref name="dims"/> (all when null) is true or nonzero (Bool).</summary>
    public Tensor All(int[]? dims, bool keepDim = false) => Truth("All", ReduceKernel.Min, dims, keepDim);

    // over Bool's 0 and 1, max is any and min is all
    private Tensor Truth(string name, ReduceKernel k, int[]? dims, bool keepDim)
    {
        var plan = ReducePlan.Of(name, To(DType.Bool), dims, keepDim, allowEmpty: true);
        // over no elements, any is false and all is true: the identities of or and and
        if (plan.Count == 0) return Full(plan.OutShape, k == ReduceKernel.Min ? 1 : 0, DType.Bool, Device);
        return plan.Run(k);
    }

    /// <summary>log Σ exp(x) over <paramref name="dims"/>, computed stably by factoring out the maximum.</summary>
    public Tensor LogSumExp(int[]? dims, bool keepDim = false)
    {
        var plan = ReducePlan.Of("LogSumExp", this, dims, keepDim, allowEmpty: false);
        var max = plan.Run(ReduceKernel.Max, keepDim: true);
        // an infinite max would turn x - max into NaN; shifting by 0 there gives the right ±inf result
        max = Where(max.Abs().Eq(double.PositiveInfinity), Op.Scalar(0, max), max);
        var result = (this - max).Exp().Sum(plan.Dims, keepDim: true).Log() + max;
        return keepDim ? result : result.Reshape(plan.OutShape);
    }

    /// <summary>log Σ exp(x) along one dim.</summary>
    public Tensor LogSumExp(int dim, bool keepDim = false) => LogSumExp([dim], keepDim);

    /// <summary>Variance over <paramref name="dims"/> (all when null), dividing by N - <paramref name="correction"/>
    /// (1: unbiased).</summary>
    public Tensor Var(int[]? dims = null, double correction = 1, bool keepDim = false)
    {
        var plan = ReducePlan.Of("Var", this, dims, keepDim, allowEmpty: true);
        var centered = this - Mean(plan.Dims, keepDim: true);
        return (centered * centered).Sum(plan.Dims, keepDim) / Math.Max(0, plan.Count - correction);
    }

    /// <summary>Standard deviation: the square root of <see cref="Var"/>.</summary>
    public Tensor Std(int[]? dims = null, double correction = 1, bool keepDim = false) =>
        Var(dims, correction, keepDim).Sqrt();

    // The scans and products below are compositions: log₂ n doubling steps of shifted copies (Hillis and Steele),
    // or halvings, each an elementwise op; their gradients come from those ops (a product's through zeros too).

    /// <summary>Running sums along <paramref name="dim"/>; Int64 and Bool give Int64.</summary>
    public Tensor Cumsum(int dim) => Scan("Cumsum", dim, (a, b) => a + b, 0);

    /// <summary>Running products along <paramref name="dim"/>; Int64 and Bool give Int64.</summary>
    public Tensor Cumprod(int dim) => Scan("Cumprod", dim, (a, b) => a * b, 1);

    private Tensor Scan(string name, int dim, Func<Tensor, Tensor, Tensor> combine, double identity)
    {
        var y = DType == DType.Bool ? To(DType.Int64) : this;
        if (NDim == 0) return y.Clone();
        int d = Shapes.NormalizeDim(name, dim, NDim, shape), n = shape[d];
        for (int step = 1; step < n; step *= 2)
        {
            var lead = (int[])shape.Clone();
            lead[d] = step;
            y = combine(y, Cat([Full(lead, identity, y.DType, Device), y.Narrow(d, 0, n - step)], d));
        }
        return y;
    }

    /// <summary>The product of all elements (0-dim); Int64 and Bool give Int64.</summary>
    public Tensor Prod() => Reshape(-1).Prod(0);

    /// <summary>The product along <paramref name="dim"/>, by halving: each step multiplies the halves.</summary>
    public Tensor Prod(int dim, bool keepDim = false)
    {
        var y = DType == DType.Bool ? To(DType.Int64) : this;
        if (NDim == 0) return y.Clone();
        int d = Shapes.NormalizeDim("Prod", dim, NDim, shape);
        while (y.shape[d] != 1)
        {
            int n = y.shape[d];
            if (n == 0) return Full(keepDim ? [.. shape[..d], 1, .. shape[(d + 1)..]] : [.. shape[..d],
                .. shape[(d + 1)..]], 1, y.DType, Device);
            if (n % 2 == 1)
            {
                var one = (int[])y.shape.Clone();
                one[d] = 1;
                y = Cat([y, Full(one, 1, y.DType, Device)], d);
            }
            int half = y.shape[d] / 2;
            y = y.Narrow(d, 0, half) * y.Narrow(d, half, half);
        }
        return keepDim ? y : y.Squeeze(d);
    }

    /// <summary>
    /// The p-norm (Σ|x|^p)^(1/p) over <paramref name="dims"/> (all when null): p = 2 by default, ∞ the largest
    /// |x|, −∞ the smallest, 0 the count of nonzeros. Its gradient at a zero norm is 0, as in PyTorch.
    /// </summary>
    public Tensor Norm(double p = 2, int[]? dims = null, bool keepDim = false)
    {
        Op.RequireFloat("Norm", this);
        if (double.IsPositiveInfinity(p)) return Abs().Amax(dims, keepDim);
        if (double.IsNegativeInfinity(p)) return Abs().Amin(dims, keepDim);
        if (p == 1) return Abs().Sum(dims, keepDim);
        if (p == 0) return Ne(0).To(DType).Sum(dims, keepDim);
        var plan = ReducePlan.Of("Norm", this, dims, keepDim, allowEmpty: true);
        var x = this;
        Tensor y;
        using (Autograd.NoGrad())
            y = p == 2 ? (x * x).Sum(plan.Dims, keepDim).Sqrt() : x.Abs().Pow(p).Sum(plan.Dims, keepDim).Pow(1 / p);
        // d‖x‖ = x·|x|^(p−2) / ‖x‖^(p−1), taken as 0 where the norm (or, for p < 2, x) is 0
        return Op.Record("Norm", y, this, g =>
        {
            var norm = plan.ExpandBack(y);
            var scale = p == 2 ? x / norm : x * x.Abs().Pow(p - 2) / norm.Pow(p - 1);
            var zero = p < 2 ? norm.Eq(0).LogicalOr(x.Eq(0)) : norm.Eq(0);
            return plan.ExpandBack(g) * Where(zero, Op.Scalar(0, scale), scale);
        }, saved: [x, y]);
    }

    /// <summary>The number of nonzero (true) elements over <paramref name="dims"/> (all when null), in Int64.</summary>
    public Tensor CountNonzero(int[]? dims = null) => Ne(0).Sum(dims);

    /// <summary>
    /// How often each value 0, 1, … occurs in the Int64 vector x (with <paramref name="weights"/>, their sums):
    /// at least <paramref name="minLength"/> bins, one past the largest value. The weights get a gradient.
    /// </summary>
    public static Tensor Bincount(Tensor x, Tensor? weights = null, int minLength = 0)
    {
        if (x.DType != DType.Int64 || x.NDim != 1)
            throw new ArgumentException(
                $"Bincount: needs an Int64 vector of non-negative values, got {Op.Describe(x)}");
        if (weights is not null && !Shapes.Equal(weights.shape, x.shape))
            throw new ArgumentException($"Bincount: weights {Op.Describe(weights)} differ from x {Op.Describe(x)}");
        var values = x.ToArray<long>();
        if (values.Length > 0 && values.Min() < 0)
            throw new ArgumentException($"Bincount: x holds the negative value {values.Min()}");
        int bins = Math.Max(minLength, values.Length == 0 ? 0 : (int)values.Max() + 1);
        var counted = weights ?? OnesLike(x);
        return ScatterAdd(Zeros([bins], counted.DType, device: x.Device), 0, x, counted);
    }
}

/// <summary>How a reduction lays out its input: kept dims first, reduced dims last, so the kernel reduces
/// rows.</summary>
internal sealed class ReducePlan
{
    private Tensor _x = null!;
    public int[] Dims = null!, OutShape = null!, KeptShape = null!;
    public int Count;

    public static ReducePlan Of(string op, Tensor x, int[]? dims, bool keepDim, bool allowEmpty)
    {
        int rank = x.shape.Length, reducedCount = 0;
        // a plan is made for every reduction of a training step, so its scratch lives on the stack
        Span<bool> reduced = rank <= 64 ? stackalloc bool[rank] : new bool[rank];
        if (dims is null) reduced.Fill(true);
        else
            foreach (int d in dims)
            {
                int n = Shapes.NormalizeDim(op, d, rank, x.shape);
                if (rank == 0) continue;
                if (reduced[n]) throw new ArgumentException($"{op}: dim {d} appears twice in {Shapes.Format(dims)}");
                reduced[n] = true;
            }
        foreach (bool r in reduced) if (r) reducedCount++;
        var plan = new ReducePlan
        {
            _x = x, Count = 1, Dims = new int[reducedCount], KeptShape = new int[rank],
            OutShape = new int[keepDim ? rank : rank - reducedCount],
        };
        for (int i = 0, d = 0, o = 0; i < rank; i++)
        {
            if (reduced[i])
            {
                plan.Dims[d++] = i;
                plan.Count *= x.shape[i];
                plan.KeptShape[i] = 1;
                if (keepDim) plan.OutShape[o++] = 1;
            }
            else plan.OutShape[o++] = plan.KeptShape[i] = x.shape[i];
        }
        if (!allowEmpty && plan.Count == 0)
            throw new ArgumentException($"{op}: cannot reduce over zero elements (shape {Shapes.Format(x.shape)}, " +
                $"dims {Shapes.Format(plan.Dims)})");
        return plan;
    }

    // the input viewed with kept dims first and reduced dims last
    private Tensor RowsView()
    {
        int rank = _x.shape.Length;
        var shape = new int[rank];
        var strides = new int[rank];
        int j = 0;
        for (int i = 0; i < rank; i++)
            if (Array.IndexOf(Dims, i) < 0) { shape[j] = _x.shape[i]; strides[j++] = _x.strides[i]; }
        foreach (int d in Dims) { shape[j] = _x.shape[d]; strides[j++] = _x.strides[d]; }
        return new Tensor(_x.storage, shape, strides, _x.offset);
    }

    public Tensor Run(ReduceKernel k, bool? keepDim = null)
    {
        var y = Tensor.Empty(keepDim == true ? KeptShape : OutShape, _x.DType, _x.Device);
        _x.Backend.Reduce(k, RowsView(), y);
        return y;
    }

    public Tensor RunArg(bool max)
    {
        var y = Tensor.Empty(OutShape, DType.Int64, _x.Device);
        _x.Backend.ArgReduce(max, RowsView(), y);
        return y;
    }

    /// <summary>A gradient at the output's shape, broadcast back over the reduced dims to the input's shape.</summary>
    public Tensor ExpandBack(Tensor g) =>
        (Shapes.Equal(g.shape, KeptShape) ? g : g.Reshape(KeptShape)).Expand(_x.shape);
}
