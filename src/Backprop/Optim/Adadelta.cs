using System.Numerics;

namespace Backprop.Optim;

/// <summary>
/// Adadelta (torch.optim.Adadelta): s ← ρs + (1 − ρ)g², Δ ← √(a + ε) / √(s + ε)·g, a ← ρa + (1 −
/// ρ)Δ², w ← w − lr·Δ. Weight decay adds λw to the gradient. Group settings: <c>lr</c>, <c>rho</c>,
/// <c>eps</c>,
/// <c>weight_decay</c>.
/// </summary>
public sealed class Adadelta : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    public Adadelta(IEnumerable<Tensor> parameters, double lr = 1, double rho = 0.9, double eps = 1e-6,
        double weightDecay = 0)
        : this([new ParameterGroup(parameters)], lr, rho, eps, weightDecay) { }

    /// <summary>Creates the optimizer over groups with their own settings; the arguments are the defaults.</summary>
    public Adadelta(IEnumerable<ParameterGroup> groups, double lr = 1, double rho = 0.9, double eps = 1e-6,
        double weightDecay = 0)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["rho"] = rho, ["eps"] = eps, ["weight_decay"] = weightDecay,
        }) { }

    /// <inheritdoc/>
    protected override void CheckGroup(ParameterGroup group)
    {
        if (!(group["rho"] is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException("rho", group["rho"],
                $"Adadelta: rho must be in [0, 1], got {group["rho"]}");
        CheckNonNegative(group["eps"], "epsilon");
        CheckNonNegative(group["weight_decay"], "weight decay");
    }

    /// <inheritdoc/>
    protected override IEnumerable<string> BufferNames(ParameterGroup group) => ["square_avg", "acc_delta"];

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> w, ReadOnlySpan<T> grad, ParameterState state, ParameterGroup group)
    {
        var s = state.Span<T>("square_avg");
        var a = state.Span<T>("acc_delta");
        T rho = T.CreateChecked(group["rho"]), eps = T.CreateChecked(group["eps"]), one = T.One;
        T decay = T.CreateChecked(group["weight_decay"]), lr = T.CreateChecked(group.LearningRate);
        for (int i = 0; i < w.Length; i++)
        {
            T g = grad[i] + decay * w[i];
            s[i] = rho * s[i] + (one - rho) * g * g;
            T delta = T.Sqrt(a[i] + eps) / T.Sqrt(s[i] + eps) * g;
            a[i] = rho * a[i] + (one - rho) * delta * delta;
            w[i] -= lr * delta;
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor w, Tensor grad, ParameterState state, ParameterGroup group)
    {
        var s = state.Buffers["square_avg"];
        var a = state.Buffers["acc_delta"];
        double rho = group["rho"], eps = group["eps"], weightDecay = group["weight_decay"];
        var g = weightDecay == 0 ? grad : grad + w * weightDecay;
        s.Copy_(s * rho + g * g * (1 - rho));
        var delta = Tensor.Sqrt(a + eps) / Tensor.Sqrt(s + eps) * g;
        a.Copy_(a * rho + delta * delta * (1 - rho));
        w.Copy_(w - delta * group.LearningRate);
    }
}
