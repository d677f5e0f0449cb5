using System.Numerics;

namespace Backprop.Optim;

/// <summary>
/// Adagrad (torch.optim.Adagrad): s ← s + g², w ← w − lr_t·g / (√s + ε) with lr_t = lr / (1 + (t −
/// 1)·lr_decay); s starts at <c>initial_accumulator_value</c>. Weight decay adds λw to the gradient. Group settings:
/// <c>lr</c>,
/// <c>lr_decay</c>, <c>weight_decay</c>, <c>initial_accumulator_value</c>, <c>eps</c>.
/// </summary>
public sealed class Adagrad : Optimizer
{
    /// <summary>Creates the optimizer.</summary>
    public Adagrad(IEnumerable<Tensor> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10)
        : this([new ParameterGroup(parameters)], lr, lrDecay, weightDecay, initialAccumulatorValue, eps) { }

    /// <summary>Creates the optimizer over groups with their own settings; the arguments are the defaults.</summary>
    public Adagrad(IEnumerable<ParameterGroup> groups, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr, ["lr_decay"] = lrDecay, ["weight_decay"] = weightDecay,
            ["initial_accumulator_value"] = initialAccumulatorValue, ["eps"] = eps,
        }) { }

    /// <inheritdoc/>
    protected override void CheckGroup(ParameterGroup group)
    {
        CheckNonNegative(group["lr_decay"], "learning rate decay");
        CheckNonNegative(group["weight_decay"], "weight decay");
        CheckNonNegative(group["initial_accumulator_value"], "initial accumulator value");
        CheckNonNegative(group["eps"], "epsilon");
    }

    /// <inheritdoc/>
    protected override IEnumerable<string> BufferNames(ParameterGroup group) => ["sum"];

    /// <inheritdoc/>
    protected override double InitialValue(string buffer, ParameterGroup group) => group["initial_accumulator_value"];

    private static double StepSize(ParameterState state, ParameterGroup group) =>
        group.LearningRate / (1 + (state.Step - 1) * group["lr_decay"]);

    /// <inheritdoc/>
    protected override void Update<T>(Span<T> w, ReadOnlySpan<T> grad, ParameterState state, ParameterGroup group)
    {
        var sum = state.Span<T>("sum");
        T decay = T.CreateChecked(group["weight_decay"]), eps = T.CreateChecked(group["eps"]);
        T stepSize = T.CreateChecked(StepSize(state, group));
        for (int i = 0; i < w.Length; i++)
        {
            T g = grad[i] + decay * w[i];
            sum[i] += g * g;
            w[i] -= stepSize * (g / (T.Sqrt(sum[i]) + eps));
        }
    }

    /// <inheritdoc/>
    protected override void Update(Tensor w, Tensor grad, ParameterState state, ParameterGroup group)
    {
        var sum = state.Buffers["sum"];
        double weightDecay = group["weight_decay"];
        var g = weightDecay == 0 ? grad : grad + w * weightDecay;
        sum.Copy_(sum + g * g);
        w.Copy_(w - g / (Tensor.Sqrt(sum) + group["eps"]) * StepSize(state, group));
    }
}
