using Backprop.Kernels;

namespace Backprop;

/// <summary>
/// The shared machinery every op goes through: validate, run the backend kernel, and record a node with the
/// op's gradient rule when grad mode is on and an input requires grad.
/// </summary>
internal static class Op
{
    /// <summary>
    /// An elementwise one-input op y = k(x; p, q) with its rule dx = backward(g, x, y), which
    /// <paramref name="reads"/> x, y, both or neither.
    /// </summary>
    public static Tensor Unary(string name, Tensor x, UnaryKernel k, UnaryRule? backward, Reads reads, double p = 0,
        double q = 0, bool intAllowed = false)
    {
        // a floating-point function of integers or Bool runs in the default float dtype, as PyTorch's exp(int) does
        if (!intAllowed && !x.DType.IsFloatingPoint()) x = x.To(Tensor.DefaultDType);
        else if (x.DType == DType.Bool)
            throw new ArgumentException(
                $"{name}: not defined for Bool tensors ({Describe(x)}); use the logical ops, or convert with To");
        var y = Tensor.Uninitialized(x.shape, x.DType, x.Device);
        x.Backend.Unary(k, x, y, p, q);
        if (backward is not null && Autograd.ShouldRecord(x)) y.SetGradFn(new UnaryNode(name, x, y, backward, reads));
        return y;
    }

    /// <summary>An elementwise op with a scalar, y = k(x; p), whose gradient is g·<paramref name="factor"/>.</summary>
    public static Tensor Scaled(string name, Tensor x, UnaryKernel k, double p, double factor)
    {
        var y = Tensor.Uninitialized(x.shape, x.DType, x.Device);
        x.Backend.Unary(k, x, y, p, 0);
        if (Autograd.ShouldRecord(x)) y.SetGradFn(new ScaleNode(name, x, factor));
        return y;
    }

    /// <summary>
    /// An elementwise two-input op with broadcasting and PyTorch's type promotion: both inputs are converted to the
    /// result dtype first (to the default float dtype when <paramref name="floatResult"/> and they are integers or
    /// Bool, as true division does), so gradients flow back through each conversion in the input's own dtype.
    /// Comparisons give Bool. Each rule returns the gradient at the broadcast shape (summed back to the input's shape
    /// in <see cref="BinaryNode"/>) and reads what its <see cref="Reads"/> says of a, b, y.
    /// </summary>
    public static Tensor Binary(string name, Tensor a, Tensor b, BinaryKernel k, BinaryRule? gradA, Reads gradAReads,
        BinaryRule? gradB, Reads gradBReads, bool floatResult = false)
    {
        RequireSameDevice(name, a, b);
        var shape = Shapes.Broadcast(name, a.shape, b.shape);
        var dtype = Promotion.ResultType(a, b);
        if (floatResult && !dtype.IsFloatingPoint()) dtype = Tensor.DefaultDType;
        if (dtype == DType.Bool) k = ForBool(name, k, a, b);
        a = a.To(dtype);
        b = b.To(dtype);
        var y = Tensor.Uninitialized(shape, k.IsComparison() ? DType.Bool : dtype, a.Device);
        a.Backend.Binary(k, a, b, y);
        return RecordBinary(name, a, b, y, gradA, gradAReads, gradB, gradBReads);
    }

    /// <summary>An elementwise two-input op with broadcasting and no gradient (comparisons, masks).</summary>
    public static Tensor Binary(string name, Tensor a, Tensor b, BinaryKernel k) =>
        Binary(name, a, b, k, null, Reads.Nothing, null, Reads.Nothing);

    // Bool arithmetic as PyTorch defines it: + and maximum are or, · and minimum are and; the rest has no Bool meaning
    private static BinaryKernel ForBool(string name, BinaryKernel k, Tensor a, Tensor b) => k switch
    {
        BinaryKernel.Add or BinaryKernel.Maximum => BinaryKernel.LogicalOr,
        BinaryKernel.Mul or BinaryKernel.Minimum => BinaryKernel.LogicalAnd,
        BinaryKernel.LogicalAnd or BinaryKernel.LogicalOr or BinaryKernel.LogicalXor => k,
        _ when k.IsComparison() => k,
        _ => throw new ArgumentException($"{name}: not defined for Bool tensors ({Describe(a)} and {Describe(b)}); " +
            "convert one with To(DType.Int64)"),
    };

    /// <summary>
    /// <paramref name="x"/> converted to the dtype of an op between it and a C# number (a double when
    /// <paramref name="floatScalar"/>, else a long), which the op then runs in.
    /// </summary>
    public static Tensor WithScalar(Tensor x, bool floatScalar) => x.To(Promotion.ResultType(x, floatScalar));

    /// <summary>x, or x converted to the default float dtype when it is an integer or Bool tensor.</summary>
    public static Tensor Floating(Tensor x) => x.DType.IsFloatingPoint() ? x : x.To(Tensor.DefaultDType);

    /// <summary>
    /// Records a two-input op whose gradients may need summing back over broadcast dims; each rule reads what its
    /// <see cref="Reads"/> says.
    /// </summary>
    public static Tensor RecordBinary(string name, Tensor a, Tensor b, Tensor y, BinaryRule? gradA, Reads gradAReads,
        BinaryRule? gradB, Reads gradBReads)
    {
        if ((gradA is not null || gradB is not null) && Autograd.ShouldRecord(a, b))
            y.SetGradFn(new BinaryNode(name, a, b, y, gradA, gradAReads, gradB, gradBReads));
        return y;
    }

    /// <summary>
    /// Records a one-input op computed elsewhere (views, reductions, indexing); <paramref name="saved"/> lists the
    /// tensors whose values the closure reads (not those it only takes a shape or dtype from).
    /// </summary>
    public static Tensor Record(string name, Tensor y, Tensor x, Func<Tensor, Tensor> backward,
        ReadOnlySpan<Tensor> saved)
    {
        if (Autograd.ShouldRecord(x)) y.SetGradFn(new UnaryLambdaNode(name, x, backward, SavedTensor.All(saved)));
        return y;
    }

    /// <summary>
    /// Records a one-input fused op whose rule runs a fused kernel unless the pass creates a graph; the rule reads
    /// the values of the tensors in <paramref name="saved"/>.
    /// </summary>
    public static Tensor RecordFused(string name, Tensor y, Tensor x, Func<Tensor, BackwardContext, Tensor> backward,
        ReadOnlySpan<Tensor> saved)
    {
        if (Autograd.ShouldRecord(x)) y.SetGradFn(new FusedUnaryNode(name, x, backward, SavedTensor.All(saved)));
        return y;
    }

    /// <summary>
    /// Records an op of several inputs computed elsewhere; the rule returns one gradient per input and reads the
    /// values of the tensors in <paramref name="saved"/>.
    /// </summary>
    public static Tensor Record(string name, Tensor y, Tensor[] inputs, Func<Tensor, Tensor?[]> backward,
        ReadOnlySpan<Tensor> saved) => RecordFused(name, y, inputs, (g, _) => backward(g), saved);

    /// <summary>
    /// Records a fused op of several inputs whose rule runs a fused kernel unless the pass creates a graph; the rule
    /// returns one gradient per input and reads the values of the tensors in <paramref name="saved"/>.
    /// </summary>
    public static Tensor RecordFused(string name, Tensor y, Tensor[] inputs,
        Func<Tensor, BackwardContext, Tensor?[]> backward, ReadOnlySpan<Tensor> saved)
    {
        if (!Autograd.IsGradEnabled) return y;
        foreach (var x in inputs)
            if (x.RequiresGrad)
            {
                y.SetGradFn(new LambdaNode(name, inputs, backward, SavedTensor.All(saved)));
                break;
            }
        return y;
    }

    /// <summary>Sums a gradient computed at a broadcast shape back to the shape of the input it belongs to.</summary>
    public static Tensor SumTo(Tensor g, int[] shape)
    {
        if (Shapes.Equal(g.shape, shape)) return g;
        int lead = g.shape.Length - shape.Length;
        var dims = new List<int>();
        for (int i = 0; i < g.shape.Length; i++)
            if (i < lead || (shape[i - lead] == 1 && g.shape[i] != 1)) dims.Add(i);
        var summed = dims.Count == 0 ? g : g.Sum(dims.ToArray(), keepDim: true);
        return Shapes.Equal(summed.shape, shape) ? summed : summed.Reshape(shape);
    }

    /// <summary>A 0-dim constant with <paramref name="like"/>'s dtype and device.</summary>
    public static Tensor Scalar(double value, Tensor like) =>
        Tensor.Full(Shapes.Scalar, value, like.DType, like.Device);

    public static void RequireFloat(string name, Tensor x)
    {
        if (!x.DType.IsFloatingPoint())
            throw new ArgumentException($"{name}: needs a floating-point tensor, got {x.DType} with " +
                $"shape {Shapes.Format(x.shape)}");
    }

    public static void RequireSame(string name, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"{name}: dtypes differ: {a.DType} {Shapes.Format(a.shape)} " +
                $"and {b.DType} {Shapes.Format(b.shape)} (convert one with To)");
        RequireSameDevice(name, a, b);
    }

    public static void RequireSameDevice(string name, Tensor a, Tensor b)
    {
        if (a.Device != b.Device)
            throw new ArgumentException($"{name}: tensors are on different devices: {a.Device} and {b.Device}");
    }

    /// <summary>Refuses a Bool operand of subtraction or negation, as PyTorch does, naming the logical ops.</summary>
    public static void RequireNotBool(string name, Tensor x)
    {
        if (x.DType == DType.Bool)
            throw new ArgumentException($"{name}: not defined for a Bool tensor ({Describe(x)}), as in PyTorch; " +
                "use LogicalNot to invert a mask, or LogicalXor");
    }

    /// <summary>A tensor's dtype and shape, for error messages.</summary>
    public static string Describe(Tensor x) => $"{x.DType} {Shapes.Format(x.shape)}";
}
