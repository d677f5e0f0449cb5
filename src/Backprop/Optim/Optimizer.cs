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
    private readonly string[] _bufferNames;
    private double _learningRate;

    /// <summary>
    /// Takes the parameters to update (contiguous floating-point leaves). Frozen ones (not requiring grad) are
    /// accepted and skipped until they require grad again; a parameter's buffers are made at its first update.
    /// </summary>
    protected Optimizer(IEnumerable<Tensor> parameters, double learningRate, string[] bufferNames)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToList();
        _bufferNames = bufferNames;
        if (_parameters.Count == 0) throw new ArgumentException($"{GetType().Name}: got an empty parameter list");
        foreach (var p in _parameters)
        {
            if (!p.IsLeaf || !p.DType.IsFloatingPoint() || !p.IsContiguous)
                throw new ArgumentException($"{GetType().Name}: can only update contiguous floating-point leaf " +
                    $"tensors; got one of shape {Shapes.Format(p.shape)}");
            if (_state.ContainsKey(p)) throw new ArgumentException($"{GetType().Name}: a parameter of shape {Shapes.Format(p.shape)} appears twice");
            _state[p] = new ParameterState();
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

    /// <summary>
    /// The optimizer's state for <paramref name="parameter"/>, its buffers made (zeros) if the parameter has not been
    /// updated yet, so they can be set before the first step.
    /// </summary>
    public ParameterState State(Tensor parameter)
    {
        if (!_state.TryGetValue(parameter, out var state))
            throw new ArgumentException(
                $"{GetType().Name}: the tensor of shape {Shapes.Format(parameter.shape)} is not one of its parameters");
        AddBuffers(parameter, state);
        return state;
    }

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

    /// <summary>
    /// Updates every parameter that requires grad and has a gradient; others are skipped (as in PyTorch for those
    /// without a gradient), and get no state.
    /// </summary>
    public void Step()
    {
        // Writes go straight to the spans, so no graph can record them; an index loop keeps the step allocation-free.
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            if (!p.RequiresGrad || p.Grad is not { } grad) continue;
            if (!grad.IsContiguous)
                using (Autograd.NoGrad()) grad = grad.Contiguous();
            var state = _state[p];
            if (state.Step == 0) AddBuffers(p, state);
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

    // made at the first update, on the parameter's device and dtype then (a module moved before training has them)
    private void AddBuffers(Tensor parameter, ParameterState state)
    {
        foreach (var name in _bufferNames)
            if (!state.Buffers.ContainsKey(name))
            {
                var buffer = Tensor.ZerosLike(parameter);
                TensorScope.Escape(buffer.storage);
                state.Buffers[name] = buffer;
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
