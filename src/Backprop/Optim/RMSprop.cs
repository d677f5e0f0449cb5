using System.Numerics;

namespace Backprop.Optim;

/// <summary>
/// RMSprop (torch.optim.RMSprop): s ← αs + (1 − α)g², w ← w − lr·g / (√s + ε); centered subtracts the squared
/// running mean of g from s, momentum accumulates the scaled steps in a buffer.
/// </summary>
public sealed class RMSprop : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0,
        double momentum = 0, bool centered = false)
        : base(parameters, lr, BufferNames(momentum, centered))
    {
        Alpha = CheckFraction(alpha, "alpha");
        Eps = CheckNonNegative(eps, "epsilon");
        WeightDecay = CheckNonNegative(weightDecay, "weight decay");
        Momentum = CheckNonNegative(momentum, "momentum");
        Centered = centered;
    }

    private static string[] BufferNames(double momentum, bool centered) =>
        [ "square_avg", .. momentum > 0 ? new[] { "momentum_buffer" } : [], .. centered ? new[] { "grad_avg" } : [] ];

    /// <summary>α, the decay of the running mean of squared gradients.</summary>
    public double Alpha { get; }

    /// <summary>ε, added to the denominator.</summary>
    public double Eps { get; }

    /// <summary>λ, the L2 penalty's coefficient added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>μ, the momentum of the steps (0: none).</summary>
    public double Momentum { get; }

    /// <summary>Whether the squared mean is centered by the running mean of gradients.</summary>
    public bool Centered { get; }

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> w, ReadOnlySpan<T> grad, ParameterState state)
    {
        var s = state.Span<T>("square_avg");
        var b = Momentum > 0 ? state.Span<T>("momentum_buffer") : default;
        var mean = Centered ? state.Span<T>("grad_avg") : default;
        T alpha = T.CreateChecked(Alpha), lr = T.CreateChecked(LearningRate), eps = T.CreateChecked(Eps);
        T decay = T.CreateChecked(WeightDecay), mu = T.CreateChecked(Momentum), one = T.One;
        for (int i = 0; i < w.Length; i++)
        {
            T g = grad[i] + decay * w[i];
            s[i] = alpha * s[i] + (one - alpha) * g * g;
            T variance = s[i];
            if (Centered)
            {
                mean[i] = alpha * mean[i] + (one - alpha) * g;
                variance -= mean[i] * mean[i];
            }
            T scaled = g / (T.Sqrt(variance) + eps);
            if (Momentum > 0)
            {
                b[i] = mu * b[i] + scaled;
                w[i] -= lr * b[i];
            }
            else w[i] -= lr * scaled;
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor w, Tensor grad, ParameterState state)
    {
        var g = WeightDecay == 0 ? grad : grad + w * WeightDecay;
        var s = state.Buffers["square_avg"];
        s.Copy_(s * Alpha + g * g * (1 - Alpha));
        var variance = s;
        if (Centered)
        {
            var mean = state.Buffers["grad_avg"];
            mean.Copy_(mean * Alpha + g * (1 - Alpha));
            variance = s - mean * mean;
        }
        var scaled = g / (Tensor.Sqrt(variance) + Eps);
        if (Momentum > 0)
        {
            var b = state.Buffers["momentum_buffer"];
            b.Copy_(b * Momentum + scaled);
            w.Copy_(w - b * LearningRate);
        }
        else w.Copy_(w - scaled * LearningRate);
    }
}
