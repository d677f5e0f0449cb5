namespace Backprop.Cli;

/// <summary>The demo's tensor examples: the notes' vectorized matmul gate, and a tiny two-layer net's loss graph.</summary>
internal static class TensorDemo
{
    // three significant digits keep the wire summaries short enough for a terminal
    private static readonly VizOptions Options = new() { Digits = 3 };

    public static void Run(TextWriter stdout, string? outDir, bool color)
    {
        stdout.WriteLine();
        stdout.WriteLine("6. Gradients for vectorized operations: the matmul gate D = W·X");
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
        stdout.WriteLine("  W [5,10], X [10,3], a random upstream gradient dD [5,3]: dW = dD·Xᵀ [5,10], dX = Wᵀ·dD [10,3]");
        stdout.WriteLine("  Each wire: shape, ‖value‖ and range above, ‖gradient‖ below. A gradient has its variable's shape.");
        Picture(stdout, d, new() { ["W"] = w, ["X"] = x, ["D"] = d }, "matmul-gate", "D = W·X", outDir, color);
        var expectedDW = dD.MatMul(x.Detach().MT).ToArray<double>();
        bool same = w.Grad!.ToArray<double>().Zip(expectedDW).All(p => Math.Abs(p.First - p.Second) < 1e-12);
        stdout.WriteLine($"  dW equals dD·Xᵀ computed directly: {(same ? "yes" : "NO")}.");

        stdout.WriteLine();
        stdout.WriteLine("6. A two-layer net's loss: Linear → ReLU → Linear → CrossEntropy");
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
        stdout.WriteLine("  Linear is MatMul with the weight's Transpose, then Add; the mean over the batch is Sum then Mul.");
        Picture(stdout, loss, new() { ["W1"] = w1, ["b1"] = b1, ["W2"] = w2, ["b2"] = b2, ["loss"] = loss },
            "two-layer-net", "loss = CrossEntropy(Linear(ReLU(Linear(x, W1, b1)), W2, b2), y)", outDir, color);
    }

    private static void Picture(TextWriter stdout, Tensor output, Dictionary<string, Tensor> names, string file, string title,
        string? outDir, bool color)
    {
        stdout.WriteLine();
        foreach (var line in Viz.Text(output, Options, names, color).TrimEnd('\n').Split('\n')) stdout.WriteLine("    " + line);
        if (outDir is null) return;
        string path = Path.Combine(outDir, file + ".svg");
        Files.WriteAtomically(path, Viz.Svg(output, Options with { Title = title }, names));
        stdout.WriteLine($"  wrote {path}");
    }
}
