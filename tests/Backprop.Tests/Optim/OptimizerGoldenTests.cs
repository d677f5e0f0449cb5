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

    private static Optimizer Create(string name, JsonElement o, Tensor w) => Create(name, o, [new ParameterGroup([w])]);

    private static Optimizer Create(string name, JsonElement o, ParameterGroup[] g) => name switch
    {
        "SGD" => new SGD(g, Option(o, "lr", 0), Option(o, "momentum", 0), Option(o, "dampening", 0), Option(o,
            "weight_decay", 0),
            o.TryGetProperty("nesterov", out var n) && n.GetBoolean()),
        "Adam" => new Adam(g, Option(o, "lr", 1e-3), Betas(o), Option(o, "eps", 1e-8), Option(o, "weight_decay", 0)),
        "AdamW" => new AdamW(g, Option(o, "lr", 1e-3), Betas(o), Option(o, "eps", 1e-8), Option(o, "weight_decay",
            1e-2)),
        "RMSprop" => new RMSprop(g, Option(o, "lr", 1e-2), Option(o, "alpha", 0.99), Option(o, "eps", 1e-8), Option(o,
            "weight_decay", 0),
            Option(o, "momentum", 0), o.TryGetProperty("centered", out var c) && c.GetBoolean()),
        "Adagrad" => new Adagrad(g, Option(o, "lr", 1e-2), Option(o, "lr_decay", 0), Option(o, "weight_decay", 0),
            Option(o, "initial_accumulator_value", 0), Option(o, "eps", 1e-10)),
        "Adadelta" => new Adadelta(g, Option(o, "lr", 1), Option(o, "rho", 0.9), Option(o, "eps", 1e-6), Option(o,
            "weight_decay", 0)),
        "Adamax" => new Adamax(g, Option(o, "lr", 2e-3), Betas(o), Option(o, "eps", 1e-8), Option(o, "weight_decay",
            0)),
        "NAdam" => new NAdam(g, Option(o, "lr", 2e-3), Betas(o), Option(o, "eps", 1e-8), Option(o, "weight_decay", 0),
            Option(o, "momentum_decay", 4e-3)),
        "RAdam" => new RAdam(g, Option(o, "lr", 1e-3), Betas(o), Option(o, "eps", 1e-8), Option(o, "weight_decay", 0)),
        _ => throw new ArgumentException(name),
    };

    private static void AssertClose(double[] want, double[] actual, string what)
    {
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - actual[i]) <= 1e-12 * Math.Max(1, Math.Abs(want[i])),
                $"{what} element {i}: {actual[i]} vs PyTorch {want[i]}");
    }

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
            AssertClose(Doubles(expected), w.ToArray<double>(),
                $"{golden.GetProperty("name")} {golden.GetProperty("options")} step {step + 1}");
            step++;
        }
    }

    public static TheoryData<int> GroupCases() => new(Enumerable.Range(0,
        Golden.GetProperty("groups").GetArrayLength()));

    // the rows of w as two parameters: the first group at half the learning rate, the second with its own weight decay
    [Theory]
    [MemberData(nameof(GroupCases))]
    public void GroupsWithTheirOwnSettingsMatchPyTorch(int index)
    {
        var golden = Golden.GetProperty("groups")[index];
        var w0 = Doubles(Golden.GetProperty("w0"));
        var c = Tensor.FromArray(Doubles(Golden.GetProperty("c")), [2, 3]);
        var a = Tensor.FromArray(w0[..3], requiresGrad: true);
        var b = Tensor.FromArray(w0[3..], requiresGrad: true);
        var options = golden.GetProperty("options");
        string name = golden.GetProperty("name").GetString()!;
        var optimizer = Create(name, options, [new ParameterGroup([a], lr: Option(options, "lr", 1) / 2),
            new ParameterGroup([b], weightDecay: 0.05)]);
        Assert.NotEqual(optimizer.ParamGroups[0].LearningRate, optimizer.ParamGroups[1].LearningRate);
        int step = 0;
        foreach (var expected in golden.GetProperty("steps").EnumerateArray())
        {
            optimizer.ZeroGrad();
            var w = Tensor.Stack([a, b]);
            (w.Pow(3) / 3 + c * w).Sum().Backward();
            optimizer.Step();
            AssertClose(Doubles(expected), [.. a.ToArray<double>(), .. b.ToArray<double>()],
                $"{name} groups step {++step}");
        }
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static LRScheduler Scheduler(string name, JsonElement o, Optimizer optimizer) => name switch
    {
        "StepLR" => new StepLR(optimizer, o.GetProperty("step_size").GetInt32(), o.GetProperty("gamma").GetDouble()),
        "CosineAnnealingLR" => new CosineAnnealingLR(optimizer, o.GetProperty("T_max").GetInt32(),
            o.GetProperty("eta_min").GetDouble()),
        "MultiStepLR" => new MultiStepLR(optimizer, Ints(o.GetProperty("milestones")),
            o.GetProperty("gamma").GetDouble()),
        "ExponentialLR" => new ExponentialLR(optimizer, o.GetProperty("gamma").GetDouble()),
        "LinearLR" => new LinearLR(optimizer, Option(o, "start_factor", 1.0 / 3), Option(o, "end_factor", 1),
            o.TryGetProperty("total_iters", out var t) ? t.GetInt32() : 5),
        _ => throw new ArgumentException(name),
    };

    [Fact]
    public void SchedulersMatchPyTorch()
    {
        foreach (var golden in Golden.GetProperty("schedulers").EnumerateArray())
        {
            var w = Tensor.Zeros([1], requiresGrad: true);
            var sgd = new SGD([w], 0.5);
            var scheduler = Scheduler(golden.GetProperty("name").GetString()!, golden.GetProperty("options"), sgd);
            foreach (double expected in Doubles(golden.GetProperty("rates")))
            {
                sgd.Step();
                scheduler.Step();
                Assert.Equal(expected, sgd.LearningRate, 1e-12);
            }
        }
    }

    // a linear warm-up then a cosine, the second counting its epochs from the milestone
    [Fact]
    public void SequentialWarmupThenCosineMatchesPyTorch()
    {
        var golden = Golden.GetProperty("sequential");
        var sgd = new SGD([Tensor.Zeros([1], requiresGrad: true)], 0.5);
        var warmup = Scheduler("LinearLR", golden.GetProperty("warmup"), sgd);
        var cosine = Scheduler("CosineAnnealingLR", golden.GetProperty("cosine"), sgd);
        var scheduler = new SequentialLR(sgd, [warmup, cosine], Ints(golden.GetProperty("milestones")));
        var rates = Doubles(golden.GetProperty("rates"));
        Assert.Equal(rates[0], sgd.LearningRate, 1e-12);
        foreach (double expected in rates[1..])
        {
            scheduler.Step();
            Assert.Equal(expected, sgd.LearningRate, 1e-12);
        }
    }

    [Fact]
    public void OneCycleRatesAndMomentaMatchPyTorch()
    {
        foreach (var golden in Golden.GetProperty("one_cycle").EnumerateArray())
        {
            var o = golden.GetProperty("options");
            bool sgd = golden.GetProperty("optimizer").GetString() == "SGD";
            var w = Tensor.Zeros([1], requiresGrad: true);
            Optimizer optimizer = sgd ? new SGD([w], 0.5, momentum: 0.9) : new Adam([w], 0.5);
            int total = o.GetProperty("total_steps").GetInt32();
            var scheduler = new OneCycleLR(optimizer, o.GetProperty("max_lr").GetDouble(), total, Option(o, "pct_start",
                0.3),
                o.TryGetProperty("anneal_strategy", out var a) ? a.GetString()! : "cos", divFactor: Option(o,
                    "div_factor", 25),
                finalDivFactor: Option(o, "final_div_factor", 1e4), threePhase: o.TryGetProperty("three_phase",
                    out var p) && p.GetBoolean());
            var rates = Doubles(golden.GetProperty("rates"));
            var momenta = Doubles(golden.GetProperty("momenta"));
            for (int i = 0; i < total; i++)
            {
                Assert.Equal(rates[i], optimizer.LearningRate, 1e-12);
                Assert.Equal(momenta[i], optimizer.ParamGroups[0][sgd ? "momentum" : "beta1"], 1e-12);
                if (i < total - 1) scheduler.Step();
            }
            Assert.Throws<InvalidOperationException>(() => scheduler.Step());
        }
    }

    [Fact]
    public void ReduceOnPlateauMatchesPyTorch()
    {
        foreach (var golden in Golden.GetProperty("plateau").EnumerateArray())
        {
            var o = golden.GetProperty("options");
            var sgd = new SGD([Tensor.Zeros([1], requiresGrad: true)], 0.5);
            var scheduler = new ReduceLROnPlateau(sgd, o.TryGetProperty("mode", out var m) ? m.GetString()! : "min",
                Option(o, "factor", 0.1), (int)Option(o, "patience", 10), Option(o, "threshold", 1e-4),
                o.TryGetProperty("threshold_mode", out var t) ? t.GetString()! : "rel", (int)Option(o, "cooldown", 0),
                Option(o, "min_lr", 0));
            foreach (var (metric,
                rate) in Doubles(golden.GetProperty("metrics")).Zip(Doubles(golden.GetProperty("rates"))))
            {
                scheduler.Step(metric);
                Assert.Equal(rate, sgd.LearningRate, 1e-12);
            }
        }
    }

    [Fact]
    public void LbfgsWithItsClosureMatchesPyTorch()
    {
        var c = Tensor.FromArray(Doubles(Golden.GetProperty("c")), [2, 3]);
        foreach (var golden in Golden.GetProperty("lbfgs").EnumerateArray())
        {
            var o = golden.GetProperty("options");
            var w = Tensor.FromArray(Doubles(Golden.GetProperty("w0")), [2, 3], requiresGrad: true);
            var lbfgs = new LBFGS([w], Option(o, "lr", 1), (int)Option(o, "max_iter", 20), historySize: (int)Option(o,
                "history_size", 100));
            Tensor Closure()
            {
                lbfgs.ZeroGrad();
                var loss = (w.Pow(4) / 4 + w.Square() / 2 + c * w).Sum();
                loss.Backward();
                return loss;
            }
            int step = 0;
            foreach (var expected in golden.GetProperty("steps").EnumerateArray())
            {
                lbfgs.Step(Closure);
                AssertClose(Doubles(expected), w.ToArray<double>(), $"LBFGS {o} step {++step}");
            }
            Assert.Equal(golden.GetProperty("n_iter").GetInt32(), lbfgs.Iterations);
            Assert.Equal(golden.GetProperty("func_evals").GetInt32(), lbfgs.FunctionEvaluations);
        }
    }

    public static TheoryData<int> StrongWolfeCases() =>
        new(Enumerable.Range(0, Golden.GetProperty("lbfgs_strong_wolfe").GetArrayLength()));

    // nonconvex losses, so the line search brackets, zooms and interpolates; counts include its closure calls
    [Theory]
    [MemberData(nameof(StrongWolfeCases))]
    public void LbfgsWithTheStrongWolfeLineSearchMatchesPyTorch(int index)
    {
        var golden = Golden.GetProperty("lbfgs_strong_wolfe")[index];
        var o = golden.GetProperty("options");
        var start = golden.GetProperty("start").EnumerateArray().Select(Doubles).ToArray();
        bool rosenbrock = golden.GetProperty("problem").GetString() == "rosenbrock";
        int[][] shapes = rosenbrock ? [[4]] : [[3, 2], [3], [1, 3], [1]];
        var p = start.Zip(shapes, (values, shape) => Tensor.FromArray(values, shape, requiresGrad: true)).ToArray();
        var x = Tensor.FromArray(Doubles(Golden.GetProperty("net_x")), [5, 2]);
        var y = Tensor.FromArray(Doubles(Golden.GetProperty("net_y")), [5, 1]);
        var lbfgs = new LBFGS(p, Option(o, "lr", 1), (int)Option(o, "max_iter", 20),
            o.TryGetProperty("max_eval", out var e) ? e.GetInt32() : null,
            historySize: (int)Option(o, "history_size", 100), lineSearchFn: "strong_wolfe");
        Tensor Closure()
        {
            lbfgs.ZeroGrad();
            var loss = rosenbrock
                ? ((p[0].Narrow(0, 1, 3) - p[0].Narrow(0, 0, 3).Square()).Square() * 100
                    + (1 - p[0].Narrow(0, 0, 3)).Square()).Sum()
                : ((x.MatMul(p[0].T) + p[1]).Tanh().MatMul(p[2].T) + p[3] - y).Square().Mean();
            loss.Backward();
            return loss;
        }
        int step = 0;
        foreach (var expected in golden.GetProperty("steps").EnumerateArray())
        {
            lbfgs.Step(Closure);
            step++;
            foreach (var (want, parameter) in expected.EnumerateArray().Zip(p))
                Assert.All(Doubles(want).Zip(parameter.ToArray<double>()), pair => Assert.True(
                    Math.Abs(pair.First - pair.Second) <= 1e-10 * Math.Max(1, Math.Abs(pair.First)),
                    $"LBFGS strong_wolfe {golden.GetProperty("problem")} step {step}: {pair.Second} vs {pair.First}"));
        }
        Assert.Equal(golden.GetProperty("n_iter").GetInt32(), lbfgs.Iterations);
        Assert.Equal(golden.GetProperty("func_evals").GetInt32(), lbfgs.FunctionEvaluations);
    }

    [Fact]
    public void ClipGradValueMatchesPyTorch()
    {
        var golden = Golden.GetProperty("clip_value");
        var shared = Tensor.FromArray(Doubles(golden.GetProperty("grad")));
        var a = Tensor.FromArray(Doubles(golden.GetProperty("grad")), requiresGrad: true);
        var none = Tensor.Zeros([2], requiresGrad: true);
        a.Grad = shared;
        GradientClipping.ClipGradValue([a, none], golden.GetProperty("clip_value").GetDouble());
        Assert.Equal(Doubles(golden.GetProperty("clipped")), a.Grad!.ToArray<double>());
        Assert.Equal(Doubles(golden.GetProperty("grad")), shared.ToArray<double>());   // not clamped in place
        Assert.Null(none.Grad);
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
