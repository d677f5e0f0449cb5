using System.Text;
using Backprop.IO;

namespace Backprop.Nn;

/// <summary>
/// A layer or a network of layers (torch.nn.Module): it owns named parameters (trained), buffers (state that is
/// saved but not trained, as BatchNorm's running statistics) and child modules, and maps an input to an output
/// in <see cref="Forward"/>. Names in <see cref="NamedParameters"/> and <see cref="StateDict"/> are dotted paths
/// through the children, as in PyTorch (<c>0.weight</c>, <c>encoder.1.bias</c>).
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor Value)> _parameters = [];
    private readonly List<(string Name, Tensor Value)> _buffers = [];
    private readonly List<(string Name, Module Value)> _children = [];
    private readonly List<ForwardPreHook> _preHooks = [];
    private readonly List<ForwardHook> _hooks = [];

    /// <summary>
    /// True in training mode (the default), false after <see cref="Eval"/>; Dropout and BatchNorm behave differently.
    /// </summary>
    public bool Training { get; private set; } = true;

    /// <summary>The module's output for <paramref name="input"/>.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>How many inputs <c>Forward</c> takes (1 unless the module derives from a many-input base).</summary>
    internal virtual int InputCount => 1;

    /// <summary>
    /// Runs <see cref="Forward"/> between the hooks (PyTorch's <c>module(x)</c>): each forward-pre hook may replace
    /// the input, each forward hook the output. <see cref="Sequential"/> calls its layers so.
    /// </summary>
    public Tensor Call(Tensor input) =>
        // unhooked, allocates no more than Forward
        HasHooks ? Invoke([input], i => Forward(ArgumentAt<Tensor>(i, 0))) : Forward(input);

    /// <summary>Runs <paramref name="forward"/> between this module's hooks, checking what each hook returns.</summary>
    private protected TResult Invoke<TResult>(object?[] inputs, Func<object?[], TResult> forward)
    {
        foreach (var hook in _preHooks.ToArray())
            if (hook(this, inputs) is { } replaced)
                inputs = replaced.Length == inputs.Length ? replaced : throw new InvalidOperationException(
                    $"{GetType().Name}: a forward-pre hook returned {replaced.Length} inputs for {inputs.Length}");
        var output = forward(inputs);
        foreach (var hook in _hooks.ToArray())
            if (hook(this, inputs, output) is { } replaced)
                output = replaced is TResult typed ? typed : throw new InvalidOperationException(
                    $"{GetType().Name}: a forward hook returned a {replaced.GetType().Name} for a " +
                    $"{typeof(TResult).Name} output");
        return output;
    }

    /// <summary>Input <paramref name="index"/> as a <typeparamref name="T"/>, or an error naming both types.</summary>
    private protected T ArgumentAt<T>(object?[] inputs, int index) => inputs[index] is T typed ? typed
        : inputs[index] is null && default(T) is null ? default! : throw new InvalidOperationException(
            $"{GetType().Name}: input {index} is a {inputs[index]?.GetType().Name ?? "null"}, not a {typeof(T).Name}");

    /// <summary>
    /// Runs a decoder's <paramref name="forward"/> (target, memory and four optional masks, as
    /// <see cref="TransformerDecoderLayer"/> and <see cref="TransformerDecoder"/> take them) between this module's
    /// hooks.
    /// </summary>
    private protected Tensor InvokeDecoding(Func<Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?, Tensor> forward,
        Tensor tgt, Tensor memory, Tensor? tgtMask, Tensor? memoryMask, Tensor? tgtKeyPaddingMask,
        Tensor? memoryKeyPaddingMask) =>
        Invoke([tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask], i => forward(
            ArgumentAt<Tensor>(i, 0), ArgumentAt<Tensor>(i, 1), ArgumentAt<Tensor?>(i, 2),
            ArgumentAt<Tensor?>(i, 3), ArgumentAt<Tensor?>(i, 4), ArgumentAt<Tensor?>(i, 5)));

    /// <summary>
    /// Adds a hook that runs before each <see cref="Call"/> with the inputs, and may return replacement inputs (or null
    /// to keep them); disposing the handle removes it.
    /// </summary>
    public IDisposable RegisterForwardPreHook(ForwardPreHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _preHooks.Add(hook);
        return new HookHandle(() => _preHooks.Remove(hook));
    }

    /// <summary>
    /// Adds a hook that runs after each <see cref="Call"/> with the inputs and the output, and may return a replacement
    /// output (or null to keep it); disposing the handle removes it.
    /// </summary>
    public IDisposable RegisterForwardHook(ForwardHook hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        _hooks.Add(hook);
        return new HookHandle(() => _hooks.Remove(hook));
    }

    /// <summary>True when a hook is registered on this module (fusing it with a neighbour would skip it).</summary>
    internal bool HasHooks => _preHooks.Count > 0 || _hooks.Count > 0;

    private sealed class HookHandle(Action remove) : IDisposable
    {
        private bool _removed;

        public void Dispose()
        {
            if (_removed) return;
            _removed = true;
            remove();
        }
    }

    /// <summary>
    /// Registers a trained tensor under <paramref name="name"/>; it becomes a leaf that requires grad.
    /// </summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckNewName(name);
        var parameter = Parameter.Create(value);
        _parameters.Add((name, parameter));
        return parameter;
    }

    /// <summary>Registers saved, untrained state under <paramref name="name"/> (it never requires grad).</summary>
    protected Tensor RegisterBuffer(string name, Tensor value)
    {
        CheckNewName(name);
        var buffer = value.Detach();
        TensorScope.Escape(buffer.storage);
        _buffers.Add((name, buffer));
        return buffer;
    }

    /// <summary>
    /// Registers a child module under <paramref name="name"/>; its entries are prefixed with that name.
    /// </summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckNewName(name);
        _children.Add((name, module));
        return module;
    }

    private void CheckNewName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{GetType().Name}: '{name}' is not a valid member name (non-empty, no dots)");
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name)
            || _children.Any(c => c.Name == name))
            throw new ArgumentException($"{GetType().Name}: a member named '{name}' is already registered");
    }

    /// <summary>How many direct children there are.</summary>
    internal int ChildCount => _children.Count;

    /// <summary>The direct child at <paramref name="index"/>, in registration order.</summary>
    internal Module ChildAt(int index) => _children[index].Value;

    /// <summary>Puts <paramref name="module"/> in the child at <paramref name="index"/>'s place, same name.</summary>
    internal void ReplaceChild(int index, Module module) => _children[index] = (_children[index].Name, module);

    /// <summary>The direct children with their names, in registration order.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => _children.Select(c => (c.Name, c.Value));

    /// <summary>Every trained tensor of this module and its descendants, with its dotted name.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters() => Walk("", m => m._parameters);

    /// <summary>
    /// Every trained tensor of this module and its descendants, in the order of <see cref="NamedParameters"/>.
    /// </summary>
    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>Every buffer of this module and its descendants, with its dotted name.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers() => Walk("", m => m._buffers);

    private IEnumerable<(string, Tensor)> Walk(string prefix, Func<Module, List<(string Name, Tensor Value)>> members)
    {
        foreach (var (name, value) in members(this)) yield return (prefix + name, value);
        foreach (var (name, child) in _children)
            foreach (var entry in child.Walk(prefix + name + ".", members)) yield return entry;
    }

    /// <summary>Sets training mode on this module and its descendants; returns this module.</summary>
    public Module Train(bool mode = true)
    {
        Training = mode;
        foreach (var (_, child) in _children) child.Train(mode);
        return this;
    }

    /// <summary>Sets evaluation mode (<c>Train(false)</c>); returns this module.</summary>
    public Module Eval() => Train(false);

    /// <summary>This module and every descendant, parents first, with dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        yield return ("", this);
        foreach (var (name, child) in _children)
            foreach (var (sub, module) in child.NamedModules())
                yield return (sub.Length == 0 ? name : name + "." + sub, module);
    }

    /// <summary>Calls <paramref name="fn"/> on every descendant, children first, then on this module (torch's
    /// <c>apply</c>, as used to initialize weights); returns this module.</summary>
    public Module Apply(Action<Module> fn)
    {
        ArgumentNullException.ThrowIfNull(fn);
        foreach (var (_, child) in _children) child.Apply(fn);
        fn(this);
        return this;
    }

    /// <summary>
    /// Moves every parameter, buffer and gradient to <paramref name="device"/> in place (the tensors stay the same
    /// objects, so layers' <c>Weight</c> properties and optimizers see the move); returns this module.
    /// </summary>
    public Module To(Device device) => Convert(t => t.To(device), floatingOnly: false);

    /// <summary>
    /// Converts every floating-point parameter, buffer and gradient to <paramref name="dtype"/> in place (integer
    /// buffers such as counters keep theirs, as in PyTorch); returns this module.
    /// </summary>
    public Module To(DType dtype)
    {
        if (!dtype.IsFloatingPoint())
            throw new ArgumentException($"{GetType().Name}.To: parameters must stay floating point, got {dtype}");
        return Convert(t => t.To(dtype), floatingOnly: true);
    }

    private Module Convert(Func<Tensor, Tensor> convert, bool floatingOnly)
    {
        using (Autograd.NoGrad())
            foreach (var tensor in Parameters().Concat(NamedBuffers().Select(b => b.Buffer)))
            {
                if (floatingOnly && !tensor.DType.IsFloatingPoint()) continue;
                var grad = tensor.Grad;
                tensor.Grad = null;
                tensor.SetData_(convert(tensor.Detach()).Contiguous());
                if (grad is not null) tensor.Grad = convert(grad).Contiguous();
            }
        return this;
    }

    /// <summary>Clears the gradient of every parameter (sets it to null, as PyTorch does by default).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad = null;
    }

    /// <summary>
    /// Parameters and buffers by dotted name, each module's own parameters then its buffers then its children's,
    /// as PyTorch orders them. The tensors share storage with the module and record no graph. Frozen parameters
    /// (<c>RequiresGrad_(false)</c>) are saved too: freezing stops training, not saving.
    /// </summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>();
        AddState(state, "");
        return state;
    }

    private void AddState(Dictionary<string, Tensor> state, string prefix)
    {
        foreach (var (name, p) in _parameters) state[prefix + name] = p.Detach();
        foreach (var (name, b) in _buffers) state[prefix + name] = b;
        foreach (var (name, child) in _children) child.AddState(state, prefix + name + ".");
    }

    /// <summary>
    /// Copies every entry of <paramref name="state"/> into the tensor of the same name (values converted to its
    /// dtype and device). Refuses, changing nothing, when an entry is of another shape, or (when
    /// <paramref name="strict"/>) missing or unexpected; the message names such entries (the first few of each kind,
    /// and how many more). Not strict, it loads the entries that fit by name and returns those it could not match.
    /// </summary>
    public (IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys) LoadStateDict(
        IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = StateDict();
        var problems = new List<string>();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict && missing.Count > 0) problems.Add("missing " + FirstFew(missing));
        if (strict && unexpected.Count > 0) problems.Add("unexpected " + FirstFew(unexpected));
        foreach (var (name, target) in own)
            if (state.TryGetValue(name, out var source) && !Shapes.Equal(source.shape, target.shape))
                problems.Add($"{name} has shape {Shapes.Format(source.shape)} but the module's is " +
                    Shapes.Format(target.shape));
        foreach (var (name, target) in own)
            if (state.TryGetValue(name, out var source)
                && source.DType.IsFloatingPoint() != target.DType.IsFloatingPoint())
                problems.Add($"{name} is {source.DType} but the module's is {target.DType}");
        if (problems.Count > 0)
            throw new InvalidDataException(
                $"{GetType().Name}: the state dict does not fit: {FirstFew(problems, "; ")}");
        using (Autograd.NoGrad())
            foreach (var (name, target) in own)
                if (state.TryGetValue(name, out var source)) target.Copy_(source.To(target.Device));
        return (missing, unexpected);
    }

    // a file with 200,000 unexpected entries still gives a message of one short line
    private static string FirstFew(List<string> items, string separator = ", ")
    {
        const int Shown = 5;
        string shown = string.Join(separator, items.Take(Shown).Select(i => i.Length <= 80 ? i : i[..80] + "…"));
        return items.Count <= Shown ? shown : $"{shown} and {items.Count - Shown} more";
    }

    /// <summary>
    /// Writes <see cref="StateDict"/> to a safetensors file (atomically: never half a file), its floating tensors as
    /// <paramref name="floatDType"/> when given ("F16", "BF16", "F32", "F64").
    /// </summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null, string? floatDType = null) =>
        SafeTensors.Save(path, StateDict(), metadata, floatDType);

    /// <summary>
    /// Loads a safetensors file written by <see cref="Save"/> (or PyTorch) through <see cref="LoadStateDict"/>.
    /// </summary>
    public void Load(string path) => LoadStateDict(SafeTensors.Load(path));

    /// <summary>
    /// The module's settings inside the parentheses of <see cref="ToString"/>, as in <c>in_features=2</c>.
    /// </summary>
    protected virtual string ExtraRepr() => "";

    /// <summary>The module tree as PyTorch prints it.</summary>
    public override string ToString()
    {
        if (_children.Count == 0) return $"{GetType().Name}({ExtraRepr()})";
        var text = new StringBuilder($"{GetType().Name}(");
        if (ExtraRepr() is { Length: > 0 } extra) text.Append('\n').Append("  ").Append(extra);
        foreach (var (name, child) in _children)
            text.Append("\n  (").Append(name).Append("): ").Append(child.ToString().Replace("\n", "\n  "));
        return text.Append("\n)").ToString();
    }
}

/// <summary>Runs before a module's forward with its inputs; returns replacement inputs, or null to keep them.</summary>
public delegate object?[]? ForwardPreHook(Module module, object?[] inputs);

/// <summary>Runs after a module's forward with its inputs and output; returns a new output, or null.</summary>
public delegate object? ForwardHook(Module module, object?[] inputs, object? output);

/// <summary>
/// A module whose forward takes two inputs of any types (tensors, optional masks, settings) and returns any result,
/// as a tuple of tensors. <see cref="Call(T1, T2)"/> runs the hooks around it; such a module is no layer of a
/// <see cref="Sequential"/>, which passes one tensor along.
/// </summary>
public abstract class Module<T1, T2, TResult> : Module
{
    /// <summary>The module's output for the two inputs.</summary>
    public abstract TResult Forward(T1 input1, T2 input2);

    /// <summary>Runs <see cref="Forward(T1, T2)"/> between the module's hooks.</summary>
    public TResult Call(T1 input1, T2 input2) =>
        Invoke([input1, input2], i => Forward(ArgumentAt<T1>(i, 0), ArgumentAt<T2>(i, 1)));

    /// <summary>Refuses: this module takes two inputs.</summary>
    public sealed override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException(
            $"{GetType().Name}: Forward takes two inputs ({typeof(T1).Name}, {typeof(T2).Name}), got one tensor");

    internal override int InputCount => 2;
}

/// <summary>A module whose forward takes three inputs of any types and returns any result.</summary>
public abstract class Module<T1, T2, T3, TResult> : Module
{
    /// <summary>The module's output for the three inputs.</summary>
    public abstract TResult Forward(T1 input1, T2 input2, T3 input3);

    /// <summary>Runs <see cref="Forward(T1, T2, T3)"/> between the module's hooks.</summary>
    public TResult Call(T1 input1, T2 input2, T3 input3) =>
        Invoke([input1, input2, input3],
            i => Forward(ArgumentAt<T1>(i, 0), ArgumentAt<T2>(i, 1), ArgumentAt<T3>(i, 2)));

    /// <summary>Refuses: this module takes three inputs.</summary>
    public sealed override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException($"{GetType().Name}: Forward takes three inputs " +
            $"({typeof(T1).Name}, {typeof(T2).Name}, {typeof(T3).Name}), got one tensor");

    internal override int InputCount => 3;
}

/// <summary>Makes trained tensors (torch.nn.Parameter): leaves that require grad and own their storage.</summary>
public static class Parameter
{
    /// <summary>
    /// A contiguous leaf holding <paramref name="data"/>'s values (shared when already a contiguous leaf) that requires
    /// grad.
    /// </summary>
    public static Tensor Create(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!data.DType.IsFloatingPoint())
            throw new ArgumentException($"Parameter: a trained tensor must be floating point, got {data.DType} with " +
                $"shape {Shapes.Format(data.shape)}");
        var leaf = data.Detach();
        if (!leaf.IsContiguous) leaf = leaf.Contiguous();
        return leaf.RequiresGrad_();
    }
}
