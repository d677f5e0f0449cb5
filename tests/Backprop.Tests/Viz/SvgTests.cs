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
        Assert.Equal(2 * circuit.Wires.Count, scene.Texts.Count(t => t.Class is "value" or "grad"));
        var labels = scene.Texts.Where(t => t.Class is "value" or "grad" or "branch").ToList();
        var all = scene.Texts;
        for (int i = 0; i < all.Count; i++)
            for (int j = i + 1; j < all.Count; j++)
                Assert.False(all[i].Box.Overlaps(all[j].Box), $"'{all[i].Text}' overlaps '{all[j].Text}'");
        foreach (var label in labels)
        {
            foreach (var node in scene.Nodes) Assert.False(label.Box.Overlaps(node.Box), $"'{label.Text}' overlaps a node");
            foreach (var path in scene.Paths)
                foreach (var (x, y) in Along(path.Segments))
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
    private static IEnumerable<(double, double)> Along(List<Segment> segments)
    {
        foreach (var (x1, y1, x2, y2) in segments)
        {
            int steps = (int)Math.Ceiling(Math.Max(Math.Abs(x2 - x1), Math.Abs(y2 - y1)));
            for (int s = 0; s <= steps; s++)
            {
                double t = steps == 0 ? 0 : (double)s / steps;
                yield return (x1 + t * (x2 - x1), y1 + t * (y2 - y1));
            }
        }
    }

    // Random circuits of up to 60 gates over up to 6 inputs, every wire used, the output the sum of the unused ones.
    public static TheoryData<int> Seeds() => new(Enumerable.Range(1, 40));

    private static Value RandomCircuit(int seed)
    {
        var random = new Random(seed);
        var wires = Enumerable.Range(0, random.Next(2, 7)).Select(i => new Value(random.NextDouble() * 2 - 1, $"x{i}"))
            .ToList();
        var unused = new HashSet<Value>(wires, ReferenceEqualityComparer.Instance);
        Value Pick() => wires[random.Next(wires.Count)];
        int gates = random.Next(5, 56);
        for (int g = 0; g < gates; g++)
        {
            var (a, b) = (Pick(), Pick());
            var wire = random.Next(6) switch
            {
                0 => a + b, 1 => a * b, 2 => Value.Max(a, b), 3 => a.Tanh(), 4 => a.Sigmoid(), _ => a * 0.5,
            };
            unused.Remove(a);
            unused.Remove(b);
            wires.Add(wire);
            unused.Add(wire);
        }
        var output = unused.Aggregate((x, y) => x + y);
        output.Backward();
        return output;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void No_two_wires_share_a_segment_and_no_wire_passes_through_a_gate(int seed)
    {
        var output = RandomCircuit(seed);
        var options = new VizOptions();
        var scene = SvgScene.Build(CircuitLayout.Build(output, options), options);
        var pieces = scene.Paths.SelectMany(p => p.Segments.Select(s => (p.Wire, Segment: s))).ToList();
        for (int i = 0; i < pieces.Count; i++)
            for (int j = i + 1; j < pieces.Count; j++)
                if (pieces[i].Wire != pieces[j].Wire)
                    Assert.False(Overlap(pieces[i].Segment, pieces[j].Segment),
                        $"wires {pieces[i].Wire} and {pieces[j].Wire} share a segment: " +
                        $"{pieces[i].Segment}, {pieces[j].Segment}");
        foreach (var node in scene.Nodes)
        {
            var inside = new Box(node.Box.X + 0.5, node.Box.Y + 0.5, node.Box.Width - 1, node.Box.Height - 1);
            foreach (var (wire, segment) in pieces)
                Assert.False(Along([segment]).Any(p => inside.Contains(p.Item1, p.Item2)),
                    $"wire {wire} passes through the node of {node.Wire}: {segment}");
        }
    }

    [Fact]
    public void Each_branch_of_a_fork_carries_its_own_gradient_into_its_gate_and_the_input_shows_the_sum()
    {
        var options = new VizOptions();
        var scene = SvgScene.Build(CircuitLayout.Build(NotesExamples.Staged().Output, options), options);
        var branches = scene.Texts.Where(t => t.Class == "branch").ToList();
        Assert.Equal(["-0.03576", "0.5121", "1.583"], branches.Where(t => t.Wire == "x").Select(t => t.Text).Order());
        Assert.Equal(["0.009046", "1.583"], branches.Where(t => t.Wire == "y").Select(t => t.Text).Order());
        // the sums under the diagram, below every row, widening no column
        var sums = scene.Texts.Where(t => t.Class == "forksum").ToList();
        Assert.Equal(["dx = 1.583 + (-0.03576) + 0.5121 = 2.06", "dy = 1.583 + 0.009046 = 1.592"],
            sums.Select(t => t.Text));
        Assert.All(sums, s => Assert.True(s.Box.Y > scene.Nodes.Max(n => n.Box.Y + n.Box.Height)));
        Assert.All(sums, s => Assert.True(s.Box.X + s.Box.Width < scene.Width));
        // each branch label sits just before a gate, right of every lane of its gap
        foreach (var label in branches)
            Assert.Contains(scene.Nodes, n => n.Kind == NodeKind.Gate
                && Math.Abs(n.Box.X - label.Box.X - label.Box.Width) < 8
                && Math.Abs(n.Box.Y + n.Box.Height / 2 - label.Y) < 26);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void In_random_circuits_branch_labels_add_up_to_the_forks_sum_and_touch_no_wire(int seed)
    {
        var output = RandomCircuit(seed);
        var options = new VizOptions { Digits = 17 };
        var scene = SvgScene.Build(CircuitLayout.Build(output, options), options);
        var forks = scene.Texts.Where(t => t.Class == "forksum").ToList();
        var order = output.Topological();
        Assert.Equal(order.Count(v => order.Sum(c => c.Inputs.Count(i => ReferenceEquals(i, v))) > 1), forks.Count);
        foreach (var fork in forks)
        {
            var branches = scene.Texts.Where(t => t.Class == "branch" && t.Wire == fork.Wire)
                .Select(t => double.Parse(t.Text, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.True(branches.Count >= 2, $"fork {fork.Text} has {branches.Count} branch labels");
            double total = double.Parse(fork.Text[(fork.Text.LastIndexOf('=') + 1)..],
                System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(total, branches.Sum(), 1e-9 * Math.Max(1, Math.Abs(total)));
        }
        foreach (var label in scene.Texts.Where(t => t.Class == "branch"))
            foreach (var path in scene.Paths)
                Assert.False(Along(path.Segments).Any(p => label.Box.Contains(p.Item1, p.Item2)),
                    $"branch label '{label.Text}' of {label.Wire} is crossed by wire {path.Wire}");
    }

    // two horizontal (or two vertical) segments on one line whose extents overlap by more than a point
    private static bool Overlap(Segment a, Segment b)
    {
        bool aHorizontal = a.Y1 == a.Y2, bHorizontal = b.Y1 == b.Y2;
        if (aHorizontal != bHorizontal) return false;
        if (aHorizontal)
            return a.Y1 == b.Y1 && Math.Min(Math.Max(a.X1, a.X2), Math.Max(b.X1, b.X2))
                - Math.Max(Math.Min(a.X1, a.X2), Math.Min(b.X1, b.X2)) > 1e-9;
        return a.X1 == b.X1 && Math.Min(Math.Max(a.Y1, a.Y2), Math.Max(b.Y1, b.Y2))
            - Math.Max(Math.Min(a.Y1, a.Y2), Math.Min(b.Y1, b.Y2)) > 1e-9;
    }
}
