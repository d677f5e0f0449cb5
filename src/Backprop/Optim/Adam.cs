using System.Numerics;

namespace Backprop.Optim;

/// <summary>
/// Adam (torch.optim.Adam): m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², w ← w − lr·m̂ / (√v̂ + ε) with the bias
/// corrections m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ). Weight decay adds λw to the gradient (L2).
/// </summary>
public class Adam : Optimizer
{
    private readonly bool _decoupled;

    /// <summary>Creates the optimizer.</summary>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0)
        : this(parameters, lr, betas, eps, weightDecay, decoupled: false) { }

    /// <summary>Creates the optimizer, with weight decay applied to the weights directly when <paramref name="decoupled"/>.</summary>
    protected Adam(IEnumerable<Tensor> parameters, double lr, (double Beta1, double Beta2)? betas, double eps, double weightDecay, bool decoupled)
        : base(parameters, lr, ["exp_avg", "exp_avg_sq"])
    {
        var (beta1, beta2) = betas ?? (0.9, 0.999);
        Beta1 = CheckFraction(beta1, "beta1");
        Beta2 = CheckFraction(beta2, "beta2");
        Eps = CheckNonNegative(eps, "epsilon");
        WeightDecay = CheckNonNegative(weightDecay, "weight decay");
        _decoupled = decoupled;
    }

    /// <summary>β₁, the decay of the running mean of gradients.</summary>
    public double Beta1 { get; }

    /// <summary>β₂, the decay of the running mean of squared gradients.</summary>
    public double Beta2 { get; }

    /// <summary>ε, added to the denominator.</summary>
    public double Eps { get; }

    /// <summary>λ, the weight decay coefficient.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> w, ReadOnlySpan<T> grad, ParameterState state)
    {
        var m = state.Span<T>("exp_avg");
        var v = state.Span<T>("exp_avg_sq");
        T b1 = T.CreateChecked(Beta1), b2 = T.CreateChecked(Beta2), one = T.One;
        T stepSize = T.CreateChecked(LearningRate / (1 - Math.Pow(Beta1, state.Step)));
        T sqrtCorrection2 = T.CreateChecked(Math.Sqrt(1 - Math.Pow(Beta2, state.Step)));
        T eps = T.CreateChecked(Eps);
        T l2 = _decoupled ? T.Zero : T.CreateChecked(WeightDecay);
        T shrink = _decoupled ? T.CreateChecked(1 - LearningRate * WeightDecay) : one;
        for (int i = 0; i < w.Length; i++)
        {
            T g = grad[i] + l2 * w[i];
            w[i] *= shrink;
            m[i] = b1 * m[i] + (one - b1) * g;
            v[i] = b2 * v[i] + (one - b2) * g * g;
            w[i] -= stepSize * m[i] / (T.Sqrt(v[i]) / sqrtCorrection2 + eps);
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor w, Tensor grad, ParameterState state)
    {
        var m = state.Buffers["exp_avg"];
        var v = state.Buffers["exp_avg_sq"];
        double stepSize = LearningRate / (1 - Math.Pow(Beta1, state.Step));
        double sqrtCorrection2 = Math.Sqrt(1 - Math.Pow(Beta2, state.Step));
        var g = _decoupled || WeightDecay == 0 ? grad : grad + w * WeightDecay;
        if (_decoupled && WeightDecay != 0) w.Copy_(w * (1 - LearningRate * WeightDecay));
        m.Copy_(m * Beta1 + g * (1 - Beta1));
        v.Copy_(v * Beta2 + g * g * (1 - Beta2));
        w.Copy_(w - m * stepSize / (Tensor.Sqrt(v) / sqrtCorrection2 + Eps));
    }
}

/// <summary>
/// AdamW (torch.optim.AdamW): Adam whose weight decay shrinks the weights directly, w ← w(1 − lr·λ), instead of
/// adding λw to the gradient.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimizer (weight decay 0.01 by default, as PyTorch).</summary>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 1e-2)
        : base(parameters, lr, betas, eps, weightDecay, decoupled: true) { }
}
