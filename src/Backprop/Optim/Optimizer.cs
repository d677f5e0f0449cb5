using System.Globalization;
using System.Numerics;

namespace Backprop.Optim;

/// <summary>What an optimizer remembers about one parameter: named buffers of its shape and the steps taken.</summary>
public sealed class ParameterState
{
    /// <summary>
    /// Buffers by PyTorch's state names (as <c>momentum_buffer</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>,
    /// <c>square_avg</c>).
    /// </summary>
    public Dictionary<string, Tensor> Buffers { get; } = [];

    /// <summary>How many updates this parameter has had.</summary>
    public long Step { get; set; }

    /// <summary>Scalars the update carries from step to step (as NAdam's <c>mu_product</c>).</summary>
    public Dictionary<string, double> Scalars { get; } = [];

    // taken only to update the buffer in place: counted as one write of it
    internal Span<T> Span<T>(string name) where T : unmanaged
    {
        var buffer = Buffers[name];
        buffer.BumpVersion();
        return buffer.AsSpan<T>();
    }
}

/// <summary>
/// Parameters that share hyper-parameters (PyTorch's param group): the learning rate <c>lr</c>, <c>weight_decay</c>
/// and the optimizer's others, by PyTorch's names (<c>momentum</c>, <c>beta1</c>, <c>beta2</c>, <c>eps</c>, …; a
/// flag is 1 or 0). Options a group leaves unset take the optimizer's defaults when the optimizer is made.
/// </summary>
public sealed class ParameterGroup
{
    private readonly Dictionary<string, double> _options = [];

    /// <summary>A group of <paramref name="parameters"/> with its own settings, in PyTorch's names.</summary>
    public ParameterGroup(IEnumerable<Tensor> parameters, double? lr = null, double? weightDecay = null,
        IReadOnlyDictionary<string, double>? options = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Parameters = parameters.ToList();
        if (options is not null)
            foreach (var (name, value) in options) this[name] = value;
        if (lr is { } rate) this["lr"] = rate;
        if (weightDecay is { } decay) this["weight_decay"] = decay;
    }

    /// <summary>The group's parameters.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The group's settings by PyTorch's names.</summary>
    public IReadOnlyDictionary<string, double> Options => _options;

    /// <summary>A setting by PyTorch's name; refuses a name the group does not have, and non-finite values.</summary>
    public double this[string option]
    {
        get => _options.TryGetValue(option, out var value) ? value : throw new KeyNotFoundException(
            $"ParameterGroup: no option '{option}'; it has {string.Join(", ", _options.Keys)}");
        set => _options[option] = double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(
            option, value, $"ParameterGroup: the {option} must be a finite number, got {value}");
    }

    /// <summary>The learning rate (<c>lr</c>); schedulers set it.</summary>
    public double LearningRate
    {
        get => this["lr"];
        set => this["lr"] = value >= 0 ? value : throw new ArgumentOutOfRangeException(
            nameof(value), value, $"ParameterGroup: the learning rate must be a finite number ≥ 0, got {value}");
    }

    /// <summary>The learning rate the group started with (<c>initial_lr</c>), which schedulers scale.</summary>
    public double InitialLearningRate => this["initial_lr"];

    internal void Fill(IReadOnlyDictionary<string, double> defaults)
    {
        foreach (var (name, value) in defaults)
            if (!_options.ContainsKey(name)) _options[name] = value;
        if (!_options.ContainsKey("initial_lr")) _options["initial_lr"] = this["lr"];
    }
}

/// <summary>
/// Updates parameters from their gradients (torch.optim.Optimizer), group by group with each group's settings.
/// <see cref="Step"/> runs under no-grad and writes each parameter's storage in one fused loop over spans: no graph
/// and no allocation per step. Each update bumps the parameter's <see cref="Tensor.Version"/>, so a graph recorded
/// before the step cannot be differentiated with the new values.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<Tensor, ParameterState> _state = new(ReferenceEqualityComparer.Instance);
    private readonly List<ParameterGroup> _groups = [];
    private readonly List<Tensor> _parameters = [];

    /// <summary>
    /// Takes groups of parameters (contiguous floating-point leaves) and the defaults of the settings the groups
    /// leave unset. Frozen parameters (not requiring grad) are accepted and skipped until they require grad again;
    /// a parameter's buffers are made at its first update.
    /// </summary>
    protected Optimizer(IEnumerable<ParameterGroup> groups, IReadOnlyDictionary<string, double> defaults)
    {
        ArgumentNullException.ThrowIfNull(groups);
        Defaults = new Dictionary<string, double>(defaults);
        foreach (var group in groups) AddParamGroup(group);
        if (_parameters.Count == 0) throw new ArgumentException($"{GetType().Name}: got an empty parameter list");
    }

    /// <summary>The settings a group takes when it sets none of its own.</summary>
    public IReadOnlyDictionary<string, double> Defaults { get; }

    /// <summary>The groups, in order.</summary>
    public IReadOnlyList<ParameterGroup> ParamGroups => _groups;

    /// <summary>Every parameter this optimizer updates, group after group.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>
    /// Adds a group (PyTorch's <c>add_param_group</c>), such as layers unfrozen for fine-tuning; its unset settings
    /// take the defaults. Refuses a parameter already in a group and settings out of range.
    /// </summary>
    public void AddParamGroup(ParameterGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        group.Fill(Defaults);
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var p in group.Parameters)
        {
            if (!p.IsLeaf || !p.DType.IsFloatingPoint() || !p.IsContiguous)
                throw new ArgumentException($"{GetType().Name}: can only update contiguous floating-point leaf " +
                    $"tensors; got one of shape {Shapes.Format(p.shape)}");
            if (_state.ContainsKey(p) || !seen.Add(p))
                throw new ArgumentException($"{GetType().Name}: a parameter of shape {Shapes.Format(p.shape)} " +
                    $"appears twice");
        }
        CheckNonNegative(group.LearningRate, "learning rate");
        CheckGroup(group);
        foreach (var p in group.Parameters)
        {
            _state[p] = new ParameterState();
            _parameters.Add(p);
        }
        _groups.Add(group);
    }

    /// <summary>Checks a group's settings (after defaults are filled in); throws naming the one out of range.</summary>
    protected virtual void CheckGroup(ParameterGroup group) { }

    /// <summary>The names of the buffers a parameter of <paramref name="group"/> keeps.</summary>
    protected abstract IEnumerable<string> BufferNames(ParameterGroup group);

    /// <summary>The value a new buffer starts at (0 unless the optimizer says otherwise).</summary>
    protected virtual double InitialValue(string buffer, ParameterGroup group) => 0;

    /// <summary>The first group's learning rate; setting it sets every group's.</summary>
    public double LearningRate
    {
        get => _groups[0].LearningRate;
        set
        {
            CheckNonNegative(value, "learning rate");
            foreach (var group in _groups) group.LearningRate = value;
        }
    }

    /// <summary>The first group's learning rate at construction, which schedulers scale.</summary>
    public double InitialLearningRate => _groups[0].InitialLearningRate;

    /// <summary>
    /// The optimizer's state for <paramref name="parameter"/>, its buffers made if the parameter has not been
    /// updated yet, so they can be set before the first step.
    /// </summary>
    public ParameterState State(Tensor parameter)
    {
        if (!_state.TryGetValue(parameter, out var state))
            throw new ArgumentException(
                $"{GetType().Name}: the tensor of shape {Shapes.Format(parameter.shape)} is not one of its parameters");
        AddBuffers(parameter, state, GroupOf(parameter));
        return state;
    }

    private ParameterGroup GroupOf(Tensor parameter) =>
        _groups.First(g => g.Parameters.Any(p => ReferenceEquals(p, parameter)));

    // made at the first update, on the parameter's device and dtype then (a module moved before training has them)
    private void AddBuffers(Tensor parameter, ParameterState state, ParameterGroup group)
    {
        foreach (var name in BufferNames(group))
            if (!state.Buffers.ContainsKey(name))
            {
                double initial = InitialValue(name, group);
                var buffer = initial == 0 ? Tensor.ZerosLike(parameter)
                    : Tensor.Full(parameter.Shape, initial, parameter.DType, parameter.Device);
                TensorScope.Escape(buffer.storage);
                state.Buffers[name] = buffer;
            }
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
    /// Updates every parameter that requires grad and has a gradient, with its group's settings; others are skipped
    /// (as in PyTorch for those without a gradient), and get no state.
    /// </summary>
    public virtual void Step()
    {
        // Writes go straight to the spans, so no graph can record them; index loops keep the step allocation-free.
        for (int g = 0; g < _groups.Count; g++)
        {
            var group = _groups[g];
            for (int i = 0; i < group.Parameters.Count; i++)
            {
                var p = group.Parameters[i];
                if (!p.RequiresGrad || p.Grad is not { } grad) continue;
                if (!grad.IsContiguous)
                    using (Autograd.NoGrad()) grad = grad.Contiguous();
                var state = _state[p];
                if (state.Step == 0) AddBuffers(p, state, group);
                state.Step++;
                if (p.Device.Type != DeviceType.Cpu)
                {
                    using (Autograd.NoGrad()) Update(p, grad, state, group);
                    continue;
                }
                p.BumpVersion();
                if (p.DType == DType.Float32) Update(p.AsSpan<float>(), grad.AsSpan<float>(), state, group);
                else Update(p.AsSpan<double>(), grad.AsSpan<double>(), state, group);
            }
        }
    }

    /// <summary>
    /// One update of <paramref name="parameter"/> in place with <paramref name="group"/>'s settings;
    /// <paramref name="state"/>.Step already counts it.
    /// </summary>
    protected abstract void Update<T>(Span<T> parameter, ReadOnlySpan<T> grad, ParameterState state,
        ParameterGroup group)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>
    /// The same update for a parameter on another device (a GPU), written with tensor ops that run there, so the step
    /// moves no data to the host; called under no-grad. Optimizers without one refuse device parameters.
    /// </summary>
    protected virtual void Update(Tensor parameter, Tensor grad, ParameterState state, ParameterGroup group) =>
        throw new NotSupportedException(
            $"{GetType().Name}: updates parameters on the CPU only; this one is on {parameter.Device}");

    /// <summary>
    /// The optimizer's state as tensors, in PyTorch's layout flattened to names, so it saves as safetensors:
    /// <c>state.{i}.step</c> and <c>state.{i}.{buffer}</c> for the i-th parameter (counted across groups) that has
    /// state, and <c>param_groups.{g}.{option}</c> for each group's settings. Buffers are copies.
    /// </summary>
    public virtual Dictionary<string, Tensor> StateDict()
    {
        var dict = new Dictionary<string, Tensor>();
        for (int i = 0; i < _parameters.Count; i++)
        {
            var state = _state[_parameters[i]];
            if (state.Step == 0 && state.Buffers.Count == 0) continue;
            dict[$"state.{i}.step"] = Tensor.FromArray([state.Step], []);
            foreach (var (name, value) in state.Scalars) dict[$"state.{i}.{name}"] = Tensor.Scalar(value,
                DType.Float64);
            using (Autograd.NoGrad())
                foreach (var (name, buffer) in state.Buffers) dict[$"state.{i}.{name}"] = buffer.Clone();
        }
        for (int g = 0; g < _groups.Count; g++)
        {
            foreach (var (name, value) in _groups[g].Options) dict[$"param_groups.{g}.{name}"] = Tensor.Scalar(value,
                DType.Float64);
            dict[$"param_groups.{g}.params"] = Tensor.FromArray(Enumerable.Range(0, _groups[g].Parameters.Count)
                .Select(k => (long)(_groups.Take(g).Sum(h => h.Parameters.Count) + k)).ToArray());
        }
        return dict;
    }

    /// <summary>
    /// Restores a state written by <see cref="StateDict"/> of an optimizer of the same kind over parameters of the
    /// same shapes, in the same groups: buffers (moved to each parameter's device and dtype), steps and settings.
    /// Refuses, changing nothing, when the groups, the names or the shapes do not fit.
    /// </summary>
    public virtual void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var problems = new List<string>();
        for (int g = 0; g < _groups.Count; g++)
            if (!state.TryGetValue($"param_groups.{g}.params", out var ids) || ids.Numel != _groups[g].Parameters.Count)
                problems.Add($"group {g} has {_groups[g].Parameters.Count} parameters but the state " +
                    (ids is null ? "has no such group" : $"lists {ids.Numel}"));
        if (state.ContainsKey($"param_groups.{_groups.Count}.params"))
            problems.Add($"the state has more than {_groups.Count} groups");
        var byParameter = new Dictionary<int, List<(string Name, Tensor Value)>>();
        foreach (var (key, value) in state)
        {
            var parts = key.Split('.', 3);
            if (parts.Length != 3 || parts[0] is not ("state" or "param_groups")
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                problems.Add($"unexpected entry {key}");
            else if (parts[0] == "state" && index >= _parameters.Count)
                problems.Add($"{key} is for parameter {index} but there are {_parameters.Count}");
            else if (parts[0] == "state" && BufferNames(GroupOf(_parameters[index])).Contains(parts[2])
                && !Shapes.Equal(value.shape, _parameters[index].shape))
                problems.Add($"{key} has shape {Shapes.Format(value.shape)} but the parameter's is " +
                    Shapes.Format(_parameters[index].shape));
            else if (parts[0] == "state")
            {
                if (!byParameter.TryGetValue(index, out var list)) byParameter[index] = list = [];
                list.Add((parts[2], value));
            }
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{GetType().Name}: the state dict does not fit: " +
                string.Join("; ", problems.Take(5)) + (problems.Count > 5 ? $" and {problems.Count - 5} more" : ""));
        for (int g = 0; g < _groups.Count; g++)
            foreach (var (key, value) in state)
                if (key.StartsWith($"param_groups.{g}.", StringComparison.Ordinal) && !key.EndsWith(".params",
                    StringComparison.Ordinal))
                    _groups[g][key[$"param_groups.{g}.".Length..]] = value.To(DType.Float64).Item();
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            var buffers = BufferNames(GroupOf(p)).ToHashSet();
            var fresh = new ParameterState();
            if (byParameter.TryGetValue(i, out var entries))
                using (Autograd.NoGrad())
                    foreach (var (name, value) in entries)
                        if (name == "step") fresh.Step = value.To(DType.Int64).Item<long>();
                        else if (!buffers.Contains(name)) fresh.Scalars[name] = value.To(DType.Float64).Item();
                        else
                        {
                            var buffer = value.To(p.DType).To(p.Device).Clone();
                            TensorScope.Escape(buffer.storage);
                            fresh.Buffers[name] = buffer;
                        }
            _state[p] = fresh;
        }
    }

    /// <summary>Throws naming the hyperparameter unless <paramref name="value"/> is finite and ≥ 0.</summary>
    protected double CheckNonNegative(double value, string what) =>
        double.IsFinite(value) && value >= 0 ? value
            : throw new ArgumentOutOfRangeException(what, value,
                $"{GetType().Name}: the {what} must be a finite number ≥ 0, got {value}");

    /// <summary>Checks the settings the Adam family shares: β₁ and β₂ in [0, 1), ε and weight decay ≥
    /// 0.</summary>
    protected void CheckAdamSettings(ParameterGroup group)
    {
        CheckFraction(group["beta1"], "beta1");
        CheckFraction(group["beta2"], "beta2");
        CheckNonNegative(group["eps"], "epsilon");
        CheckNonNegative(group["weight_decay"], "weight decay");
    }

    /// <summary>Throws naming the hyperparameter unless 0 ≤ <paramref name="value"/> &lt; 1.</summary>
    protected double CheckFraction(double value, string what) =>
        value is >= 0 and < 1 ? value
            : throw new ArgumentOutOfRangeException(what, value,
                $"{GetType().Name}: the {what} must be in [0, 1), got {value}");
}
