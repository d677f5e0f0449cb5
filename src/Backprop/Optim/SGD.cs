using System.Numerics;
using Backprop.Kernels.Cpu;

namespace Backprop.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay, as
/// torch.optim.SGD: g ← g + λw; b ← μb + (1 − τ)g (b ← g on the first step); w ← w − lr·(Nesterov ? g + μb : b).
/// </summary>
public sealed class SGD : Optimizer
{
    /// <summary>Creates the optimizer; Nesterov needs a momentum and no dampening.</summary>
    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, lr, momentum > 0 ? ["momentum_buffer"] : [])
    {
        Momentum = CheckNonNegative(momentum, "momentum");
        Dampening = CheckNonNegative(dampening, "dampening");
        WeightDecay = CheckNonNegative(weightDecay, "weight decay");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum {momentum} and dampening {dampening}");
        Nesterov = nesterov;
    }

    /// <summary>μ, the fraction of the previous step kept.</summary>
    public double Momentum { get; }

    /// <summary>τ, the fraction of the gradient left out of the momentum buffer.</summary>
    public double Dampening { get; }

    /// <summary>λ, the L2 penalty's coefficient added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether the step looks ahead along the momentum.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> w, ReadOnlySpan<T> grad, ParameterState state)
    {
        T lr = T.CreateChecked(LearningRate), decay = T.CreateChecked(WeightDecay), mu = T.CreateChecked(Momentum);
        T kept = T.CreateChecked(1 - Dampening);
        if (Momentum == 0 && WeightDecay == 0)
        {
            ParallelSpans.MultiplyAdd(grad, -lr, w);  // w ← w − lr·g in one vectorized pass (split over threads when long)
            return;
        }
        if (Momentum == 0)
        {
            for (int i = 0; i < w.Length; i++) w[i] -= lr * (grad[i] + decay * w[i]);
            return;
        }
        var b = state.Span<T>("momentum_buffer");
        bool first = state.Step == 1;
        for (int i = 0; i < w.Length; i++)
        {
            T g = grad[i] + decay * w[i];
            b[i] = first ? g : mu * b[i] + kept * g;
            w[i] -= lr * (Nesterov ? g + mu * b[i] : b[i]);
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor w, Tensor grad, ParameterState state)
    {
        var g = WeightDecay == 0 ? grad : grad + w * WeightDecay;
        if (Momentum == 0)
        {
            w.Copy_(w - g * LearningRate);
            return;
        }
        var b = state.Buffers["momentum_buffer"];
        b.Copy_(state.Step == 1 ? g : b * Momentum + g * (1 - Dampening));
        w.Copy_(w - (Nesterov ? g + b * Momentum : b) * LearningRate);
    }
}
