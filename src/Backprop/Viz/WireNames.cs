using System.Text.RegularExpressions;

namespace Backprop;

/// <summary>
/// Names every wire of a circuit for diagrams and staged code: its label where that is a usable C# identifier
/// not taken yet, otherwise a name made from the gate that produced it (<c>mul1</c>, <c>sigmoid2</c>).
/// Names are chosen so that the gradient variable <c>d</c>+name never clashes with another wire's name.
/// </summary>
internal sealed partial class WireNames
{
    private readonly Dictionary<Value, string> _names = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _taken = [];
    private readonly Dictionary<string, int> _counters = [];
    private readonly Dictionary<string, string> _stems = [];

    /// <summary>Names the wires of <paramref name="order"/> (topological), the output <c>f</c> unless it has a
    /// label.</summary>
    public WireNames(IReadOnlyList<Value> order)
    {
        var output = order[^1];
        // labelled wires first, so a generated name never steals a label the user chose
        foreach (var v in order) if (IsUsable(v.Label)) TryTake(v, v.Label!);
        if (!_names.ContainsKey(output)) TryTake(output, "f");
        foreach (var v in order)
        {
            if (_names.ContainsKey(v)) continue;
            string stem = v.Op is null ? (IsConstant(v) ? "c" : "input") : Stem(v.Op.Name);
            if (v.Label is not null && IsUsable(v.Label)) stem = v.Label;
            while (!TryTake(v, stem + Next(stem))) { }
        }
    }

    /// <summary>
    /// True for a leaf that stands for a number rather than an input: unlabelled, or labelled with a number
    /// (as the expression parser labels a number used where a wire is needed).
    /// </summary>
    public static bool IsConstant(Value v) => v.IsLeaf && (v.Label is null ||
        double.TryParse(v.Label, System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out _));

    /// <summary>The name of a wire of the circuit.</summary>
    public string this[Value wire] => _names[wire];

    // one regex run per gate name, not per wire: a two-million-gate chain has two gate names
    private string Stem(string opName)
    {
        if (!_stems.TryGetValue(opName, out var stem)) _stems[opName] = stem = Identifier().Replace(opName, "_");
        return stem;
    }

    private int Next(string stem) => _counters[stem] = _counters.GetValueOrDefault(stem) + 1;

    private bool TryTake(Value v, string name)
    {
        if (_taken.Contains(name) || _taken.Contains("d" + name) || Keywords.Contains(name)
            || Keywords.Contains("d" + name)) return false;
        if (name.StartsWith('d') && _taken.Contains(name[1..])) return false;
        _taken.Add(name);
        _names[v] = name;
        return true;
    }

    private static bool IsUsable(string? label) =>
        label is not null && IdentifierPattern().IsMatch(label) && label.Length <= 40;

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("[^A-Za-z0-9_]")]
    private static partial Regex Identifier();

    // C# keywords (and the names staged code itself uses) cannot name a variable
    private static readonly HashSet<string> Keywords =
    [
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
        "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern",
        "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface",
        "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override", "params",
        "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof",
        "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong",
        "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while", "Math", "System",
        "StagedCircuit", "Run",
    ];
}
