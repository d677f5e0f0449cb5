using Microsoft.DotNet.Interactive.Formatting;

namespace Backprop.Interactive;

/// <summary>
/// Displays Backprop's objects in Polyglot (.NET Interactive) and Jupyter notebooks: a <see cref="Value"/> as its
/// circuit diagram with every wire's value and gradient, a <see cref="Tensor"/> as a table of its values and gradient,
/// and a <see cref="TensorGraph"/> (<c>tensor.Graph()</c>) as the diagram of the autograd graph behind a tensor.
/// </summary>
/// <remarks>
/// In a notebook, <c>#r "nuget: Backprop.Interactive"</c> is all it takes: the package carries a kernel extension
/// (<c>interactive-extensions/dotnet/extension.dib</c>) that calls <see cref="Register"/> when the package loads.
/// Where extensions do not run (a plain <c>#r</c> of the assembly, a host of your own), call
/// <c>BackpropFormatters.Register();</c> once before displaying anything.
/// </remarks>
public static class BackpropFormatters
{
    /// <summary>The mime type of the circuit and graph diagrams.</summary>
    public const string SvgMimeType = "image/svg+xml";

    /// <summary>The mime type of the tensor tables.</summary>
    public const string HtmlMimeType = "text/html";

    /// <summary>
    /// Registers the formatters with <see cref="Formatter"/> and makes SVG the preferred display of values and
    /// graphs, HTML that of tensors. Calling it again changes nothing.
    /// </summary>
    public static void Register()
    {
        Formatter.Register<Value>((value, writer) => writer.Write(Viz.Svg(value)), SvgMimeType);
        Formatter.Register<TensorGraph>((graph, writer) => writer.Write(graph.ToSvg()), SvgMimeType);
        Formatter.Register<Tensor>((tensor, writer) => writer.Write(TensorTable.Html(tensor)), HtmlMimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(Value), SvgMimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(TensorGraph), SvgMimeType);
        Formatter.SetPreferredMimeTypesFor(typeof(Tensor), HtmlMimeType);
    }
}
