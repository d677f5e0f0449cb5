using System.Numerics;

namespace Backprop.Optim;

/// <summary>What an optimizer remembers about one parameter: named buffers of its shape and the steps taken.</summary>
public sealed class ParameterState
{
    /// <summary>Buffers by PyTorch's state names (as <c>momentum_buffer</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>, <c>square_avg</c>).</summary>
    public Dictionary<string, Tensor> Buffers { get; } = [];

    /// <summary>How many updates this parameter has had.</summary>
    public long Step { get; set; }

    // taken only to update the buffer in place: counted as one write of it
    internal Span<T> Span<T>(string name) where T : unmanaged
    {
        var buffer = Buffers[name];
        buffer.BumpVersion();
        return buffer.AsSpan<T>();
    }
}

/// <summary>
/// Updates parameters from their gradients (torch.optim.Optimizer). <see cref="Step"/> runs under no-grad and
/// writes each parameter's storage in one fused loop over spans: no graph and no allocation per step. Each update
/// bumps the parameter's <see cref="Tensor.Version"/>, so a graph recorded before the step cannot be differentiated
/// with the new values.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<Tensor, ParameterState> _state = new(ReferenceEqualityComparer.Instance);
    private readonly List<Tensor> _parameters;
    private double _learningRate;

    /// <summary>Takes the parameters to update (leaves that require grad, contiguous).</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, double learningRate, string[] bufferNames)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToList();
        if (_parameters.Count == 0) throw new ArgumentException($"{GetType().Name}: got an empty parameter list");
        foreach (var p in _parameters)
        {
            if (!p.IsLeaf || !p.RequiresGrad || !p.IsContiguous)
                throw new ArgumentException($"{GetType().Name}: can only update contiguous leaf tensors that require grad; got one of shape {Shapes.Format(p.shape)}");
            if (_state.ContainsKey(p)) throw new ArgumentException($"{GetType().Name}: a parameter of shape {Shapes.Format(p.shape)} appears twice");
            var state = new ParameterState();
            foreach (var name in bufferNames) state.Buffers[name] = Tensor.ZerosLike(p);
            foreach (var buffer in state.Buffers.Values) TensorScope.Escape(buffer.storage);
            _state[p] = state;
        }
        LearningRate = learningRate;
        InitialLearningRate = learningRate;
    }

    /// <summary>The parameters this optimizer updates.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>The step size; schedulers change it between epochs.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set => _learningRate = CheckNonNegative(value, "learning rate");
    }

    /// <summary>The learning rate given at construction, which schedulers scale.</summary>
    public double InitialLearningRate { get; }

    /// <summary>The optimizer's state for <paramref name="parameter"/>.</summary>
    public ParameterState State(Tensor parameter) => _state.TryGetValue(parameter, out var s) ? s
        : throw new ArgumentException($"{GetType().Name}: the tensor of shape {Shapes.Format(parameter.shape)} is not one of its parameters");

    /// <summary>
    /// Clears every parameter's gradient: sets it to null (PyTorch's default), or with <paramref name="setToNone"/>
    /// false fills it with zeros, so the next backward pass adds into the same memory instead of allocating.
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var p in _parameters)
        {
            if (setToNone) p.Grad = null;
            else p.Grad?.Zero_();
        }
    }

    /// <summary>Updates every parameter that has a gradient; parameters without one are skipped, as in PyTorch.</summary>
    public void Step()
    {
        // Writes go straight to the spans, so no graph can record them; an index loop keeps the step allocation-free.
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            if (p.Grad is not { } grad) continue;
            if (!grad.IsContiguous)
                using (Autograd.NoGrad()) grad = grad.Contiguous();
            var state = _state[p];
            state.Step++;
            if (p.Device.Type != DeviceType.Cpu)
            {
                using (Autograd.NoGrad()) Update(p, grad, state);
                continue;
            }
            p.BumpVersion();
            if (p.DType == DType.Float32) Update(p.AsSpan<float>(), grad.AsSpan<float>(), state);
            else Update(p.AsSpan<double>(), grad.AsSpan<double>(), state);
        }
    }

    /// <summary>One update of <paramref name="parameter"/> in place; <paramref name="state"/>.Step already counts it.</summary>
    protected abstract void Update<T>(Span<T> parameter, ReadOnlySpan<T> grad, ParameterState state)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The same update for a parameter on another device (a GPU), written with tensor ops that run there, so the step
    /// moves no data to the host; called under no-grad. Optimizers without one refuse device parameters.
    /// </summary>
    protected virtual void Update(Tensor parameter, Tensor grad, ParameterState state) =>
        throw new NotSupportedException($"{GetType().Name}: updates parameters on the CPU only; this one is on {parameter.Device}");

    /// <summary>Throws naming the hyperparameter unless <paramref name="value"/> is finite and ≥ 0.</summary>
    protected double CheckNonNegative(double value, string what) =>
        double.IsFinite(value) && value >= 0 ? value
            : throw new ArgumentOutOfRangeException(what, value, $"{GetType().Name}: the {what} must be a finite number ≥ 0, got {value}");

    /// <summary>Throws naming the hyperparameter unless 0 ≤ <paramref name="value"/> &lt; 1.</summary>
    protected double CheckFraction(double value, string what) =>
        value is >= 0 and < 1 ? value
            : throw new ArgumentOutOfRangeException(what, value, $"{GetType().Name}: the {what} must be in [0, 1), got {value}");
}
