namespace Backprop;

// The affine layer y = x·Wᵀ + b, alone or with the ReLU that usually follows it: one fused kernel forward; backward
// by fused kernels, or in tensor ops under createGraph.
public static partial class F
{
    /// <summary>
    /// y = x·weightᵀ + bias, as torch.nn.functional.linear: <paramref name="x"/> [..., in], <paramref
    /// name="weight"/> [out, in], <paramref name="bias"/> [out]; the result is [..., out].
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) =>
        Affine("Linear", x, weight, bias, relu: false);

    /// <summary>
    /// max(0, x·weightᵀ + bias): the same values and gradients as <c>F.Relu(F.Linear(x, weight, bias))</c>, as one
    /// op. The ReLU is applied as the product is written, the pre-activation is never stored, and the backward pass
    /// masks the upstream gradient and sums the bias gradient in one pass. <see cref="Nn.Sequential"/> uses it for a
    /// <see cref="Nn.Linear"/> followed by a <see cref="Nn.ReLU"/>.
    /// </summary>
    public static Tensor LinearRelu(Tensor x, Tensor weight, Tensor? bias = null) =>
        Affine("LinearRelu", x, weight, bias, relu: true);

    private static Tensor Affine(string op, Tensor x, Tensor weight, Tensor? bias, bool relu)
    {
        CheckAffine(op, x, weight, bias);
        int outFeatures = weight.shape[0];
        int[] outShape = [.. x.shape[..^1], outFeatures];
        var y = Tensor.Uninitialized(outShape, x.DType, x.Device);
        // one GEMM onto the bias rows: no transposed copy, no broadcast add
        if (relu) x.Backend.LinearRelu(x, weight, bias, y);
        else x.Backend.Linear(x, weight, bias, y);
        if (Autograd.IsGradEnabled && (x.RequiresGrad || weight.RequiresGrad || bias is { RequiresGrad: true }))
            y.SetGradFn(new AffineNode(op, x, weight, bias, y, relu));
        return y;
    }

    private static void CheckAffine(string op, Tensor x, Tensor weight, Tensor? bias)
    {
        Op.RequireSame(op, x, weight);
        Op.RequireFloat(op, x);
        if (weight.NDim != 2)
            throw new ArgumentException($"{op}: weight must be [out, in], got {Shapes.Format(weight.shape)}");
        if (x.NDim == 0 || x.shape[^1] != weight.shape[1])
            throw new ArgumentException($"{op}: input {Shapes.Format(x.shape)} has {(x.NDim == 0 ? 0 : x.shape[^1])} " +
                $"features but weight {Shapes.Format(weight.shape)} expects {weight.shape[1]}");
        if (bias is null) return;
        Op.RequireSame(op, x, bias);
        if (bias.NDim != 1 || bias.shape[0] != weight.shape[0])
            throw new ArgumentException($"{op}: bias {Shapes.Format(bias.shape)} does not match " +
                $"weight {Shapes.Format(weight.shape)}: expected [{weight.shape[0]}]");
    }

    /// <summary>Linear's gradients in tensor ops: dx = g·W, dW = gᵀ·x and db = Σ rows of g, each only when asked
    /// for.</summary>
    internal static (Tensor? Dx, Tensor? DWeight, Tensor? DBias) LinearGradients(Tensor x, Tensor weight, Tensor g,
        bool needDx, bool needDWeight, bool needDBias)
    {
        int outFeatures = weight.shape[0], rowCount = Shapes.Numel(x.shape[..^1]);
        var rows = g.Reshape(rowCount, outFeatures);
        return (needDx ? g.MatMul(weight) : null,
            needDWeight ? rows.MT.MatMul(x.Reshape(rowCount, weight.shape[1])) : null,
            needDBias ? rows.Sum(0) : null);
    }
}

/// <summary>
/// The node of Linear and LinearRelu. Its rule runs the backend's fused kernels (after a fused ReLU, the upstream
/// gradient is masked in the pass that sums the bias gradient), or tensor ops when the pass creates a graph.
/// </summary>
internal sealed class AffineNode(string name, Tensor x, Tensor weight, Tensor? bias, Tensor y, bool relu)
    : Node(name, EdgesOf(bias is null ? [x, weight] : [x, weight, bias]))
{
    private readonly bool _relu = relu;
    private SavedTensor _x = new(x), _weight = new(weight), _y = relu ? new(y) : default;

    // x is read for the weight's gradient, the weight for x's, and the output for the fused ReLU's mask
    internal override void CheckSaved()
    {
        if (NeedsGrad(1)) _x.Check(this);
        if (NeedsGrad(0)) _weight.Check(this);
        _y.Check(this);
    }

    private protected override Tensor?[] Rule(Tensor g, BackwardContext context)
    {
        Tensor x = _x.Tensor!, weight = _weight.Tensor!;
        bool needBias = edges.Length > 2 && NeedsGrad(2);
        if (context.CreateGraph)
        {
            var masked = _relu ? g * _y.Tensor!.Gt(0) : g;
            var (gx, gw, gb) = F.LinearGradients(x, weight, masked, NeedsGrad(0), NeedsGrad(1), needBias);
            return Gradients(gx, gw, gb);
        }
        // after the ReLU, the gradient reaching the product is g where the output is positive (y > 0 ⟺ x·Wᵀ + b >
        // 0)
        Tensor dz = g;
        Tensor? maskedDb = null;
        if (_relu)
        {
            var y = _y.Tensor!;
            dz = g.IsContiguous && context.MayReuse(g) ? g : Tensor.Uninitialized(y.shape, y.DType, y.Device);
            maskedDb = needBias ? Tensor.Uninitialized([weight.shape[0]], y.DType, y.Device) : null;
            x.Backend.ReluBackwardWithColumnSums(g, y, dz, maskedDb);
        }
        var (dx, dw, db) = x.Backend.LinearBackward(x, weight, dz, NeedsGrad(0), NeedsGrad(1), needBias && !_relu);
        return Gradients(dx, dw, maskedDb ?? db);
    }

    private Tensor?[] Gradients(Tensor? dx, Tensor? dw, Tensor? db) => edges.Length == 2 ? [dx, dw] : [dx, dw, db];

    internal override void Release() { base.Release(); _x = _weight = _y = default; }
}
