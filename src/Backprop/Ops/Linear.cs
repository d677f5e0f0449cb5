namespace Backprop;

// The affine layer y = x·Wᵀ + b, built from MatMul and Add so its gradients differentiate again.
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
        var y = x.MatMul(weight.MT);
        if (bias is null) return y;
        Op.RequireSame("Linear", x, bias);
        if (bias.NDim != 1 || bias.shape[0] != weight.shape[0])
            throw new ArgumentException($"Linear: bias {Shapes.Format(bias.shape)} does not match weight {Shapes.Format(weight.shape)}: expected [{weight.shape[0]}]");
        return y + bias;
    }
}
