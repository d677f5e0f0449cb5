using System.Numerics;

namespace Backprop.Optim;

/// <summary>
/// Adam (torch.optim.Adam): m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², w ← w − lr·m̂ /
/// (√v̂ + ε) with the bias corrections m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ). Weight decay adds
/// λw to the gradient (L2). Group settings: <c>lr</c>, <c>beta1</c>, <c>beta2</c>, <c>eps</c>, <c>weight_decay</c>.
/// </summary>
public class Adam : Optimizer
{
    private readonly bool _decoupled;

    /// <summary>Creates the optimizer.</summary>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 0)
        : this([new ParameterGroup(parameters)], lr, betas, eps, weightDecay, decoupled: false) { }

    /// <summary>Creates the optimizer over groups with their own settings; the arguments are the defaults.</summary>
    public Adam(IEnumerable<ParameterGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 0)
        : this(groups, lr, betas, eps, weightDecay, decoupled: false) { }

    /// <summary>
    /// Creates the optimizer, with weight decay applied to the weights directly when <paramref name="decoupled"/>.
    /// </summary>
    protected Adam(IEnumerable<ParameterGroup> groups, double lr, (double Beta1, double Beta2)? betas, double eps,
        double weightDecay, bool decoupled)
        : base(groups, Settings(lr, betas ?? (0.9, 0.999), eps, weightDecay)) => _decoupled = decoupled;

    internal static Dictionary<string, double> Settings(double lr, (double Beta1, double Beta2) betas, double eps,
        double weightDecay) => new()
    {
        ["lr"] = lr, ["beta1"] = betas.Beta1, ["beta2"] = betas.Beta2, ["eps"] = eps, ["weight_decay"] = weightDecay,
    };

    /// <summary>β₁, the decay of the running mean of gradients (the default of the groups).</summary>
    public double Beta1 => Defaults["beta1"];

    /// <summary>β₂, the decay of the running mean of squared gradients (the default of the groups).</summary>
    public double Beta2 => Defaults["beta2"];

    /// <summary>ε, added to the denominator (the default of the groups).</summary>
    public double Eps => Defaults["eps"];

    /// <summary>λ, the weight decay coefficient (the default of the groups).</summary>
    public double WeightDecay => Defaults["weight_decay"];

    /// <inheritdoc/>
    protected override void CheckGroup(ParameterGroup group) => CheckAdamSettings(group);

    /// <inheritdoc/>
    protected override IEnumerable<string> BufferNames(ParameterGroup group) => ["exp_avg", "exp_avg_sq"];

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> w, ReadOnlySpan<T> grad, ParameterState state, ParameterGroup group)
    {
        var m = state.Span<T>("exp_avg");
        var v = state.Span<T>("exp_avg_sq");
        double beta1 = group["beta1"], beta2 = group["beta2"], lr = group.LearningRate,
            weightDecay = group["weight_decay"];
        T b1 = T.CreateChecked(beta1), b2 = T.CreateChecked(beta2), one = T.One;
        T stepSize = T.CreateChecked(lr / (1 - Math.Pow(beta1, state.Step)));
        T sqrtCorrection2 = T.CreateChecked(Math.Sqrt(1 - Math.Pow(beta2, state.Step)));
        T eps = T.CreateChecked(group["eps"]);
        T l2 = _decoupled ? T.Zero : T.CreateChecked(weightDecay);
        T shrink = _decoupled ? T.CreateChecked(1 - lr * weightDecay) : one;
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
    protected override void Update(Tensor w, Tensor grad, ParameterState state, ParameterGroup group)
    {
        var m = state.Buffers["exp_avg"];
        var v = state.Buffers["exp_avg_sq"];
        double beta1 = group["beta1"], beta2 = group["beta2"], lr = group.LearningRate,
            weightDecay = group["weight_decay"];
        double stepSize = lr / (1 - Math.Pow(beta1, state.Step));
        double sqrtCorrection2 = Math.Sqrt(1 - Math.Pow(beta2, state.Step));
        var g = _decoupled || weightDecay == 0 ? grad : grad + w * weightDecay;
        if (_decoupled && weightDecay != 0) w.Copy_(w * (1 - lr * weightDecay));
        m.Copy_(m * beta1 + g * (1 - beta1));
        v.Copy_(v * beta2 + g * g * (1 - beta2));
        w.Copy_(w - m * stepSize / (Tensor.Sqrt(v) / sqrtCorrection2 + group["eps"]));
    }
}

/// <summary>
/// AdamW (torch.optim.AdamW): Adam whose weight decay shrinks the weights directly, w ← w(1 − lr·λ), instead of
/// adding λw to the gradient.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>Creates the optimizer (weight decay 0.01 by default, as PyTorch).</summary>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 1e-2)
        : base([new ParameterGroup(parameters)], lr, betas, eps, weightDecay, decoupled: true) { }

    /// <summary>Creates the optimizer over groups with their own settings; the arguments are the defaults.</summary>
    public AdamW(IEnumerable<ParameterGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 1e-2)
        : base(groups, lr, betas, eps, weightDecay, decoupled: true) { }
}
