using System.Xml.Linq;

namespace Backprop.Tests.Viz;

public class SvgTests
{
    public static TheoryData<string> Examples() => new(NotesExamples.All().Select(c => c.Name));

    private static Circuit Example(string name) => NotesExamples.All().Single(c => c.Name == name);

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_wire_shows_its_value_and_gradient_in_the_svg(string name)
    {
        var circuit = Example(name);
        var svg = XDocument.Parse(Backprop.Viz.Svg(circuit.Output, new VizOptions { Title = circuit.Formula }));
        XNamespace ns = "http://www.w3.org/2000/svg";
        var texts = svg.Descendants(ns + "text").ToList();
        var names = new WireNames(circuit.Wires);
        foreach (var wire in circuit.Wires)
        {
            string Text(string cls) => texts.Single(t => (string?)t.Attribute("class") == cls && (string?)t.Attribute("data-wire") == names[wire]).Value;
            Assert.Equal(Format.Number(wire.Data, 4), Text("value"));
            Assert.Equal(Format.Number(wire.Grad, 4), Text("grad"));
        }
        Assert.Equal(circuit.Wires.Count, svg.Descendants(ns + "path").Select(p => (string?)p.Attribute("data-wire")).Distinct().Count());
        Assert.Contains(texts, t => t.Value == circuit.Formula);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void No_label_overlaps_a_wire_a_node_or_another_label(string name)
    {
        var circuit = Example(name);
        var options = new VizOptions { Title = circuit.Formula };
        var scene = SvgScene.Build(CircuitLayout.Build(circuit.Output, options), options);
        var labels = scene.Texts.Where(t => t.Class is "value" or "grad").ToList();
        Assert.Equal(2 * circuit.Wires.Count, labels.Count);
        var all = scene.Texts;
        for (int i = 0; i < all.Count; i++)
            for (int j = i + 1; j < all.Count; j++)
                Assert.False(all[i].Box.Overlaps(all[j].Box), $"'{all[i].Text}' overlaps '{all[j].Text}'");
        foreach (var label in labels)
        {
            foreach (var node in scene.Nodes) Assert.False(label.Box.Overlaps(node.Box), $"'{label.Text}' overlaps a node");
            foreach (var path in scene.Paths)
                foreach (var (x, y) in Along(path.Points))
                    Assert.False(label.Box.Contains(x, y), $"label '{label.Text}' of {label.Wire} is crossed by wire {path.Wire} at ({x:F0}, {y:F0})");
        }
    }

    [Fact]
    public void Text_is_escaped_and_the_document_has_no_script_or_external_reference()
    {
        var x = new Value(1, "x");
        var f = (x * 2.0).Exp();
        f.Backward();
        string svg = Backprop.Viz.Svg(f, new VizOptions { Title = "a < b & \"c\"" });
        var doc = XDocument.Parse(svg);
        Assert.Contains(doc.Descendants().Select(e => e.Value), v => v == "a < b & \"c\"");
        Assert.DoesNotContain("<script", svg);
        Assert.DoesNotContain("href", svg);
    }

    [Fact]
    public void Digits_option_sets_the_significant_digits()
    {
        var staged = NotesExamples.Staged();
        string svg = Backprop.Viz.Svg(staged.Output, new VizOptions { Digits = 2 });
        Assert.Contains(">1.5</text>", svg);       // f = 1.5456...
        Assert.DoesNotContain(">1.546</text>", svg);
        Assert.Throws<ArgumentOutOfRangeException>(() => Backprop.Viz.Svg(staged.Output, new VizOptions { Digits = 0 }));
    }

    // points every pixel along each segment of a polyline
    private static IEnumerable<(double, double)> Along(List<(double X, double Y)> points)
    {
        for (int i = 1; i < points.Count; i++)
        {
            var (a, b) = (points[i - 1], points[i]);
            int steps = (int)Math.Ceiling(Math.Max(Math.Abs(b.X - a.X), Math.Abs(b.Y - a.Y)));
            for (int s = 0; s <= steps; s++)
            {
                double t = steps == 0 ? 0 : (double)s / steps;
                yield return (a.X + t * (b.X - a.X), a.Y + t * (b.Y - a.Y));
            }
        }
    }
}
