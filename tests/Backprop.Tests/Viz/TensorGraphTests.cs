using System.Xml.Linq;

namespace Backprop.Tests.Viz;

public class TensorGraphTests
{
    private static readonly XNamespace Ns = "http://www.w3.org/2000/svg";

    private static string N(double x) => Format.Number(x, 4);

    private static double Norm(IEnumerable<double> values) => Math.Sqrt(values.Sum(v => v * v));

    // the notes' vectorized matmul gate D = W·X, with an upstream gradient dD
    private static (Tensor W, Tensor X, Tensor D, Tensor dD) MatMulGate()
    {
        var gen = new Generator(7);
        var w = Tensor.Randn([5, 10], DType.Float64, gen, requiresGrad: true);
        var x = Tensor.Randn([10, 3], DType.Float64, gen, requiresGrad: true);
        var dD = Tensor.Randn([5, 3], DType.Float64, gen);
        Tensor d;
        using (Backprop.Viz.Trace())
        {
            d = w.MatMul(x);
            d.Backward(dD);
        }
        return (w, x, d, dD);
    }

    private static List<XElement> Texts(string svg) => XDocument.Parse(svg).Descendants(Ns + "text").ToList();

    [Fact]
    public void The_matmul_gate_shows_shapes_parameters_and_gradient_norms_computed_by_hand()
    {
        var (w, x, d, dD) = MatMulGate();
        string svg = Backprop.Viz.Svg(d, names: new Dictionary<string, Tensor> { ["W"] = w, ["X"] = x, ["D"] = d });
        var texts = Texts(svg);
        var W = w.ToArray<double>();
        var X = x.ToArray<double>();
        var G = dD.ToArray<double>();
        // dW = dD·Xᵀ and dX = Wᵀ·dD, element by element
        var dW = from i in Enumerable.Range(0, 5) from k in Enumerable.Range(0, 10)
                 select Enumerable.Range(0, 3).Sum(j => G[i * 3 + j] * X[k * 3 + j]);
        var dX = from k in Enumerable.Range(0, 10) from j in Enumerable.Range(0, 3)
                 select Enumerable.Range(0, 5).Sum(i => W[i * 10 + k] * G[i * 3 + j]);
        var D = from i in Enumerable.Range(0, 5) from j in Enumerable.Range(0, 3)
                select Enumerable.Range(0, 10).Sum(k => W[i * 10 + k] * X[k * 3 + j]);

        string Wire(string cls, string wire) => texts.Single(t => (string?)t.Attribute("class") == cls && (string?)t.Attribute("data-wire") == wire).Value;
        Assert.Contains(texts, t => t.Value == "MatMul [5,3]");
        Assert.StartsWith($"[5,10] ‖v‖={N(Norm(W))}", Wire("value", "W"));
        Assert.Equal($"‖g‖={N(Norm(dW))}", Wire("grad", "W"));
        Assert.Equal($"‖g‖={N(Norm(dX))}", Wire("grad", "X"));
        Assert.Equal($"[5,3] ‖v‖={N(Norm(D))} ∈[{N(D.Min())},{N(D.Max())}]", Wire("value", "D"));
        Assert.Equal($"‖g‖={N(Norm(G))}", Wire("grad", "D"));  // the upstream gradient, kept by the trace
        // both inputs require grad: framed and tagged as parameters
        Assert.Equal(2, XDocument.Parse(svg).Descendants(Ns + "rect").Count(r => (string?)r.Attribute("class") == "param"));
        Assert.Contains(texts, t => t.Value == "W param");
        Assert.Contains(texts, t => t.Value == "X param");
    }

    private static (Tensor Loss, Dictionary<string, Tensor> Names) TwoLayerNet(bool trace)
    {
        var gen = new Generator(3);
        var x = Tensor.Randn([4, 3], DType.Float64, gen);
        var w1 = Tensor.Randn([5, 3], DType.Float64, gen, requiresGrad: true);
        var b1 = Tensor.Zeros([5], DType.Float64, requiresGrad: true);
        var w2 = Tensor.Randn([2, 5], DType.Float64, gen, requiresGrad: true);
        var b2 = Tensor.Zeros([2], DType.Float64, requiresGrad: true);
        var target = Tensor.FromArray(new long[] { 0, 1, 1, 0 });
        using var scope = trace ? Backprop.Viz.Trace() : null;
        var loss = F.CrossEntropy(F.Linear(F.Relu(F.Linear(x, w1, b1)), w2, b2), target);
        loss.Backward();
        return (loss, new() { ["W1"] = w1, ["b1"] = b1, ["W2"] = w2, ["b2"] = b2, ["loss"] = loss });
    }

    [Fact]
    public void A_two_layer_net_shows_every_op_and_every_parameter()
    {
        var (loss, names) = TwoLayerNet(trace: true);
        var texts = Texts(Backprop.Viz.Svg(loss, names: names)).Select(t => t.Value).ToList();
        // the mean divides the sum by the row count: its node is a Div
        var ops = new[] { "Linear [4,5]", "Relu [4,5]", "Linear [4,2]", "CrossEntropy [4]", "Sum []", "Div []" };
        foreach (var op in ops)
            Assert.Contains(op, texts);
        foreach (var (name, t) in names.Where(p => p.Key != "loss"))
        {
            Assert.Contains(name + " param", texts);
            Assert.Contains($"‖g‖={N(Norm(t.Grad!.ToArray<double>()))}", texts);
        }
        Assert.Contains($"[] v={N(loss.Item())}", texts);
        Assert.Contains("g=1", texts);  // dloss/dloss, traced
        Assert.Equal("loss", texts[^1]);
    }

    [Fact]
    public void The_table_lists_every_wire_once_after_the_wires_it_reads()
    {
        var (loss, names) = TwoLayerNet(trace: true);
        var rows = Backprop.Viz.Table(loss, names: names).TrimEnd('\n').Split('\n');
        Assert.StartsWith("wire", rows[0]);
        var wires = rows.Skip(1).Select(r => r.Split(' ')[0]).ToList();
        Assert.Equal(wires.Distinct(), wires);
        Assert.Equal("loss", wires[^1]);
        foreach (var row in rows.Skip(1))
        {
            var reads = System.Text.RegularExpressions.Regex.Match(row, @"\(([^)]*)\)").Groups[1].Value;
            foreach (var input in reads.Split(", ", StringSplitOptions.RemoveEmptyEntries))
                Assert.True(wires.IndexOf(input) >= 0 && wires.IndexOf(input) < wires.IndexOf(row.Split(' ')[0]),
                    $"{row}: '{input}' is not listed before it");
        }
        foreach (var (name, t) in names.Where(p => p.Key != "loss"))
        {
            var row = rows.Single(r => r.StartsWith(name + " ", StringComparison.Ordinal));
            Assert.Contains("parameter", row);
            Assert.EndsWith($"‖g‖={N(Norm(t.Grad!.ToArray<double>()))}", row);
        }
        Assert.Contains(rows, r => r.StartsWith("relu1 ", StringComparison.Ordinal) && r.Contains("Relu(linear1)"));
    }

    [Fact]
    public void Without_a_trace_intermediate_wires_show_their_shape_only()
    {
        var (loss, names) = TwoLayerNet(trace: false);
        string text = Backprop.Viz.Text(loss, names: names);
        Assert.Contains("Relu [4,5]", text);
        Assert.Contains("[4,5]", text);
        Assert.Contains("W1 param", text);
        Assert.DoesNotContain("g=1", text);  // the output's gradient is not kept without a trace
        Assert.Contains($"‖g‖={N(Norm(names["W1"].Grad!.ToArray<double>()))}", text);  // a leaf's Grad is
    }

    [SkippableFact]
    public void Graphviz_accepts_the_dot_of_a_tensor_graph()
    {
        Skip.IfNot(DotTests.DotIsInstalled(), "Graphviz 'dot' is not installed (apt-get install graphviz), so DOT output is not checked");
        var (loss, names) = TwoLayerNet(trace: true);
        string dot = Backprop.Viz.Dot(loss, new VizOptions { Title = "two-layer net \"loss\"" }, names);
        var (code, svg, errors) = DotTests.RunDot(dot);
        Assert.True(code == 0, $"dot rejected the graph: {errors}\n{dot}");
        var texts = XDocument.Parse(svg).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value).ToList();
        Assert.Contains("CrossEntropy [4]", texts);
        Assert.Contains($"‖g‖={N(Norm(names["W2"].Grad!.ToArray<double>()))}", texts);
    }

    [Fact]
    public void A_100_layer_mlp_collapses_its_repeated_layers_into_one_node()
    {
        var gen = new Generator(5);
        var h = Tensor.Randn([2, 3], DType.Float64, gen);
        var w = Tensor.Randn([4, 3], DType.Float64, gen, requiresGrad: true);
        for (int layer = 1; layer <= 100; layer++)
        {
            var b = Tensor.Zeros([layer == 100 ? 2 : 4], DType.Float64, requiresGrad: true);
            h = F.Linear(h, w, b);
            if (layer < 100) h = F.Relu(h);
            w = (Tensor.Randn([layer == 99 ? 2 : 4, 4], DType.Float64, gen) * 0.5).RequiresGrad_();
        }
        var loss = F.CrossEntropy(h, Tensor.FromArray(new long[] { 0, 1 }));
        loss.Backward();
        string svg = Backprop.Viz.Svg(loss);
        // 100 Linear + 99 Relu + CrossEntropy + its mean (Sum, Mul); the first and last layers drawn in full, the 98
        // middle ones as one node standing for one layer's two ops
        Assert.Contains("showing 8 of 202 ops", svg);
        Assert.Contains(">Linear→Relu ×98 [2,4]<", svg);
        Assert.True(svg.Length < 16 * 1024, $"the SVG has {svg.Length} characters, the documented bound is 16 KiB");
        // only the first and last layers' weights and biases
        Assert.Equal(4, XDocument.Parse(svg).Descendants(Ns + "rect").Count(r => (string?)r.Attribute("class") == "param"));
    }

    [Fact]
    public void A_10000_op_chain_is_drawn_without_recursion()
    {
        string? text = null, svg = null;
        // a small stack: any recursion over the chain would overflow it
        var thread = new Thread(() =>
        {
            var x = Tensor.Ones([3], DType.Float64, requiresGrad: true);
            var t = x;
            for (int i = 0; i < 10_000; i++) t = t * 1.0001;
            var y = t.Sum();
            y.Backward();
            text = Backprop.Viz.Text(y);
            svg = Backprop.Viz.Svg(y, new VizOptions { CollapseAbove = 50 });
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        Assert.Contains("showing 3 of 10001 ops", text);  // Mul, the run of the other 9999, Sum
        Assert.Contains("Mul ×9999 [3]", text);
        Assert.NotNull(XDocument.Parse(svg!));
    }

    [Fact]
    public void A_tensor_without_a_graph_is_drawn_as_its_leaf()
    {
        var t = Tensor.FromArray(new double[] { 3, -4 }, requiresGrad: true);
        var texts = Texts(Backprop.Viz.Svg(t)).Select(e => e.Value).ToList();
        Assert.Contains("[2] ‖v‖=5 ∈[-4,3]", texts);
        Assert.Contains("out param", texts);
        Assert.Throws<ArgumentNullException>(() => Backprop.Viz.Svg((Tensor)null!));
    }

    [Fact]
    public void The_demo_draws_the_matmul_gate_and_the_two_layer_net()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, Backprop.Cli.Cli.Run(["demo"], stdout, new StringWriter()));
        string text = stdout.ToString();
        Assert.Contains("├MatMul [5,3]", text);
        Assert.Contains("W param", text);
        Assert.Contains("dW equals dD·Xᵀ computed directly: yes.", text);
        Assert.Contains("CrossEntropy(linear2)", text);   // the net, too wide to draw, as its table of wires
        Assert.True(text.IndexOf("Patterns in backward flow", StringComparison.Ordinal) < text.IndexOf("matmul gate", StringComparison.Ordinal),
            "the tensor examples come after the scalar ones");
    }
}
