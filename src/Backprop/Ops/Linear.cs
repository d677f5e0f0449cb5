namespace Backprop;

// The affine layer y = x·Wᵀ + b: one fused kernel forward; backward by fused kernels, or in tensor ops under createGraph.
public static partial class F
{
    /// <summary>
    /// y = x·weightᵀ + bias, as torch.nn.functional.linear: <paramref name="x"/> [..., in], <paramref name="weight"/>
    /// [out, in], <paramref name="bias"/> [out]; the result is [..., out].
    /// </summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        Op.RequireSame("Linear", x, weight);
        Op.RequireFloat("Linear", x);
        if (weight.NDim != 2)
            throw new ArgumentException($"Linear: weight must be [out, in], got {Shapes.Format(weight.shape)}");
        if (x.NDim == 0 || x.shape[^1] != weight.shape[1])
            throw new ArgumentException($"Linear: input {Shapes.Format(x.shape)} has {(x.NDim == 0 ? 0 : x.shape[^1])} features but weight {Shapes.Format(weight.shape)} expects {weight.shape[1]}");
        if (bias is not null)
        {
            Op.RequireSame("Linear", x, bias);
            if (bias.NDim != 1 || bias.shape[0] != weight.shape[0])
                throw new ArgumentException($"Linear: bias {Shapes.Format(bias.shape)} does not match weight {Shapes.Format(weight.shape)}: expected [{weight.shape[0]}]");
        }
        int outFeatures = weight.shape[0];
        int[] outShape = [.. x.shape[..^1], outFeatures];
        var y = Tensor.Uninitialized(outShape, x.DType, x.Device);
        x.Backend.Linear(x, weight, bias, y);   // one GEMM onto the bias rows: no transposed copy, no broadcast add
        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        return Op.Record("Linear", y, inputs, g =>
        {
            bool needBias = bias is { RequiresGrad: true };
            // with createGraph, the rule in tensor ops, so it differentiates again; otherwise the backend's fused kernels
            if (Autograd.IsGradEnabled)
            {
                var (gx, gw, gb) = LinearGradients(x, weight, g, x.RequiresGrad, weight.RequiresGrad, needBias);
                return bias is null ? [gx, gw] : [gx, gw, gb];
            }
            // a weight whose Grad already exists (zeroed in place each step) takes gᵀ·x into it when the pass ends
            bool intoGrad = weight.RequiresGrad && Engine.AddsIntoGrad(weight);
            var (dx, dw, db) = x.Backend.LinearBackward(x, weight, g, x.RequiresGrad, weight.RequiresGrad && !intoGrad, needBias);
            if (intoGrad) Engine.AddWeightGradientLater(x, g, weight.Grad!);
            return bias is null ? [dx, dw] : [dx, dw, db];
        });
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
