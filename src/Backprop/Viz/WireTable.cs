using System.Text;

namespace Backprop;

/// <summary>
/// A circuit as a table, one row per wire in the order the forward pass made them: the wire's name, the node that
/// puts it out with the wires it reads, the value's summary and the gradient's. It stays as narrow as its longest
/// row however many layers the circuit has, where a diagram grows a column per layer.
/// </summary>
internal static class WireTable
{
    public static string Write(CircuitLayout layout, VizOptions options)
    {
        var rows = layout.Nodes.Select(n => (
            Wire: n.Wire.Name,
            MadeBy: n.Kind == NodeKind.Gate || n.Kind == NodeKind.Chain
                ? $"{OpName(n.Label)}({string.Join(", ", n.Inputs.Select(i => i.Wire.Name))})"
                : n.IsParameter ? "parameter" : "input",
            n.Wire.Value,
            n.Wire.Grad)).ToList();
        rows.Insert(0, ("wire", "made by", "value", "gradient"));
        int wWire = rows.Max(r => r.Wire.Length), wMade = rows.Max(r => r.MadeBy.Length);
        int wValue = rows.Max(r => r.Value.Length);
        var text = new StringBuilder();
        if (options.Title is not null) text.Append(options.Title).Append('\n');
        if (layout.Collapsed)
            text.Append($"showing {layout.DrawnGates} of {layout.TotalGates} {layout.Unit} ({layout.CollapseNote})\n");
        foreach (var (wire, madeBy, value, grad) in rows)
            text.Append($"{wire.PadRight(wWire)}  {madeBy.PadRight(wMade)}  {value.PadRight(wValue)}  {grad}".TrimEnd())
                .Append('\n');
        return text.ToString();
    }

    // a tensor op's node reads "Linear [4,5]"; the value column already gives the shape
    private static string OpName(string label) =>
        label.EndsWith(']') && label.LastIndexOf(" [", StringComparison.Ordinal) is > 0 and int cut
            ? label[..cut]
            : label;
}
