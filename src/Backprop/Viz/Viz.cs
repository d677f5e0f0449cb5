namespace Backprop;

/// <summary>
/// Circuit diagrams, as the notes draw them: inputs on the left, the output on the right, gates as labelled nodes,
/// and on every wire its forward value (green, above) and its gradient (red, below). Scalar circuits
/// (<see cref="Value"/>) show the numbers; tensor graphs (<see cref="Tensor"/>) show a node per op with its output
/// shape, and on each wire its shape, ‖v‖ and range, and ‖g‖. Run the backward pass first for the gradients.
/// </summary>
/// <remarks>
/// <para>Collapse rule for large scalar circuits: with more than <see cref="VizOptions.CollapseAbove"/> gates, (1) a
/// chain of single-input gates, each feeding only the next, is drawn as one node listing its gates, and (2) only the
/// <see cref="VizOptions.CollapseAbove"/> gate nodes nearest the output (breadth-first) are drawn; a wire into
/// them from a gate not drawn appears as an input marked ⋯ with its value and gradient. The drawing says how
/// many of the gates it shows.</para>
/// <para>Collapse rule for tensor graphs: (1) always, a run of 3 or more identical consecutive blocks of up to 6 ops
/// along the path from the output (a deep MLP's MatMul→Add→Relu layers) is drawn as one node "MatMul→Add→Relu
/// ×98" without the parameters feeding it, when no tensor made inside the run is used outside it; (2) then, as for
/// scalar circuits, at most <see cref="VizOptions.CollapseAbove"/> op nodes nearest the output are drawn. The drawing
/// says how many of the ops it shows ("showing 13 of 401 ops").</para>
/// <para>A tensor graph does not keep its intermediate tensors, so without a trace only the output's value and the
/// leaves' values and gradients are known; open <see cref="Trace"/> around the forward and backward passes to have
/// every wire's value and gradient summarized.</para>
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

    /// <summary>The circuit as a text diagram for a terminal, with ANSI colours when <paramref name="ansiColors"/> is
    /// set.</summary>
    public static string Text(Value output, VizOptions? options = null, bool ansiColors = false)
    {
        options ??= new VizOptions();
        return TextDiagram.Write(CircuitLayout.Build(output, options), options, ansiColors);
    }

    /// <summary>
    /// A self-contained HTML page (no network, no external script) for playing with the circuit: its diagram, a slider
    /// and a field for every input, and the forward and backward passes recomputed in the browser as the inputs move,
    /// by the staged code printed as JavaScript from the gates' rules, with the <see cref="Explain"/> sentences beside
    /// it. Inputs can be set from the page's address (<c>page.html?x=3&amp;y=-4</c>).
    /// </summary>
    public static string Html(Value output, VizOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        options ??= new VizOptions();
        options.Validate();
        return InteractivePage.Write(output, options);
    }

    /// <summary>
    /// The autograd graph ending at <paramref name="output"/> as a self-contained SVG document.
    /// <paramref name="names"/> names tensors of the graph (parameters, or op outputs such as the loss); others get
    /// names made from their op.
    /// </summary>
    public static string Svg(Tensor output, VizOptions? options = null,
        IReadOnlyDictionary<string, Tensor>? names = null)
    {
        options ??= new VizOptions();
        return Backprop.Svg.Write(SvgScene.Build(TensorGraphLayout.Build(output, options, names), options));
    }

    /// <summary>The autograd graph as a Graphviz DOT digraph (render with <c>dot -Tsvg</c>).</summary>
    public static string Dot(Tensor output, VizOptions? options = null,
        IReadOnlyDictionary<string, Tensor>? names = null)
    {
        options ??= new VizOptions();
        return Backprop.Dot.Write(TensorGraphLayout.Build(output, options, names), options);
    }

    /// <summary>The autograd graph as a text diagram for a terminal, with ANSI colours when
    /// <paramref name="ansiColors"/> is set.</summary>
    public static string Text(Tensor output, VizOptions? options = null,
        IReadOnlyDictionary<string, Tensor>? names = null, bool ansiColors = false)
    {
        options ??= new VizOptions();
        return TextDiagram.Write(TensorGraphLayout.Build(output, options, names), options, ansiColors);
    }

    /// <summary>
    /// The autograd graph as a table with one row per wire, in the order the forward pass made them: its name, the op
    /// that made it from which wires, its value's shape, ‖v‖ and range, and its gradient's ‖g‖. For graphs
    /// whose diagram is too wide for a terminal: the table is as wide as its longest row, whatever the depth.
    /// </summary>
    public static string Table(Tensor output, VizOptions? options = null,
        IReadOnlyDictionary<string, Tensor>? names = null)
    {
        options ??= new VizOptions();
        return WireTable.Write(TensorGraphLayout.Build(output, options, names), options);
    }

    /// <summary>
    /// A scope (for this thread) in which every recorded op keeps a summary of its output (norm, min, max) and of
    /// the gradient that reaches it in backward passes (the last one), so diagrams can label every wire:
    /// <c>using (Viz.Trace()) { var loss = ...; loss.Backward(); }</c> then <c>Viz.Svg(loss)</c>. Only the
    /// summaries are kept, never the tensors; they live as long as the graph's nodes.
    /// </summary>
    public static IDisposable Trace() => TensorTrace.Open();
}
