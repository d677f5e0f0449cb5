using System.Globalization;
using Page = Backprop.Cli.DemoCommand.Page;

namespace Backprop.Cli;

/// <summary>
/// The demo's tensor sections: the multiply gate's dependence on the scale of the data, the notes' vectorized matmul
/// gate, dimension analysis of its gradients, and a tiny two-layer net's loss graph.
/// </summary>
internal static class TensorDemo
{
    // three significant digits keep the wire summaries short enough for a terminal
    private static readonly VizOptions Options = new() { Digits = 3 };

    /// <summary>
    /// The notes' "unintuitive effect": the weight gradient of a linear classifier is the upstream gradient times the
    /// data, so scaling the data by 1000 scales it by 1000, and the learning rate must shrink by as much.
    /// </summary>
    public static void DataScale(Page page)
    {
        var stdout = page.Out;
        var gen = new Generator(231);
        var x = Tensor.Randn([5, 4], DType.Float64, gen);
        var labels = Tensor.FromArray(new long[] { 0, 1, 2, 1, 0 });
        Say(stdout,
            "A linear classifier: scores = x·W for 5 examples of 4 features, W [4,3], softmax loss.",
            "At W = 0 every score is 0 at any scale of x, so the upstream gradient dscores is the same,",
            "and dW = xᵀ·dscores carries the data's scale: the multiply gate scales by its other input.");
        var (grad1, step1) = GradientAndStep(x, labels, scale: 1, learningRate: 1e-2);
        var (grad1000, step1000) = GradientAndStep(x, labels, scale: 1000, learningRate: 1e-5);
        double norm1 = Norm(grad1), norm1000 = Norm(grad1000);
        stdout.WriteLine(Invariant($"    data × 1:     ‖dW‖ = {norm1:G6}"));
        stdout.WriteLine(Invariant(
            $"    data × 1000:  ‖dW‖ = {norm1000:G6}  ({norm1000 / norm1:0.###} times larger)"));
        Say(stdout,
            "One SGD step with learning rate 1e-2 on the data, and 1e-5 on the data × 1000, moves W by the",
            $"same amount: {YesNo(Same(step1, step1000))}.",
            "Scale the data, and the learning rate must shrink by as much.");
    }

    // dW at W = 0 for the data times scale, and the change one SGD step makes to W
    private static (double[] Grad, double[] Step) GradientAndStep(Tensor x, Tensor labels, double scale,
        double learningRate)
    {
        var w = Tensor.Zeros([4, 3], DType.Float64, requiresGrad: true);
        F.CrossEntropy((x * scale).MatMul(w), labels).Backward();
        var grad = w.Grad!.ToArray<double>();
        return (grad, grad.Select(g => -learningRate * g).ToArray());
    }

    /// <summary>The notes' matmul gate D = W·X with a random upstream gradient, drawn with shapes and norms.</summary>
    public static void MatMulGate(Page page)
    {
        var stdout = page.Out;
        var (w, x, dD, d) = MatMulCase();
        Say(stdout,
            "W [5,10], X [10,3], a random upstream gradient dD [5,3]: dW = dD·Xᵀ [5,10], dX = Wᵀ·dD [10,3]",
            "Each wire: shape, ‖value‖ and range above, ‖gradient‖ below. " +
            "A gradient has its variable's shape.");
        Picture(page, d, new() { ["W"] = w, ["X"] = x, ["D"] = d }, "matmul-gate", "D = W·X");
        bool same = Same(w.Grad!.ToArray<double>(), dD.MatMul(x.Detach().MT).ToArray<double>());
        stdout.WriteLine($"  dW equals dD·Xᵀ computed directly: {YesNo(same)}.");
    }

    private static (Tensor W, Tensor X, Tensor DD, Tensor D) MatMulCase()
    {
        var gen = new Generator(231);
        var w = Tensor.Randn([5, 10], DType.Float64, gen, requiresGrad: true);
        var x = Tensor.Randn([10, 3], DType.Float64, gen, requiresGrad: true);
        var dD = Tensor.Randn([5, 3], DType.Float64, gen);
        Tensor d;
        using (Viz.Trace())
        {
            d = w.MatMul(x);
            d.Backward(dD);  // a random upstream gradient, as in the notes
        }
        return (w, x, dD, d);
    }

    /// <summary>
    /// The notes' advice: a gradient has its variable's shape, so of the products of the upstream gradient with the
    /// gate's other input (either order, either transposed), only one fits. Each candidate is tried on the tensors.
    /// </summary>
    public static void DimensionAnalysis(Page page)
    {
        var stdout = page.Out;
        var (w, x, dD, _) = MatMulCase();
        Say(stdout,
            "D = W·X: W [5,10], X [10,3], D [5,3], and dD [5,3] from above. Each gradient is a product of dD",
            "with the other input, in some order, each maybe transposed; its shape must be its variable's.");
        Candidates(stdout, "dW", w, dD, x.Detach(), "X");
        Candidates(stdout, "dX", x, dD, w.Detach(), "W");
    }

    private static void Candidates(TextWriter stdout, string gradName, Tensor variable, Tensor dD, Tensor other,
        string otherName)
    {
        string want = ShapeText(variable);
        stdout.WriteLine($"  {gradName} must be {want}:");
        (string Name, Tensor T)[] operands =
            [("dD", dD), ("dDᵀ", dD.MT), (otherName, other), (otherName + "ᵀ", other.MT)];
        (string Name, Tensor Value)? fit = null;
        foreach (var (an, a) in operands)
            foreach (var (bn, b) in operands)
            {
                if (IsUpstream(an) == IsUpstream(bn)) continue;
                string product = $"{an}·{bn}", shapes = $"{ShapeText(a)}·{ShapeText(b)}";
                if (a.Shape[1] != b.Shape[0])
                {
                    stdout.WriteLine($"    {product,-7} {shapes,-14} inner sizes {a.Shape[1]} and {b.Shape[0]} differ");
                    continue;
                }
                var result = a.MatMul(b);
                string got = ShapeText(result);
                stdout.WriteLine($"    {product,-7} {shapes,-14} = {got,-7} {(got == want ? "fits" : "not " + want)}");
                if (got == want) fit = (product, result);
            }
        if (fit is not { } found)
        {
            stdout.WriteLine($"    no product fits {want}: NO");
            return;
        }
        bool same = Same(found.Value.ToArray<double>(), variable.Grad!.ToArray<double>());
        stdout.WriteLine($"    so {gradName} = {found.Name}; it equals the gradient backward computed: {YesNo(same)}.");
    }

    /// <summary>A two-layer net's loss through the fused ops, as a table of its wires.</summary>
    public static void TwoLayerNet(Page page)
    {
        var stdout = page.Out;
        var gen = new Generator(231);
        var input = Tensor.Randn([4, 3], DType.Float64, gen);
        var w1 = Tensor.Randn([5, 3], DType.Float64, gen, requiresGrad: true);
        var b1 = Tensor.Zeros([5], DType.Float64, requiresGrad: true);
        var w2 = Tensor.Randn([2, 5], DType.Float64, gen, requiresGrad: true);
        var b2 = Tensor.Zeros([2], DType.Float64, requiresGrad: true);
        var labels = Tensor.FromArray(new long[] { 0, 1, 1, 0 });
        Tensor loss;
        using (Viz.Trace())
        {
            loss = F.CrossEntropy(F.Linear(F.Relu(F.Linear(input, w1, b1)), w2, b2), labels);
            loss.Backward();
        }
        Say(stdout,
            "F.Linear is one gate, y = x·Wᵀ + b, with local gradients dx = dy·W, dW = dyᵀ·x, " +
            "db = Σ rows of dy;",
            "F.CrossEntropy is one gate too: softmax and the mean negative log-likelihood, dscores = (p - onehot)/N.");
        Picture(page, loss, new() { ["W1"] = w1, ["b1"] = b1, ["W2"] = w2, ["b2"] = b2, ["loss"] = loss },
            "two-layer-net", "loss = CrossEntropy(Linear(ReLU(Linear(x, W1, b1)), W2, b2), y)");
    }

    // The graph as a text diagram where it fits the page, else as the table of its wires; with --out, also as SVG.
    private static void Picture(Page page, Tensor output, Dictionary<string, Tensor> names, string file, string title)
    {
        var stdout = page.Out;
        stdout.WriteLine();
        string diagram = Viz.Text(output, Options, names);
        bool fits = DemoCommand.Fits(diagram, DemoCommand.DiagramIndent);
        if (!fits) Say(stdout, "(the diagram is too wide for the page: its wires as a table, in the order made)");
        string text = fits ? Viz.Text(output, Options, names, page.Color) : Viz.Table(output, Options, names);
        foreach (var line in text.TrimEnd('\n').Split('\n'))
            stdout.WriteLine(new string(' ', DemoCommand.DiagramIndent) + line);
        if (page.OutDir is null) return;
        string path = Path.Combine(page.OutDir, file + ".svg");
        Files.Write(page.Log, path, Viz.Svg(output, Options with { Title = title }, names));
    }

    // the demo's prose: each line indented under its section's title
    private static void Say(TextWriter stdout, params string[] lines)
    {
        foreach (var line in lines) stdout.WriteLine("  " + line);
    }

    private static bool Same(double[] a, double[] b) =>
        a.Length == b.Length
        && a.Zip(b).All(p => Math.Abs(p.First - p.Second) <= 1e-12 * Math.Max(1, Math.Abs(p.First)));

    private static string YesNo(bool ok) => ok ? "yes" : "NO";

    private static bool IsUpstream(string operand) => operand.StartsWith("dD", StringComparison.Ordinal);

    private static string ShapeText(Tensor t) => $"[{string.Join(',', t.Shape)}]";

    private static double Norm(double[] values) => Math.Sqrt(values.Sum(v => v * v));

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
