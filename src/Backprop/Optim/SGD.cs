using System.Numerics;
using Backprop.Kernels.Cpu;

namespace Backprop.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay, as
/// torch.optim.SGD: g ← g + λw; b ← μb + (1 − τ)g (b ← g on the first step); w ← w − lr·(Nesterov ? g +
/// μb : b). Group settings: <c>lr</c>, <c>momentum</c>, <c>dampening</c>, <c>weight_decay</c>, <c>nesterov</c> (1 or
/// 0).
/// </summary>
public sealed class SGD : Optimizer
{
    /// <summary>Creates the optimizer; Nesterov needs a momentum and no dampening.</summary>
    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0,
        double weightDecay = 0,
        bool nesterov = false)
        : this([new ParameterGroup(parameters)], lr, momentum, dampening, weightDecay, nesterov) { }

    /// <summary>Creates the optimizer over groups with their own settings; the arguments are the defaults.</summary>
    public SGD(IEnumerable<ParameterGroup> groups, double lr, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["momentum"] = momentum, ["dampening"] = dampening, ["weight_decay"] = weightDecay,
            ["nesterov"] = nesterov ? 1 : 0,
        }) { }

    /// <summary>μ, the fraction of the previous step kept (the default of the groups).</summary>
    public double Momentum => Defaults["momentum"];

    /// <summary>τ, the fraction of the gradient left out of the momentum buffer (the default of the groups).</summary>
    public double Dampening => Defaults["dampening"];

    /// <summary>λ, the L2 penalty's coefficient added to the gradient (the default of the groups).</summary>
    public double WeightDecay => Defaults["weight_decay"];

    /// <summary>Whether the step looks ahead along the momentum (the default of the groups).</summary>
    public bool Nesterov => Defaults["nesterov"] != 0;

    /// <inheritdoc/>
    protected override void CheckGroup(ParameterGroup group)
    {
        double momentum = CheckNonNegative(group["momentum"], "momentum");
        double dampening = CheckNonNegative(group["dampening"], "dampening");
        CheckNonNegative(group["weight_decay"], "weight decay");
        if (group["nesterov"] != 0 && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"SGD: Nesterov momentum needs momentum > 0 and dampening 0, got momentum " +
                $"{momentum} and dampening {dampening}");
    }

    /// <inheritdoc/>
    protected override IEnumerable<string> BufferNames(ParameterGroup group) =>
        group["momentum"] > 0 ? ["momentum_buffer"] : [];

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> w, ReadOnlySpan<T> grad, ParameterState state, ParameterGroup group)
    {
        double momentum = group["momentum"], weightDecay = group["weight_decay"];
        T lr = T.CreateChecked(group.LearningRate), decay = T.CreateChecked(weightDecay),
            mu = T.CreateChecked(momentum);
        T kept = T.CreateChecked(1 - group["dampening"]);
        if (momentum == 0 && weightDecay == 0)
        {
            // w ← w − lr·g in one vectorized pass (split over threads when long)
            ParallelSpans.MultiplyAdd(grad, -lr, w);
            return;
        }
        if (momentum == 0)
        {
            for (int i = 0; i < w.Length; i++) w[i] -= lr * (grad[i] + decay * w[i]);
            return;
        }
        var b = state.Span<T>("momentum_buffer");
        bool first = state.Step == 1, nesterov = group["nesterov"] != 0;
        for (int i = 0; i < w.Length; i++)
        {
            T g = grad[i] + decay * w[i];
            b[i] = first ? g : mu * b[i] + kept * g;
            w[i] -= lr * (nesterov ? g + mu * b[i] : b[i]);
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor w, Tensor grad, ParameterState state, ParameterGroup group)
    {
        double momentum = group["momentum"], weightDecay = group["weight_decay"], lr = group.LearningRate;
        var g = weightDecay == 0 ? grad : grad + w * weightDecay;
        if (momentum == 0)
        {
            w.Copy_(w - g * lr);
            return;
        }
        var b = state.Buffers["momentum_buffer"];
        b.Copy_(state.Step == 1 ? g : b * momentum + g * (1 - group["dampening"]));
        w.Copy_(w - (group["nesterov"] != 0 ? g + b * momentum : b) * lr);
    }
}
