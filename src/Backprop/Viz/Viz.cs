namespace Backprop;

/// <summary>
/// Circuit diagrams of scalar circuits, as the notes draw them: inputs on the left, the output on the right, gates as
/// labelled nodes, and on every wire its forward value (green, above) and its gradient (red, below). Run
/// <see cref="Value.Backward"/> first for the gradients to mean something.
/// </summary>
/// <remarks>
/// Collapse rule for large circuits: with more than <see cref="VizOptions.CollapseAbove"/> gates, (1) a chain of
/// single-input gates, each feeding only the next, is drawn as one node listing its gates, and (2) only the
/// <see cref="VizOptions.CollapseAbove"/> gate nodes nearest the output (breadth-first) are drawn; a wire into
/// them from a gate not drawn appears as an input marked ⋯ with its value and gradient. The drawing says how
/// many of the gates it shows.
/// </remarks>
public static class Viz
{
    /// <summary>The circuit ending at <paramref name="output"/> as a self-contained SVG document.</summary>
    public static string Svg(Value output, VizOptions? options = null)
    {
        options ??= new VizOptions();
        return Backprop.Svg.Write(SvgScene.Build(CircuitLayout.Build(output, options), options));
    }

    /// <summary>The circuit as a Graphviz DOT digraph (render with <c>dot -Tsvg</c>).</summary>
    public static string Dot(Value output, VizOptions? options = null)
    {
        options ??= new VizOptions();
        return Backprop.Dot.Write(CircuitLayout.Build(output, options), options);
    }

    /// <summary>The circuit as a text diagram for a terminal, with ANSI colours when <paramref name="ansiColors"/> is set.</summary>
    public static string Text(Value output, VizOptions? options = null, bool ansiColors = false)
    {
        options ??= new VizOptions();
        return TextDiagram.Write(CircuitLayout.Build(output, options), options, ansiColors);
    }
}
