using Backprop.IO;
using Backprop.Nn;
using Backprop.Optim;

namespace Backprop.Tests.Optim;

/// <summary>Optimizer state dicts: resuming from a saved state gives the run that never stopped, bit for bit.</summary>
public class OptimizerStateTests
{
    private static Sequential Net() =>
        new(new Linear(3, 5, generator: new Generator(1)), new Tanh(), new Linear(5, 2, generator: new Generator(2)));

    // two groups: the first layer at its own rate, the rest with its own weight decay
    private static Optimizer Create(string name, Sequential net)
    {
        ParameterGroup[] g =
        [
            new(net[0].Parameters(), lr: 0.02),
            new(net[2].Parameters(), weightDecay: 0.01),
        ];
        return name switch
        {
            "SGD" => new SGD(g, 0.05, momentum: 0.9, nesterov: true),
            "Adam" => new Adam(g, 0.01),
            "AdamW" => new AdamW(g, 0.01),
            "RMSprop" => new RMSprop(g, 0.01, momentum: 0.5, centered: true),
            "Adagrad" => new Adagrad(g, 0.05, lrDecay: 0.01),
            "Adadelta" => new Adadelta(g),
            "Adamax" => new Adamax(g, 0.01),
            "NAdam" => new NAdam(g, 0.01),
            "RAdam" => new RAdam(g, 0.01),
            _ => throw new ArgumentException(name),
        };
    }

    private static void Train(Sequential net, Optimizer optimizer, int from, int to)
    {
        for (int step = from; step < to; step++)
        {
            optimizer.ZeroGrad();
            var x = Tensor.Randn([4, 3], generator: new Generator(100 + step));
            net.Forward(x).Square().Mean().Backward();
            optimizer.Step();
        }
    }

    public static TheoryData<string> Names() =>
        new("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam");

    [Theory]
    [MemberData(nameof(Names))]
    public void Resuming_from_a_saved_state_gives_the_uninterrupted_run_bit_for_bit(string name)
    {
        var straight = Net();
        Train(straight, Create(name, straight), 0, 20);

        var first = Net();
        var optimizer = Create(name, first);
        Train(first, optimizer, 0, 10);
        string dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            first.Save(Path.Combine(dir, "model.safetensors"));
            SafeTensors.Save(Path.Combine(dir, "optimizer.safetensors"), optimizer.StateDict());

            var resumed = Net();
            var again = Create(name, resumed);
            again.LearningRate = 123;   // overwritten by the saved groups' rates
            resumed.Load(Path.Combine(dir, "model.safetensors"));
            again.LoadStateDict(SafeTensors.Load(Path.Combine(dir, "optimizer.safetensors")));
            Assert.Equal(optimizer.ParamGroups[1].LearningRate, again.ParamGroups[1].LearningRate);
            Train(resumed, again, 10, 20);
            foreach (var (a, b) in straight.Parameters().Zip(resumed.Parameters()))
                Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static LBFGS Lbfgs(Sequential net, string? lineSearch) =>
        new(net.Parameters(), lr: 0.5, maxIter: 4, historySize: 3, lineSearchFn: lineSearch);

    // one batch per step, so every closure call of a step sees the same loss
    private static void Train(Sequential net, LBFGS lbfgs, int from, int to)
    {
        for (int step = from; step < to; step++)
        {
            var x = Tensor.Randn([4, 3], generator: new Generator(100 + step));
            lbfgs.Step(() =>
            {
                lbfgs.ZeroGrad();
                var loss = net.Forward(x).Square().Mean();
                loss.Backward();
                return loss;
            });
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("strong_wolfe")]
    public void Lbfgs_resumed_from_a_saved_state_gives_the_uninterrupted_run_bit_for_bit(string? lineSearch)
    {
        var straight = Net();
        var straightLbfgs = Lbfgs(straight, lineSearch);
        Train(straight, straightLbfgs, 0, 6);

        var first = Net();
        var lbfgs = Lbfgs(first, lineSearch);
        Train(first, lbfgs, 0, 3);
        string dir = Directory.CreateTempSubdirectory().FullName;
        try
        {
            first.Save(Path.Combine(dir, "model.safetensors"));
            var saved = lbfgs.StateDict();
            Assert.Equal(3, saved["state.0.ro"].Numel);   // a full history, so the test covers the pairs
            SafeTensors.Save(Path.Combine(dir, "optimizer.safetensors"), saved);

            var resumed = Net();
            var again = Lbfgs(resumed, lineSearch);
            resumed.Load(Path.Combine(dir, "model.safetensors"));
            again.LoadStateDict(SafeTensors.Load(Path.Combine(dir, "optimizer.safetensors")));
            Assert.Equal((lbfgs.Iterations, lbfgs.FunctionEvaluations), (again.Iterations, again.FunctionEvaluations));
            Train(resumed, again, 3, 6);
            foreach (var (a, b) in straight.Parameters().Zip(resumed.Parameters()))
                Assert.Equal(a.ToArray<float>(), b.ToArray<float>());
            Assert.Equal(straightLbfgs.FunctionEvaluations, again.FunctionEvaluations);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Loading_an_lbfgs_history_of_other_sizes_is_refused_without_change()
    {
        var net = Net();
        var lbfgs = Lbfgs(net, "strong_wolfe");
        Train(net, lbfgs, 0, 1);
        var state = lbfgs.StateDict();
        state["state.0.d"] = Tensor.Zeros([7], DType.Float64);
        state.Remove("state.0.H_diag");
        var fresh = Lbfgs(Net(), "strong_wolfe");
        fresh.LearningRate = 0.25;
        var message = Assert.Throws<InvalidDataException>(() => fresh.LoadStateDict(state)).Message;
        Assert.Contains("state.0.d has shape [7] but should have [32]", message);
        Assert.Contains("state.0.H_diag is missing", message);
        Assert.Equal((0, 0.25), (fresh.Iterations, fresh.LearningRate));
    }

    [Theory]
    [InlineData("strong_wolfe", null)]
    [InlineData(null, "strong_wolfe")]
    public void An_lbfgs_state_loads_only_into_an_optimizer_with_its_line_search(string? written, string? loading)
    {
        var net = Net();
        var lbfgs = Lbfgs(net, written);
        Train(net, lbfgs, 0, 2);
        var state = lbfgs.StateDict();
        Assert.Equal(written is null ? 0.0 : 1.0, state["param_groups.0.line_search_strong_wolfe"].Item());
        var other = Lbfgs(Net(), loading);
        var message = Assert.Throws<InvalidDataException>(() => other.LoadStateDict(state)).Message;
        Assert.Contains($"written with line search {written ?? "none"} but this optimizer has {loading ?? "none"}",
            message);
        Assert.Equal((0, 0), (other.Iterations, other.FunctionEvaluations));
        var same = Lbfgs(Net(), written);
        same.LoadStateDict(state);
        Assert.Equal((lbfgs.Iterations, lbfgs.FunctionEvaluations), (same.Iterations, same.FunctionEvaluations));
    }

    // on Σw² one curvature pair gives the exact Newton direction −w, so the second step moves w by lr·(−w)
    [Fact]
    public void A_scheduler_sets_the_lbfgs_step_length_through_its_group()
    {
        var w = Tensor.FromArray(new double[] { 1, -2 }, requiresGrad: true);
        var lbfgs = new LBFGS([w], lr: 1, maxIter: 1);
        var scheduler = new StepLR(lbfgs, stepSize: 1, gamma: 0.25);
        Tensor Closure()
        {
            lbfgs.ZeroGrad();
            var loss = w.Square().Sum();
            loss.Backward();
            return loss;
        }
        lbfgs.Step(Closure);   // the first step: −g·lr / Σ|g| = −[2, −4] / 6
        scheduler.Step();
        Assert.Equal(0.25, lbfgs.ParamGroups[0].LearningRate);
        lbfgs.Step(Closure);
        Assert.Equal([0.5, -1.0], w.ToArray<double>(), (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void The_state_dict_names_entries_as_pytorch_and_skips_frozen_parameters()
    {
        var net = Net();
        net[0].Parameters().First().RequiresGrad_(false);
        var adam = Create("Adam", net);
        Train(net, adam, 0, 2);
        var state = adam.StateDict();
        Assert.DoesNotContain("state.0.step", state.Keys);
        Assert.Equal(2, state["state.1.step"].Item<long>());
        Assert.Equal([5], state["state.1.exp_avg"].Shape);
        Assert.Equal(0.02, state["param_groups.0.lr"].Item());
        Assert.Equal(0.01, state["param_groups.1.weight_decay"].Item());
        Assert.Equal(0.0, state["param_groups.0.weight_decay"].Item());
        Assert.Equal([2L, 3L], state["param_groups.1.params"].ToArray<long>());
        var exp = state["state.1.exp_avg"].ToArray<float>();
        Train(net, adam, 2, 3);
        Assert.Equal(exp, state["state.1.exp_avg"].ToArray<float>());   // a copy, not the live buffer
    }

    [Fact]
    public void Loading_a_state_of_other_groups_or_shapes_is_refused_without_change()
    {
        var net = Net();
        var adam = Create("Adam", net);
        Train(net, adam, 0, 1);
        var state = adam.StateDict();
        var other = new Adam([new ParameterGroup(Net().Parameters())]);
        Assert.Contains("group 0 has 4 parameters but the state lists 2",
            Assert.Throws<InvalidDataException>(() => other.LoadStateDict(state)).Message);
        state["state.1.exp_avg"] = Tensor.Zeros([7]);
        var fresh = Create("Adam", Net());
        Assert.Contains("state.1.exp_avg has shape [7]",
            Assert.Throws<InvalidDataException>(() => fresh.LoadStateDict(state)).Message);
        Assert.Equal(0, fresh.ParamGroups[0].Parameters.Sum(p => fresh.State(p).Step));
    }

    [Fact]
    public void Groups_take_the_defaults_they_leave_unset_and_refuse_bad_settings_by_name()
    {
        var a = Tensor.Zeros([2], requiresGrad: true);
        var b = Tensor.Zeros([2], requiresGrad: true);
        var sgd = new SGD([new ParameterGroup([a], lr: 0.5), new ParameterGroup([b], options: new Dictionary<string,
            double> { ["momentum"] = 0.9 })],
            lr: 0.1, momentum: 0.3);
        Assert.Equal([0.5, 0.1], sgd.ParamGroups.Select(g => g.LearningRate));
        Assert.Equal([0.3, 0.9], sgd.ParamGroups.Select(g => g["momentum"]));
        a.Grad = Tensor.Ones([2]);
        b.Grad = Tensor.Ones([2]);
        sgd.Step();
        Assert.Equal([-0.5f, -0.5f], a.ToArray<float>());
        Assert.Equal([-0.1f, -0.1f], b.ToArray<float>());
        sgd.LearningRate = 0.2;
        Assert.All(sgd.ParamGroups, g => Assert.Equal(0.2, g.LearningRate));
        var c = Tensor.Zeros([1], requiresGrad: true);
        Assert.Contains("beta1", Assert.Throws<ArgumentOutOfRangeException>(() =>
            new Adam([new ParameterGroup([c], options: new Dictionary<string, double> { ["beta1"] = 1.5 })])).Message);
        Assert.Contains("twice",
            Assert.Throws<ArgumentException>(() => sgd.AddParamGroup(new ParameterGroup([a]))).Message);
        sgd.AddParamGroup(new ParameterGroup([c], lr: 1));
        Assert.Equal(0.3, sgd.ParamGroups[2]["momentum"]);
        Assert.Contains("no option 'betas'",
            Assert.Throws<KeyNotFoundException>(() => sgd.ParamGroups[0]["betas"]).Message);
    }
}
