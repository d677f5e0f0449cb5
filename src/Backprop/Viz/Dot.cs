using System.Text;

namespace Backprop;

/// <summary>
/// Writes a circuit layout as a Graphviz DOT digraph, left to right, each edge labelled with its wire's value over the
/// gradient sent back along that edge; a wire that forks gets, beside its source, the sum of its branches.
/// </summary>
internal static class Dot
{
    public static string Write(CircuitLayout layout, VizOptions options)
    {
        var ids = new Dictionary<LayoutNode, string>();
        for (int i = 0; i < layout.Nodes.Count; i++) ids[layout.Nodes[i]] = "n" + i;
        var dot = new StringBuilder();
        dot.Append("digraph circuit {\n");
        dot.Append("  rankdir=LR;\n  nodesep=0.4;\n  ranksep=0.6;\n");
        dot.Append("  node [fontname=\"DejaVu Sans Mono\", fontsize=13];\n  edge [fontname=\"DejaVu Sans Mono\", " +
            "fontsize=11, arrowsize=0.6];\n");
        var notes = new List<string>();
        if (options.Title is not null) notes.Add(options.Title);
        if (layout.Collapsed) notes.Add($"showing {layout.DrawnGates} of {layout.TotalGates} {layout.Unit}");
        if (notes.Count > 0) dot.Append($"  labelloc=t;\n  label=\"{Quote(string.Join(" / ", notes))}\";\n");
        // inputs share the leftmost rank, as in the notes' diagrams
        var inputs = layout.Nodes.Where(n => n.Kind is NodeKind.Input or NodeKind.Stub).Select(n => ids[n]);
        dot.Append($"  {{ rank=source; {string.Join("; ", inputs)}; }}\n");
        foreach (var n in layout.Nodes)
        {
            string attributes = n.Kind switch
            {
                NodeKind.Input when n.IsParameter =>
                    "shape=box, style=\"bold,rounded\", penwidth=2.5, fontname=\"DejaVu Sans Mono Bold\"",
                NodeKind.Input => "shape=plaintext, fontname=\"DejaVu Sans Mono Bold\"",
                NodeKind.Stub => "shape=plaintext, fontcolor=\"#777777\"",
                NodeKind.Chain => "shape=box, style=\"rounded,dashed\"",
                _ => n.Label.Length <= 2 ? "shape=circle, fixedsize=true, width=0.45" : "shape=ellipse",
            };
            dot.Append($"  {ids[n]} [label=\"{Quote(n.Label)}\", {attributes}];\n");
        }
        foreach (var n in layout.Nodes)
            for (int p = 0; p < n.Inputs.Count; p++)
            {
                // each branch of a forked wire carries its own share of the gradient
                var wire = n.Inputs[p].Wire;
                if (p < n.BranchGrads.Count) wire = wire with { Grad = n.BranchGrads[p] };
                dot.Append($"  {ids[n.Inputs[p]]} -> {ids[n]} [label={Label(wire)}];\n");
            }
        foreach (var source in layout.Nodes.Where(n => n.ForkSum is not null))
            dot.Append($"  {ids[source]} [xlabel=<<font color=\"#c62828\">{Svg.Escape(source.ForkSum!)}</font>>];\n");
        var output = layout.Output;
        dot.Append($"  out [label=\"{Quote(output.Wire.Name)}\", shape=plaintext];\n");
        dot.Append($"  {ids[output]} -> out [label={Label(output.Wire)}];\n");
        dot.Append("}\n");
        return dot.ToString();
    }

    // an HTML-like label: the forward value in green over the gradient in red (Graphviz rejects an empty font element)
    private static string Label(WireText wire) => wire.Grad.Length == 0
        ? $"<<font color=\"#1a7f37\">{Svg.Escape(wire.Value)}</font>>"
        : $"<<font color=\"#1a7f37\">{Svg.Escape(wire.Value)}</font><br/><font " +
            $"color=\"#c62828\">{Svg.Escape(wire.Grad)}</font>>";

    private static string Quote(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"");
}
