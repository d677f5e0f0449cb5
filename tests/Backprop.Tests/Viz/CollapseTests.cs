namespace Backprop.Tests.Viz;

public class CollapseTests
{
    // b <- σ(b), a <- 0.9 tanh(a b + a): five gates a step
    private static Value Cell(int steps)
    {
        Value a = new(0.5, "a"), b = new(0.3, "b");
        for (int i = 0; i < steps; i++) { b = b.Sigmoid(); a = (a * b + a).Tanh() * 0.9; }
        a.Backward();
        return a;
    }

    [Fact]
    public void A_large_circuit_is_collapsed_to_the_gates_nearest_the_output()
    {
        var output = Cell(2000);
        var layout = CircuitLayout.Build(output, new VizOptions());
        Assert.Equal(10_000, layout.TotalGates);
        Assert.True(layout.Collapsed);
        Assert.True(layout.Nodes.Count(n => n.Kind is NodeKind.Gate or NodeKind.Chain) <= 400);
        // tanh then *0.9 form a chain of one-input gates, drawn as one node
        Assert.Contains(layout.Nodes, n => n.Kind == NodeKind.Chain && n.Label == "tanh·*0.9" && n.Gates.Count == 2);
        // every drawn gate still shows all its input wires: cut ones become ⋯ stubs
        Assert.All(layout.Nodes.Where(n => n.Kind is NodeKind.Gate or NodeKind.Chain),
            n => Assert.Equal(n.Gates[0].Inputs.Count, n.Inputs.Count));
        Assert.Contains(layout.Nodes, n => n.Kind == NodeKind.Stub && n.Label.StartsWith('⋯'));

        string svg = Backprop.Viz.Svg(output);
        Assert.True(svg.Length < 1_000_000, $"collapsed SVG is {svg.Length} bytes");
        Assert.Contains($"showing {layout.DrawnGates} of 10000 gates", svg);
        System.Xml.Linq.XDocument.Parse(svg);
    }

    [Fact]
    public void A_small_circuit_is_drawn_whole()
    {
        var layout = CircuitLayout.Build(Cell(10), new VizOptions());
        Assert.False(layout.Collapsed);
        Assert.Equal(50, layout.DrawnGates);
        Assert.Equal(50 + 2, layout.Nodes.Count);
    }
}
