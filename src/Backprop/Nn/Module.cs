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

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>; Dropout and BatchNorm behave differently.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>The module's output for <paramref name="input"/>.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>Registers a trained tensor under <paramref name="name"/>; it becomes a leaf that requires grad.</summary>
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

    /// <summary>Registers a child module under <paramref name="name"/>; its entries are prefixed with that name.</summary>
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
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _children.Any(c => c.Name == name))
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

    /// <summary>Every trained tensor of this module and its descendants, in the order of <see cref="NamedParameters"/>.</summary>
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

    /// <summary>Clears the gradient of every parameter (sets it to null, as PyTorch does by default).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters()) p.Grad = null;
    }

    /// <summary>
    /// Parameters and buffers by dotted name, each module's own parameters then its buffers then its children's,
    /// as PyTorch orders them. The tensors share storage with the module and record no graph.
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
    /// dtype). Refuses, changing nothing, when an entry is missing, unexpected or of another shape; the message
    /// names such entries (the first few of each kind, and how many more).
    /// </summary>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = StateDict();
        var problems = new List<string>();
        var missing = own.Keys.Where(k => !state.ContainsKey(k)).ToList();
        var unexpected = state.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (missing.Count > 0) problems.Add("missing " + FirstFew(missing));
        if (unexpected.Count > 0) problems.Add("unexpected " + FirstFew(unexpected));
        foreach (var (name, target) in own)
            if (state.TryGetValue(name, out var source) && !Shapes.Equal(source.shape, target.shape))
                problems.Add($"{name} has shape {Shapes.Format(source.shape)} but the module's is {Shapes.Format(target.shape)}");
        foreach (var (name, target) in own)
            if (state.TryGetValue(name, out var source) && source.DType.IsFloatingPoint() != target.DType.IsFloatingPoint())
                problems.Add($"{name} is {source.DType} but the module's is {target.DType}");
        if (problems.Count > 0)
            throw new InvalidDataException(
                $"{GetType().Name}: the state dict does not fit: {FirstFew(problems, "; ")}");
        using (Autograd.NoGrad())
            foreach (var (name, target) in own) target.Copy_(state[name]);
    }

    // a file with 200,000 unexpected entries still gives a message of one short line
    private static string FirstFew(List<string> items, string separator = ", ")
    {
        const int Shown = 5;
        string shown = string.Join(separator, items.Take(Shown).Select(i => i.Length <= 80 ? i : i[..80] + "…"));
        return items.Count <= Shown ? shown : $"{shown} and {items.Count - Shown} more";
    }

    /// <summary>Writes <see cref="StateDict"/> to a safetensors file (atomically: never half a file).</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null) => SafeTensors.Save(path, StateDict(), metadata);

    /// <summary>Loads a safetensors file written by <see cref="Save"/> (or PyTorch) through <see cref="LoadStateDict"/>.</summary>
    public void Load(string path) => LoadStateDict(SafeTensors.Load(path));

    /// <summary>The module's settings inside the parentheses of <see cref="ToString"/>, as in <c>in_features=2</c>.</summary>
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

/// <summary>Makes trained tensors (torch.nn.Parameter): leaves that require grad and own their storage.</summary>
public static class Parameter
{
    /// <summary>A contiguous leaf holding <paramref name="data"/>'s values (shared when already a contiguous leaf) that requires grad.</summary>
    public static Tensor Create(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!data.DType.IsFloatingPoint())
            throw new ArgumentException($"Parameter: a trained tensor must be floating point, got {data.DType} with shape {Shapes.Format(data.shape)}");
        var leaf = data.Detach();
        if (!leaf.IsContiguous) leaf = leaf.Contiguous();
        return leaf.RequiresGrad_();
    }
}
