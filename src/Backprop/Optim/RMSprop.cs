using System.Numerics;

namespace Backprop.Optim;

/// <summary>
/// RMSprop (torch.optim.RMSprop): s ← αs + (1 − α)g², w ← w − lr·g / (√s + ε); centered subtracts the
/// squared running mean of g from s, momentum accumulates the scaled steps in a buffer.
/// </summary>
public sealed class RMSprop : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false)
        : this([new ParameterGroup(parameters)], lr, alpha, eps, weightDecay, momentum, centered) { }

    /// <summary>Creates the optimizer over groups with their own settings; the arguments are the defaults.</summary>
    public RMSprop(IEnumerable<ParameterGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["alpha"] = alpha, ["eps"] = eps, ["weight_decay"] = weightDecay, ["momentum"] = momentum,
            ["centered"] = centered ? 1 : 0,
        }) { }

    /// <summary>α, the decay of the running mean of squared gradients (the default of the groups).</summary>
    public double Alpha => Defaults["alpha"];

    /// <summary>ε, added to the denominator (the default of the groups).</summary>
    public double Eps => Defaults["eps"];

    /// <summary>λ, the L2 penalty's coefficient added to the gradient (the default of the groups).</summary>
    public double WeightDecay => Defaults["weight_decay"];

    /// <summary>μ, the momentum of the steps (0: none; the default of the groups).</summary>
    public double Momentum => Defaults["momentum"];

    /// <summary>Whether the squared mean is centered by the mean of gradients (the default of the groups).</summary>
    public bool Centered => Defaults["centered"] != 0;

    /// <inheritdoc/>
    protected override void CheckGroup(ParameterGroup group)
    {
        CheckFraction(group["alpha"], "alpha");
        CheckNonNegative(group["eps"], "epsilon");
        CheckNonNegative(group["weight_decay"], "weight decay");
        CheckNonNegative(group["momentum"], "momentum");
    }

    /// <inheritdoc/>
    protected override IEnumerable<string> BufferNames(ParameterGroup group) =>
        ["square_avg", .. group["momentum"] > 0 ? new[] { "momentum_buffer" } : [],
            .. group["centered"] != 0 ? new[] { "grad_avg" } : []];

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> w, ReadOnlySpan<T> grad, ParameterState state, ParameterGroup group)
    {
        double momentum = group["momentum"];
        bool centered = group["centered"] != 0;
        var s = state.Span<T>("square_avg");
        var b = momentum > 0 ? state.Span<T>("momentum_buffer") : default;
        var mean = centered ? state.Span<T>("grad_avg") : default;
        T alpha = T.CreateChecked(group["alpha"]), lr = T.CreateChecked(group.LearningRate);
        T eps = T.CreateChecked(group["eps"]), decay = T.CreateChecked(group["weight_decay"]);
        T mu = T.CreateChecked(momentum), one = T.One;
        for (int i = 0; i < w.Length; i++)
        {
            T g = grad[i] + decay * w[i];
            s[i] = alpha * s[i] + (one - alpha) * g * g;
            T variance = s[i];
            if (centered)
            {
                mean[i] = alpha * mean[i] + (one - alpha) * g;
                variance -= mean[i] * mean[i];
            }
            T scaled = g / (T.Sqrt(variance) + eps);
            if (momentum > 0)
            {
                b[i] = mu * b[i] + scaled;
                w[i] -= lr * b[i];
            }
            else w[i] -= lr * scaled;
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor w, Tensor grad, ParameterState state, ParameterGroup group)
    {
        double alpha = group["alpha"], momentum = group["momentum"], weightDecay = group["weight_decay"];
        double lr = group.LearningRate;
        var g = weightDecay == 0 ? grad : grad + w * weightDecay;
        var s = state.Buffers["square_avg"];
        s.Copy_(s * alpha + g * g * (1 - alpha));
        var variance = s;
        if (group["centered"] != 0)
        {
            var mean = state.Buffers["grad_avg"];
            mean.Copy_(mean * alpha + g * (1 - alpha));
            variance = s - mean * mean;
        }
        var scaled = g / (Tensor.Sqrt(variance) + group["eps"]);
        if (momentum > 0)
        {
            var b = state.Buffers["momentum_buffer"];
            b.Copy_(b * momentum + scaled);
            w.Copy_(w - b * lr);
        }
        else w.Copy_(w - scaled * lr);
    }
}
