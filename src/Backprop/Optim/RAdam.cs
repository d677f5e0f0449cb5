using System.Numerics;

namespace Backprop.Optim;

/// <summary>
/// RAdam (torch.optim.RAdam): Adam whose adaptive step is rectified by r_t while the variance of v̂ is tractable
/// (ρ_t &gt; 5), and plain momentum SGD on m̂ before that. Weight decay adds λw to the gradient. Group settings:
/// <c>lr</c>, <c>beta1</c>, <c>beta2</c>, <c>eps</c>, <c>weight_decay</c>.
/// </summary>
public sealed class RAdam : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    public RAdam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 0)
        : this([new ParameterGroup(parameters)], lr, betas, eps, weightDecay) { }

    /// <summary>Creates the optimizer over groups with their own settings; the arguments are the defaults.</summary>
    public RAdam(IEnumerable<ParameterGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 0)
        : base(groups, Adam.Settings(lr, betas ?? (0.9, 0.999), eps, weightDecay)) { }

    /// <inheritdoc/>
    protected override void CheckGroup(ParameterGroup group) => CheckAdamSettings(group);

    /// <inheritdoc/>
    protected override IEnumerable<string> BufferNames(ParameterGroup group) => ["exp_avg", "exp_avg_sq"];

    // the step on m̂ and, once rectified, the factor √(1 − β₂ᵗ)·r_t of 1 / (√v + ε) (0 before)
    private static (double StepSize, double Adaptive) Coefficients(ParameterState state, ParameterGroup group)
    {
        double beta1 = group["beta1"], beta2 = group["beta2"], t = state.Step;
        double correction1 = 1 - Math.Pow(beta1, t), correction2 = 1 - Math.Pow(beta2, t);
        double rhoInf = 2 / (1 - beta2) - 1;
        double rho = rhoInf - 2 * t * Math.Pow(beta2, t) / correction2;
        double stepSize = group.LearningRate / correction1;
        if (rho <= 5) return (stepSize, 0);
        double rect = Math.Sqrt((rho - 4) * (rho - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rho));
        return (stepSize, Math.Sqrt(correction2) * rect);
    }

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> w, ReadOnlySpan<T> grad, ParameterState state, ParameterGroup group)
    {
        var m = state.Span<T>("exp_avg");
        var v = state.Span<T>("exp_avg_sq");
        var (stepSize, adaptive) = Coefficients(state, group);
        T b1 = T.CreateChecked(group["beta1"]), b2 = T.CreateChecked(group["beta2"]), one = T.One;
        T eps = T.CreateChecked(group["eps"]), decay = T.CreateChecked(group["weight_decay"]);
        T size = T.CreateChecked(stepSize), factor = T.CreateChecked(adaptive);
        bool rectified = adaptive != 0;
        for (int i = 0; i < w.Length; i++)
        {
            T g = grad[i] + decay * w[i];
            m[i] = b1 * m[i] + (one - b1) * g;
            v[i] = b2 * v[i] + (one - b2) * g * g;
            w[i] -= rectified ? m[i] * size * (factor / (T.Sqrt(v[i]) + eps)) : m[i] * size;
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor w, Tensor grad, ParameterState state, ParameterGroup group)
    {
        var m = state.Buffers["exp_avg"];
        var v = state.Buffers["exp_avg_sq"];
        var (stepSize, adaptive) = Coefficients(state, group);
        double beta1 = group["beta1"], beta2 = group["beta2"], weightDecay = group["weight_decay"];
        var g = weightDecay == 0 ? grad : grad + w * weightDecay;
        m.Copy_(m * beta1 + g * (1 - beta1));
        v.Copy_(v * beta2 + g * g * (1 - beta2));
        w.Copy_(adaptive == 0 ? w - m * stepSize : w - m * stepSize * (adaptive / (Tensor.Sqrt(v) + group["eps"])));
    }
}
