using System.Collections;
using System.Globalization;

namespace Backprop.Nn;

/// <summary>
/// Modules held in a list (torch.nn.ModuleList), registered as children "0", "1", ... so their parameters are the
/// holder's and its state dict names them as PyTorch does. It has no forward of its own: the holder calls them.
/// </summary>
public sealed class ModuleList : Module, IReadOnlyList<Module>
{
    /// <summary>Holds <paramref name="modules"/> in order.</summary>
    public ModuleList(params Module[] modules)
    {
        foreach (var module in modules) Add(module);
    }

    /// <summary>Appends a module and returns this list.</summary>
    public ModuleList Add(Module module)
    {
        RegisterModule(ChildCount.ToString(CultureInfo.InvariantCulture), module);
        return this;
    }

    /// <summary>The module at <paramref name="index"/> (negative counts from the end).</summary>
    public Module this[int index] => ChildAt(Containers.Index("ModuleList", index, ChildCount));

    /// <summary>How many modules there are.</summary>
    public int Count => ChildCount;

    /// <summary>Refuses: a list of modules has no forward; call the modules it holds.</summary>
    public override Tensor Forward(Tensor input) => throw Containers.NoForward(this);

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => NamedChildren().Select(c => c.Module).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Modules held by name (torch.nn.ModuleDict), in insertion order; each name prefixes its module's state dict
/// entries. It has no forward of its own.
/// </summary>
public sealed class ModuleDict : Module, IEnumerable<(string Name, Module Module)>
{
    /// <summary>Holds <paramref name="modules"/> under their names, in order.</summary>
    public ModuleDict(params (string Name, Module Module)[] modules)
    {
        foreach (var (name, module) in modules) Add(name, module);
    }

    /// <summary>Adds <paramref name="module"/> under <paramref name="name"/> (non-empty, no dots, not taken).</summary>
    public ModuleDict Add(string name, Module module)
    {
        RegisterModule(name, module);
        return this;
    }

    /// <summary>The module named <paramref name="name"/>.</summary>
    public Module this[string name] => NamedChildren().FirstOrDefault(c => c.Name == name).Module
        ?? throw new KeyNotFoundException($"ModuleDict: no module named '{name}'; it holds {string.Join(", ", Keys)}");

    /// <summary>True when a module is held under <paramref name="name"/>.</summary>
    public bool ContainsKey(string name) => NamedChildren().Any(c => c.Name == name);

    /// <summary>The names, in insertion order.</summary>
    public IEnumerable<string> Keys => NamedChildren().Select(c => c.Name);

    /// <summary>How many modules there are.</summary>
    public int Count => ChildCount;

    /// <summary>Refuses: a dict of modules has no forward; call the modules it holds.</summary>
    public override Tensor Forward(Tensor input) => throw Containers.NoForward(this);

    /// <inheritdoc/>
    public IEnumerator<(string Name, Module Module)> GetEnumerator() => NamedChildren().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Parameters held in a list (torch.nn.ParameterList), named "0", "1", ...; each added tensor becomes a
/// parameter (a leaf that requires grad). It has no forward of its own.
/// </summary>
public sealed class ParameterList : Module, IReadOnlyList<Tensor>
{
    private readonly List<Tensor> _items = [];

    /// <summary>Holds <paramref name="values"/> as parameters, in order.</summary>
    public ParameterList(params Tensor[] values)
    {
        foreach (var value in values) Add(value);
    }

    /// <summary>Appends <paramref name="value"/> as a parameter and returns the parameter.</summary>
    public Tensor Add(Tensor value)
    {
        var parameter = RegisterParameter(_items.Count.ToString(CultureInfo.InvariantCulture), value);
        _items.Add(parameter);
        return parameter;
    }

    /// <summary>The parameter at <paramref name="index"/> (negative counts from the end).</summary>
    public Tensor this[int index] => _items[Containers.Index("ParameterList", index, _items.Count)];

    /// <summary>How many parameters there are.</summary>
    public int Count => _items.Count;

    /// <summary>Refuses: a list of parameters has no forward; the holder uses them.</summary>
    public override Tensor Forward(Tensor input) => throw Containers.NoForward(this);

    /// <inheritdoc/>
    public IEnumerator<Tensor> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        string.Join(", ", _items.Select((p, i) =>
            $"({i}): Parameter containing: [{p.DType} of size {Shapes.Format(p.shape)}]"));
}

internal static class Containers
{
    public static int Index(string container, int index, int count) =>
        index >= -count && index < count ? (index < 0 ? index + count : index)
            : throw new ArgumentOutOfRangeException(nameof(index), index,
                $"{container}: index {index} is out of range for {count} entries");

    public static InvalidOperationException NoForward(Module container) =>
        new($"{container.GetType().Name}: a container has no Forward of its own; call the modules it holds");
}
