namespace Backprop;

// The affine layer y = x·Wᵀ + b, alone or with the ReLU that usually follows it: one fused kernel forward; backward
// by fused kernels, or in tensor ops under createGraph.
public static partial class F
{
    /// <summary>
    /// y = x·weightᵀ + bias, as torch.nn.functional.linear: <paramref name="x"/> [..., in], <paramref name="weight"/>
    /// [out, in], <paramref name="bias"/> [out]; the result is [..., out].
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) => Affine("Linear", x, weight, bias, relu: false);

    /// <summary>
    /// max(0, x·weightᵀ + bias): the same values and gradients as <c>F.Relu(F.Linear(x, weight, bias))</c>, as one op.
    /// The ReLU is applied as the product is written, the pre-activation is never stored, and the backward pass masks
    /// the upstream gradient and sums the bias gradient in one pass. <see cref="Nn.Sequential"/> uses it for a
    /// <see cref="Nn.Linear"/> followed by a <see cref="Nn.ReLU"/>.
    /// </summary>
    public static Tensor LinearRelu(Tensor x, Tensor weight, Tensor? bias = null) => Affine("LinearRelu", x, weight, bias, relu: true);

    private static Tensor Affine(string op, Tensor x, Tensor weight, Tensor? bias, bool relu)
    {
        CheckAffine(op, x, weight, bias);
        int outFeatures = weight.shape[0];
        int[] outShape = [.. x.shape[..^1], outFeatures];
        var y = Tensor.Uninitialized(outShape, x.DType, x.Device);
        // one GEMM onto the bias rows: no transposed copy, no broadcast add
        if (relu) x.Backend.LinearRelu(x, weight, bias, y);
        else x.Backend.Linear(x, weight, bias, y);
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Op.Record(op, y, inputs, g =>
        {
            bool needBias = bias is { RequiresGrad: true };
            // with createGraph, the rule in tensor ops, so it differentiates again; otherwise the backend's fused kernels
            if (Autograd.IsGradEnabled)
            {
                var (gx, gw, gb) = LinearGradients(x, weight, relu ? g * y.Gt(0) : g, x.RequiresGrad, weight.RequiresGrad, needBias);
                return bias is null ? [gx, gw] : [gx, gw, gb];
            }
            // behind a ReLU, the gradient reaching the product is g where the output is positive (y > 0 ⟺ x·Wᵀ + b > 0)
            Tensor dz = g;
            Tensor? maskedDb = null;
            if (relu)
            {
                // masked in place when nothing but this node holds g: one block of memory fewer
                dz = g.IsContiguous && Engine.MayOverwrite(g) ? g : Tensor.Uninitialized(y.shape, y.DType, y.Device);
                maskedDb = needBias ? Tensor.Uninitialized([outFeatures], y.DType, y.Device) : null;
                x.Backend.ReluBackwardWithColumnSums(g, y, dz, maskedDb);
            }
            // a weight whose Grad already exists (zeroed in place each step) takes dzᵀ·x into it when the pass ends
            bool intoGrad = weight.RequiresGrad && Engine.AddsIntoGrad(weight);
            var (dx, dw, db) = x.Backend.LinearBackward(x, weight, dz, x.RequiresGrad, weight.RequiresGrad && !intoGrad, needBias && !relu);
            if (intoGrad) Engine.AddWeightGradientLater(x, dz, weight.Grad!);
            else if (relu && dz != g) dz.storage.Release();   // scratch of this call only
            return bias is null ? [dx, dw] : [dx, dw, maskedDb ?? db];
        });
    }

    private static void CheckAffine(string op, Tensor x, Tensor weight, Tensor? bias)
    {
        Op.RequireSame(op, x, weight);
        Op.RequireFloat(op, x);
        if (weight.NDim != 2)
            throw new ArgumentException($"{op}: weight must be [out, in], got {Shapes.Format(weight.shape)}");
        if (x.NDim == 0 || x.shape[^1] != weight.shape[1])
            throw new ArgumentException($"{op}: input {Shapes.Format(x.shape)} has {(x.NDim == 0 ? 0 : x.shape[^1])} features but weight {Shapes.Format(weight.shape)} expects {weight.shape[1]}");
        if (bias is null) return;
        Op.RequireSame(op, x, bias);
        if (bias.NDim != 1 || bias.shape[0] != weight.shape[0])
            throw new ArgumentException($"{op}: bias {Shapes.Format(bias.shape)} does not match weight {Shapes.Format(weight.shape)}: expected [{weight.shape[0]}]");
    }

    /// <summary>Linear's gradients in tensor ops: dx = g·W, dW = gᵀ·x and db = Σ rows of g, each only when asked for.</summary>
    internal static (Tensor? Dx, Tensor? DWeight, Tensor? DBias) LinearGradients(Tensor x, Tensor weight, Tensor g, bool needDx, bool needDWeight, bool needDBias)
    {
        int outFeatures = weight.shape[0], rowCount = Shapes.Numel(x.shape[..^1]);
        var rows = g.Reshape(rowCount, outFeatures);
        return (needDx ? g.MatMul(weight) : null,
            needDWeight ? rows.MT.MatMul(x.Reshape(rowCount, weight.shape[1])) : null,
            needDBias ? rows.Sum(0) : null);
    }
}
