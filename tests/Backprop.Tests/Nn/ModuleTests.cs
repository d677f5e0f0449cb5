using Backprop.Nn;

namespace Backprop.Tests.Nn;

public class ModuleTests
{
    private static Sequential Net(long seed = 0)
    {
        var g = new Generator(seed);
        return new Sequential(new Linear(4, 8, generator: g), new BatchNorm1d(8), new ReLU(), new Dropout(0.5, g), new Linear(8, 3, generator: g));
    }

    // A Linear then a ReLU inside a Sequential run as one LinearRelu op, with the bits of the two layers applied apart.
    [Fact]
    public void Sequential_fuses_a_linear_and_the_relu_after_it_without_changing_a_bit()
    {
        var first = new Linear(3, 40, generator: new Generator(1));
        var second = new Linear(40, 2, generator: new Generator(2));
        var x = Tensor.Randn([16, 3], generator: new Generator(3));
        var fused = AssertFusedGivesTheBitsApart(new Sequential(first, new ReLU(), second), x, () => second.Forward(F.Relu(first.Forward(x))));
        Assert.Equal("LinearRelu", fused.GradFn!.NextFunction(0)!.Name);
    }

    // A Conv2d then a ReLU likewise run as one Conv2dRelu op, bit for bit.
    [Fact]
    public void Sequential_fuses_a_convolution_and_the_relu_after_it_without_changing_a_bit()
    {
        var first = new Conv2d(3, 8, 3, padding: 1, generator: new Generator(4));
        var second = new Conv2d(8, 4, 3, stride: 2, generator: new Generator(5));
        var x = Tensor.Randn([2, 3, 9, 9], generator: new Generator(6));
        var fused = AssertFusedGivesTheBitsApart(new Sequential(first, new ReLU(), second, new ReLU()), x,
            () => F.Relu(second.Forward(F.Relu(first.Forward(x)))));
        Assert.Equal("Conv2dRelu", fused.GradFn!.Name);
    }

    // the net's output and its parameters' gradients (of the output's sum) against the same layers applied apart
    private static Tensor AssertFusedGivesTheBitsApart(Sequential net, Tensor x, Func<Tensor> apart)
    {
        var fused = net.Forward(x);
        fused.Sum().Backward();
        var fusedGrads = net.Parameters().Select(p => p.Grad!.ToArray<float>()).ToArray();
        net.ZeroGrad();

        var unfused = apart();
        unfused.Sum().Backward();
        Assert.Equal(unfused.ToArray<float>(), fused.ToArray<float>());
        var apartGrads = net.Parameters().Select(p => p.Grad!.ToArray<float>()).ToArray();
        for (int i = 0; i < apartGrads.Length; i++) Assert.Equal(apartGrads[i], fusedGrads[i]);
        return fused;
    }

    [Fact]
    public void NamesAreDottedPathsAsInPyTorch()
    {
        var net = Net();
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"], net.NamedParameters().Select(p => p.Name));
        Assert.Equal(["1.running_mean", "1.running_var", "1.num_batches_tracked"], net.NamedBuffers().Select(b => b.Name));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "4.weight", "4.bias"],
            net.StateDict().Keys);
        Assert.All(net.Parameters(), p => Assert.True(p.RequiresGrad && p.IsLeaf));
        Assert.False(net.StateDict()["0.weight"].RequiresGrad);
    }

    [Fact]
    public void TrainAndEvalReachEveryDescendant()
    {
        var net = Net();
        net.Eval();
        Assert.All(net.NamedChildren(), c => Assert.False(c.Module.Training));
        var x = Tensor.Randn([5, 4], generator: new Generator(1));
        Assert.Equal(net.Forward(x).ToArray<float>(), net.Forward(x).ToArray<float>());  // no dropout, running statistics
        net.Train();
        Assert.All(net.NamedChildren(), c => Assert.True(c.Module.Training));
    }

    [Fact]
    public void LinearDrawsPyTorchsDefaultBoundsFromTheSeed()
    {
        var a = new Linear(25, 40, generator: new Generator(7));
        var b = new Linear(25, 40, generator: new Generator(7));
        Assert.Equal(a.Weight.ToArray<float>(), b.Weight.ToArray<float>());
        var w = a.Weight.ToArray<float>();
        Assert.All(w, v => Assert.InRange(v, -0.2f, 0.2f));        // 1/√25
        Assert.True(w.Max() > 0.18f && w.Min() < -0.18f);            // and the whole interval is used
        Assert.All(a.Bias!.ToArray<float>(), v => Assert.InRange(v, -0.2f, 0.2f));
        Assert.Equal("Linear(in_features=25, out_features=40, bias=True)", a.ToString());
    }

    [Fact]
    public void InitializationsHaveTheirVariance()
    {
        var g = new Generator(3);
        var kaiming = Init.KaimingNormal(Tensor.Zeros([400, 200]), g, nonlinearity: "relu").ToArray<float>();
        double kaimingVar = kaiming.Select(v => (double)v * v).Average();
        Assert.InRange(kaimingVar, 2.0 / 200 * 0.95, 2.0 / 200 * 1.05);
        var xavier = Init.XavierUniform(Tensor.Zeros([300, 100]), g).ToArray<float>();
        Assert.All(xavier, v => Assert.InRange(v, -Math.Sqrt(6.0 / 400), Math.Sqrt(6.0 / 400)));
        Assert.Throws<ArgumentException>(() => Init.KaimingUniform(Tensor.Zeros([5]), g));
    }

    [Fact]
    public void BatchNormUpdatesItsRunningStatisticsInTraining()
    {
        var bn = new BatchNorm1d(2, momentum: 0.5);
        var x = Tensor.FromArray(new float[] { 1, 10, 3, 20 }, [2, 2]);
        var y = bn.Forward(x);
        Assert.Equal([-1f, -1f, 1f, 1f], y.ToArray<float>(), (a, b) => Math.Abs(a - b) < 1e-3);
        Assert.Equal([1f, 7.5f], bn.RunningMean!.ToArray<float>());               // 0.5·0 + 0.5·mean
        Assert.Equal([1.5f, 25.5f], bn.RunningVar!.ToArray<float>());             // 0.5·1 + 0.5·unbiased variance
        Assert.Equal(1L, bn.NumBatchesTracked!.Item<long>());
        bn.Eval();
        bn.Forward(x);
        Assert.Equal(1L, bn.NumBatchesTracked!.Item<long>());
    }

    [Fact]
    public void StateDictRoundTripsIntoAnotherModel()
    {
        var source = Net(1);
        source.Forward(Tensor.Randn([6, 4], generator: new Generator(2)));  // moves the running statistics
        var target = Net(2);
        target.LoadStateDict(source.StateDict());
        foreach (var (name, tensor) in source.StateDict())
            Assert.Equal(tensor.ToArray<double>(), target.StateDict()[name].ToArray<double>());
        Assert.True(target.Parameters().All(p => p.RequiresGrad && p.IsLeaf));
    }

    [Fact]
    public void LoadStateDictRefusesBadEntriesAndChangesNothing()
    {
        var net = Net(1);
        var before = net.StateDict().ToDictionary(p => p.Key, p => p.Value.ToArray<double>());
        var state = Net(2).StateDict();
        state.Remove("4.bias");
        state["extra.weight"] = Tensor.Zeros([1]);
        state["0.weight"] = Tensor.Zeros([4, 8]);
        var error = Assert.Throws<InvalidDataException>(() => net.LoadStateDict(state));
        Assert.Contains("missing 4.bias", error.Message);
        Assert.Contains("unexpected extra.weight", error.Message);
        Assert.Contains("0.weight has shape [4,8] but the module's is [8,4]", error.Message);
        foreach (var (name, tensor) in net.StateDict()) Assert.Equal(before[name], tensor.ToArray<double>());
    }

    [Fact]
    public void ZeroGradClearsEveryGradient()
    {
        var net = new Sequential(new Linear(3, 2, generator: new Generator(0)), new Tanh());
        F.CrossEntropy(net.Forward(Tensor.Ones([4, 3])), Tensor.FromArray(new long[] { 0, 1, 0, 1 })).Backward();
        Assert.All(net.Parameters(), p => Assert.NotNull(p.Grad));
        net.ZeroGrad();
        Assert.All(net.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void ConvnetLayersComposeOnImages()
    {
        var g = new Generator(0);
        var net = new Sequential(new Conv2d(1, 4, 3, padding: 1, generator: g), new BatchNorm2d(4), new GELU(), new MaxPool2d(2),
            new AvgPool2d(2), new Flatten(), new LayerNorm([16]), new Linear(16, 3, generator: g));
        var y = net.Forward(Tensor.Randn([2, 1, 8, 8], generator: g));
        Assert.Equal([2, 3], y.Shape);
        y.Sum().Backward();
        Assert.All(net.Parameters(), p => Assert.Equal(p.Shape, p.Grad!.Shape));
        Assert.Equal([4, 1, 3, 3], net.StateDict()["0.weight"].Shape);
    }

    [Fact]
    public void InPlaceWritesOnParametersNeedNoGrad()
    {
        var w = new Linear(2, 2, generator: new Generator(0)).Weight;
        var error = Assert.Throws<InvalidOperationException>(() => w.Copy_(Tensor.Zeros([2, 2])));
        Assert.Contains("NoGrad", error.Message);
        using (Autograd.NoGrad()) w.Copy_(Tensor.Ones([2, 2]));
        Assert.Equal([1f, 1f, 1f, 1f], w.ToArray<float>());
        Assert.Throws<InvalidOperationException>(() => (w * 2).Zero_());
    }
}
