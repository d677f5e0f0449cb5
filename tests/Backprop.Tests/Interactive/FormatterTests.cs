using System.Globalization;
using System.Xml.Linq;
using Backprop.Interactive;
using Microsoft.DotNet.Interactive.Formatting;

namespace Backprop.Tests.Interactive;

/// <summary>What a notebook cell shows for Backprop's objects once <see cref="BackpropFormatters.Register"/> has run.</summary>
[Collection("Console")]   // the formatter registry is process-wide, like Console.Out, and the notebook test registers too
public class FormatterTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    public FormatterTests() => BackpropFormatters.Register();

    private static IEnumerable<XElement> Texts(XDocument svg, string cls) =>
        svg.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == cls);

    [Fact]
    public void A_value_displays_as_its_circuit_with_every_wire_value_and_gradient()
    {
        var x = new Value(-2, "x"); var y = new Value(5, "y"); var z = new Value(-4, "z");
        var q = x + y;
        q.Label = "q";
        var f = q * z;
        f.Label = "f";
        f.Backward();

        var svg = XDocument.Parse(f.ToDisplayString(BackpropFormatters.SvgMimeType));

        Assert.Equal(Svg + "svg", svg.Root!.Name);
        string Label(string cls, string wire) => Texts(svg, cls).Single(t => (string?)t.Attribute("data-wire") == wire).Value;
        Assert.Equal(("-2", "-4"), (Label("value", "x"), Label("grad", "x")));
        Assert.Equal(("5", "-4"), (Label("value", "y"), Label("grad", "y")));
        Assert.Equal(("-4", "3"), (Label("value", "z"), Label("grad", "z")));
        Assert.Equal(("3", "-4"), (Label("value", "q"), Label("grad", "q")));
        Assert.Equal(("-12", "1"), (Label("value", "f"), Label("grad", "f")));
    }

    [Fact]
    public void Values_and_graphs_prefer_svg_and_tensors_prefer_html()
    {
        Assert.Equal([BackpropFormatters.SvgMimeType], Formatter.GetPreferredMimeTypesFor(typeof(Value)));
        Assert.Equal([BackpropFormatters.SvgMimeType], Formatter.GetPreferredMimeTypesFor(typeof(TensorGraph)));
        Assert.Equal([BackpropFormatters.HtmlMimeType], Formatter.GetPreferredMimeTypesFor(typeof(Tensor)));
    }

    [Fact]
    public void A_tensor_graph_displays_as_the_diagram_of_its_ops()
    {
        var w = Tensor.FromArray([1.0, 2, 3, 4, 5, 6], [2, 3], requiresGrad: true);
        var x = Tensor.FromArray([1.0, -1, 2], [3, 1]);
        var loss = w.MatMul(x).Sum();
        loss.Backward();

        string shown = loss.Graph(names: new Dictionary<string, Tensor> { ["W"] = w, ["loss"] = loss }).ToDisplayString(BackpropFormatters.SvgMimeType);

        Assert.Equal(Backprop.Viz.Svg(loss, names: new Dictionary<string, Tensor> { ["W"] = w, ["loss"] = loss }), shown);
        var texts = XDocument.Parse(shown).Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Contains(texts, t => t.Contains("matmul", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(texts, t => t.Contains('W'));
    }

    private static List<List<string>> Rows(XElement table) =>
        table.Elements("tr").Select(tr => tr.Elements().Select(cell => cell.Value).ToList()).ToList();

    private static List<XElement> Tables(Tensor tensor) =>
        XElement.Parse(tensor.ToDisplayString(BackpropFormatters.HtmlMimeType)).Elements("table").ToList();

    [Fact]
    public void A_tensor_displays_as_a_table_of_its_values_and_then_its_gradient()
    {
        var w = Tensor.FromArray([1.5, -2, 3, 0.25, 5, -6], [2, 3], requiresGrad: true);
        (w * w).Sum().Backward();

        var tables = Tables(w);

        Assert.Equal(2, tables.Count);
        Assert.Equal("tensor [2, 3] Float64, requires_grad", tables[0].Element("caption")!.Value);
        Assert.Equal([["", "0", "1", "2"], ["[0]", "1.5", "-2", "3"], ["[1]", "0.25", "5", "-6"]], Rows(tables[0]));
        Assert.Equal("grad [2, 3]", tables[1].Element("caption")!.Value);
        Assert.Equal([["", "0", "1", "2"], ["[0]", "3", "-4", "6"], ["[1]", "0.5", "10", "-12"]], Rows(tables[1]));
    }

    [Fact]
    public void A_scalar_is_one_cell_and_an_op_output_names_its_grad_fn()
    {
        var a = Tensor.FromArray([2.0, 3], requiresGrad: true);
        var tables = Tables((a * a).Sum());
        Assert.Single(tables);
        Assert.StartsWith("tensor [] Float64, grad_fn=", tables[0].Element("caption")!.Value);
        Assert.Equal([["13"]], Rows(tables[0]));
    }

    [Fact]
    public void A_large_tensor_shows_the_first_and_last_three_indices_of_each_dim_like_ToString()
    {
        var t = Tensor.FromArray(Enumerable.Range(0, 40 * 50).Select(i => (double)i).ToArray(), [40, 50]);

        var rows = Rows(Tables(t).Single());

        Assert.Equal(["", "0", "1", "2", "…", "47", "48", "49"], rows[0]);
        Assert.Equal(["[0]", "0", "1", "2", "…", "47", "48", "49"], rows[1]);
        Assert.Equal("⋮", rows[4][0]);
        Assert.Equal(["[39]", .. new[] { 1950, 1951, 1952 }.Select(Str), "…", .. new[] { 1997, 1998, 1999 }.Select(Str)], rows[^1]);
        Assert.Equal(8, rows.Count);   // header, three rows, the elision, three rows
    }

    [Fact]
    public void Leading_dims_of_a_3d_tensor_label_the_rows()
    {
        var t = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), [2, 3, 2]);
        var rows = Rows(Tables(t).Single());
        Assert.Equal(["[1, 2]", "10", "11"], rows[^1]);
        Assert.Equal(7, rows.Count);
    }

    private static string Str(int i) => i.ToString(CultureInfo.InvariantCulture);
}
