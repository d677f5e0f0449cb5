namespace Backprop;

// Inverted dropout: zero each element with probability p and scale the survivors by 1/(1 − p), so evaluation
// needs no rescaling. The mask is a constant, so the gradient is the upstream gradient times the same mask.
// Dropout2d draws one mask value per channel, so whole feature maps are kept or zeroed together.
public static partial class F
{
    /// <summary>
    /// Zeroes each element of <paramref name="x"/> with probability <paramref name="p"/> and scales the rest by
    /// 1/(1 − p) when <paramref name="training"/>; otherwise returns x. The mask is drawn from
    /// <paramref name="generator"/> (the thread's default generator when null).
    /// </summary>
    public static Tensor Dropout(Tensor x, double p = 0.5, bool training = true, Generator? generator = null)
    {
        Op.RequireFloat("Dropout", x);
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"Dropout: p must be in [0, 1], got {p}");
        if (!training || p == 0) return x;
        if (p == 1) return x * Tensor.ZerosLike(x);
        var keep = Tensor.Rand(x.shape, x.DType, generator).Ge(p).To(x.DType);   // scaled in x's dtype, not the default
        return x * (keep * (1 / (1 - p)));
    }

    /// <summary>
    /// Zeroes whole channels of <paramref name="x"/> [N, C, H, W] (or an unbatched [C, H, W]) with probability
    /// <paramref name="p"/> and scales the rest by 1/(1 − p) when <paramref name="training"/>, as
    /// torch.nn.functional.dropout2d; otherwise returns x.
    /// </summary>
    public static Tensor Dropout2d(Tensor x, double p = 0.5, bool training = true, Generator? generator = null)
    {
        Op.RequireFloat("Dropout2d", x);
        if (x.NDim is not (3 or 4))
            throw new ArgumentException($"Dropout2d: input must be [N, C, H, W] or [C, H, W], got {Op.Describe(x)}");
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"Dropout2d: p must be in [0, 1], got {p}");
        if (!training || p == 0) return x;
        if (p == 1) return x * Tensor.ZerosLike(x);
        int[] maskShape = [.. x.shape[..^2], 1, 1];
        var keep = Tensor.Rand(maskShape, x.DType, generator).Ge(p).To(x.DType).To(x.Device);
        return x * (keep * (1 / (1 - p)));
    }
}
