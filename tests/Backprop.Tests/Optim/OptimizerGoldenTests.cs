using System.Text.Json;
using Backprop.Optim;

namespace Backprop.Tests.Optim;

/// <summary>
/// Optimizer trajectories and scheduler rates against PyTorch (tools/golden/make_optim_golden.py): the gradients
/// come from our own backward pass of loss = Σ w³/3 + c·w, so the whole training step is checked.
/// </summary>
public class OptimizerGoldenTests
{
    private static readonly JsonElement Golden =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "optimizers.json"))).RootElement;

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static double Option(JsonElement options, string name, double fallback) =>
        options.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;

    private static Optimizer Create(string name, JsonElement o, Tensor w) => name switch
    {
        "SGD" => new SGD([w], Option(o, "lr", 0), Option(o, "momentum", 0), Option(o, "dampening", 0), Option(o, "weight_decay", 0),
            o.TryGetProperty("nesterov", out var n) && n.GetBoolean()),
        "Adam" => new Adam([w], Option(o, "lr", 1e-3), Betas(o), Option(o, "eps", 1e-8), Option(o, "weight_decay", 0)),
        "AdamW" => new AdamW([w], Option(o, "lr", 1e-3), Betas(o), Option(o, "eps", 1e-8), Option(o, "weight_decay", 1e-2)),
        "RMSprop" => new RMSprop([w], Option(o, "lr", 1e-2), Option(o, "alpha", 0.99), Option(o, "eps", 1e-8), Option(o, "weight_decay", 0),
            Option(o, "momentum", 0), o.TryGetProperty("centered", out var c) && c.GetBoolean()),
        _ => throw new ArgumentException(name),
    };

    private static (double, double)? Betas(JsonElement o) =>
        o.TryGetProperty("betas", out var b) ? (b[0].GetDouble(), b[1].GetDouble()) : null;

    public static TheoryData<int> OptimizerCases() => new(Enumerable.Range(0, Golden.GetProperty("optimizers").GetArrayLength()));

    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void TrajectoryMatchesPyTorch(int index)
    {
        var golden = Golden.GetProperty("optimizers")[index];
        var w = Tensor.FromArray(Doubles(Golden.GetProperty("w0")), [2, 3], requiresGrad: true);
        var c = Tensor.FromArray(Doubles(Golden.GetProperty("c")), [2, 3]);
        var optimizer = Create(golden.GetProperty("name").GetString()!, golden.GetProperty("options"), w);
        int step = 0;
        foreach (var expected in golden.GetProperty("steps").EnumerateArray())
        {
            optimizer.ZeroGrad();
            (w.Pow(3) / 3 + c * w).Sum().Backward();
            optimizer.Step();
            var actual = w.ToArray<double>();
            var want = Doubles(expected);
            for (int i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(want[i] - actual[i]) <= 1e-12 * Math.Max(1, Math.Abs(want[i])),
                    $"{golden.GetProperty("name")} {golden.GetProperty("options")} step {step + 1} element {i}: {actual[i]} vs PyTorch {want[i]}");
            step++;
        }
    }

    [Fact]
    public void SchedulersMatchPyTorch()
    {
        foreach (var golden in Golden.GetProperty("schedulers").EnumerateArray())
        {
            var w = Tensor.Zeros([1], requiresGrad: true);
            var sgd = new SGD([w], 0.5);
            var o = golden.GetProperty("options");
            LRScheduler scheduler = golden.GetProperty("name").GetString() == "StepLR"
                ? new StepLR(sgd, o.GetProperty("step_size").GetInt32(), o.GetProperty("gamma").GetDouble())
                : new CosineAnnealingLR(sgd, o.GetProperty("T_max").GetInt32(), o.GetProperty("eta_min").GetDouble());
            foreach (double expected in Doubles(golden.GetProperty("rates")))
            {
                sgd.Step();
                scheduler.Step();
                Assert.Equal(expected, sgd.LearningRate, 1e-12);
            }
        }
    }

    [Fact]
    public void ClipGradNormMatchesPyTorch()
    {
        var golden = Golden.GetProperty("clip");
        var a = Tensor.FromArray(new double[] { 3, -4 }, requiresGrad: true);
        var b = Tensor.FromArray(new double[] { 12 }, [1, 1], requiresGrad: true);
        var shared = Tensor.FromArray(new double[] { 3, -4 });
        a.Grad = shared;
        b.Grad = Tensor.FromArray(new double[] { 12 }, [1, 1]);
        double norm = GradientClipping.ClipGradNorm([a, b], golden.GetProperty("max_norm").GetDouble());
        Assert.Equal(golden.GetProperty("norm").GetDouble(), norm, 1e-12);
        Assert.Equal(Doubles(golden.GetProperty("a_grad")), a.Grad!.ToArray<double>(), (x, y) => Math.Abs(x - y) < 1e-12);
        Assert.Equal(Doubles(golden.GetProperty("b_grad")), b.Grad!.ToArray<double>(), (x, y) => Math.Abs(x - y) < 1e-12);
        Assert.Equal([3.0, -4.0], shared.ToArray<double>());  // the tensor handed in as a gradient is not scaled in place
    }
}
