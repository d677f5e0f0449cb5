using System.Numerics;

namespace Backprop.Optim;

/// <summary>
/// NAdam (torch.optim.NAdam, the rule of PyTorch 2): Adam with Nesterov momentum whose coefficient
/// μ_t = β₁(1 − ½·0.96^(t·ψ)) warms up with the momentum decay ψ; the update mixes the gradient and the
/// running mean, each over √v̂ + ε, with the products of the μ's as bias corrections. Group settings: <c>lr</c>,
/// <c>beta1</c>, <c>beta2</c>, <c>eps</c>, <c>weight_decay</c>, <c>momentum_decay</c>.
/// </summary>
public sealed class NAdam : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    public NAdam(IEnumerable<Tensor> parameters, double lr = 2e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3)
        : this([new ParameterGroup(parameters)], lr, betas, eps, weightDecay, momentumDecay) { }

    /// <summary>Creates the optimizer over groups with their own settings; the arguments are the defaults.</summary>
    public NAdam(IEnumerable<ParameterGroup> groups, double lr = 2e-3, (double Beta1, double Beta2)? betas = null,
        double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3)
        : base(groups, new Dictionary<string, double>(Adam.Settings(lr, betas ?? (0.9, 0.999), eps, weightDecay))
        {
            ["momentum_decay"] = momentumDecay,
        }) { }

    /// <inheritdoc/>
    protected override void CheckGroup(ParameterGroup group)
    {
        CheckAdamSettings(group);
        CheckNonNegative(group["momentum_decay"], "momentum decay");
    }

    /// <inheritdoc/>
    protected override IEnumerable<string> BufferNames(ParameterGroup group) => ["exp_avg", "exp_avg_sq"];

    // this step's coefficients: of the gradient, of the running mean, and the bias correction of v
    private static (double OfGrad, double OfMean, double Correction2) Coefficients(ParameterState state,
        ParameterGroup group)
    {
        double beta1 = group["beta1"], decay = group["momentum_decay"], lr = group.LearningRate;
        double mu = beta1 * (1 - 0.5 * Math.Pow(0.96, state.Step * decay));
        double muNext = beta1 * (1 - 0.5 * Math.Pow(0.96, (state.Step + 1) * decay));
        double product = state.Scalars.GetValueOrDefault("mu_product", 1) * mu;
        state.Scalars["mu_product"] = product;
        return (lr * (1 - mu) / (1 - product), lr * muNext / (1 - product * muNext), 1 - Math.Pow(group["beta2"],
            state.Step));
    }

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> w, ReadOnlySpan<T> grad, ParameterState state, ParameterGroup group)
    {
        var m = state.Span<T>("exp_avg");
        var v = state.Span<T>("exp_avg_sq");
        var (ofGrad, ofMean, correction2) = Coefficients(state, group);
        T b1 = T.CreateChecked(group["beta1"]), b2 = T.CreateChecked(group["beta2"]), one = T.One;
        T eps = T.CreateChecked(group["eps"]), decay = T.CreateChecked(group["weight_decay"]);
        T c2 = T.CreateChecked(correction2), a = T.CreateChecked(ofGrad), b = T.CreateChecked(ofMean);
        for (int i = 0; i < w.Length; i++)
        {
            T g = grad[i] + decay * w[i];
            m[i] = b1 * m[i] + (one - b1) * g;
            v[i] = b2 * v[i] + (one - b2) * g * g;
            T denominator = T.Sqrt(v[i] / c2) + eps;
            w[i] -= a * (g / denominator);
            w[i] -= b * (m[i] / denominator);
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor w, Tensor grad, ParameterState state, ParameterGroup group)
    {
        var m = state.Buffers["exp_avg"];
        var v = state.Buffers["exp_avg_sq"];
        var (ofGrad, ofMean, correction2) = Coefficients(state, group);
        double beta1 = group["beta1"], beta2 = group["beta2"], weightDecay = group["weight_decay"];
        var g = weightDecay == 0 ? grad : grad + w * weightDecay;
        m.Copy_(m * beta1 + g * (1 - beta1));
        v.Copy_(v * beta2 + g * g * (1 - beta2));
        var denominator = Tensor.Sqrt(v / correction2) + group["eps"];
        w.Copy_(w - g / denominator * ofGrad - m / denominator * ofMean);
    }
}
