namespace Backprop.Interactive;

/// <summary>
/// The autograd graph ending at a tensor, as something a notebook displays: its diagram,
/// <see cref="Viz.Svg(Tensor, VizOptions?, IReadOnlyDictionary{string, Tensor}?)"/>. A tensor itself displays as a
/// table of its values; ask for <c>loss.Graph()</c> to see how it was computed.
/// </summary>
/// <param name="Output">The tensor the graph ends at.</param>
/// <param name="Options">Diagram options (title, digits, collapse of repeated blocks); defaults when null.</param>
/// <param name="Names">Names for tensors of the graph (parameters, or op outputs such as the loss); made from their op
/// when absent.</param>
public sealed record TensorGraph(Tensor Output, VizOptions? Options = null,
    IReadOnlyDictionary<string, Tensor>? Names = null)
{
    /// <summary>The graph as a self-contained SVG document.</summary>
    public string ToSvg() => Viz.Svg(Output, Options, Names);
}

/// <summary>Notebook helpers on tensors.</summary>
public static class TensorGraphExtensions
{
    /// <summary>The autograd graph ending at <paramref name="output"/>, which a notebook displays as its
    /// diagram.</summary>
    public static TensorGraph Graph(this Tensor output, VizOptions? options = null,
        IReadOnlyDictionary<string, Tensor>? names = null) =>
        new(output, options, names);
}
