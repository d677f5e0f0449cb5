using System.Numerics;

namespace Backprop.Optim;

/// <summary>
/// Adamax (torch.optim.Adamax), Adam with the infinity norm: m ← β₁m + (1 − β₁)g, u ← max(β₂u, |g| +
/// ε), w ← w − lr / (1 − β₁ᵗ)·m / u. Weight decay adds λw to the gradient. Group settings: <c>lr</c>,
/// <c>beta1</c>,
/// <c>beta2</c>, <c>eps</c>, <c>weight_decay</c>.
/// </summary>
public sealed class Adamax : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    public Adamax(IEnumerable<Tensor> parameters, double lr = 2e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 0)
        : this([new ParameterGroup(parameters)], lr, betas, eps, weightDecay) { }

    /// <summary>Creates the optimizer over groups with their own settings; the arguments are the defaults.</summary>
    public Adamax(IEnumerable<ParameterGroup> groups, double lr = 2e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 0)
        : base(groups, Adam.Settings(lr, betas ?? (0.9, 0.999), eps, weightDecay)) { }

    /// <inheritdoc/>
    protected override void CheckGroup(ParameterGroup group) => CheckAdamSettings(group);

    /// <inheritdoc/>
    protected override IEnumerable<string> BufferNames(ParameterGroup group) => ["exp_avg", "exp_inf"];

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> w, ReadOnlySpan<T> grad, ParameterState state, ParameterGroup group)
    {
        var m = state.Span<T>("exp_avg");
        var u = state.Span<T>("exp_inf");
        double beta1 = group["beta1"];
        T b1 = T.CreateChecked(beta1), b2 = T.CreateChecked(group["beta2"]), eps = T.CreateChecked(group["eps"]);
        T decay = T.CreateChecked(group["weight_decay"]), one = T.One;
        T stepSize = T.CreateChecked(group.LearningRate / (1 - Math.Pow(beta1, state.Step)));
        for (int i = 0; i < w.Length; i++)
        {
            T g = grad[i] + decay * w[i];
            m[i] = b1 * m[i] + (one - b1) * g;
            u[i] = T.Max(b2 * u[i], T.Abs(g) + eps);
            w[i] -= stepSize * (m[i] / u[i]);
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor w, Tensor grad, ParameterState state, ParameterGroup group)
    {
        var m = state.Buffers["exp_avg"];
        var u = state.Buffers["exp_inf"];
        double beta1 = group["beta1"], weightDecay = group["weight_decay"];
        var g = weightDecay == 0 ? grad : grad + w * weightDecay;
        m.Copy_(m * beta1 + g * (1 - beta1));
        u.Copy_(Tensor.Maximum(u * group["beta2"], g.Abs() + group["eps"]));
        w.Copy_(w - m / u * (group.LearningRate / (1 - Math.Pow(beta1, state.Step))));
    }
}
