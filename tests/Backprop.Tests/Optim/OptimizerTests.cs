using Backprop.Optim;

namespace Backprop.Tests.Optim;

public class OptimizerTests
{
    private static Tensor Parameter(params float[] values) => Tensor.FromArray(values, requiresGrad: true);

    [Fact]
    public void StepAllocatesNothing()
    {
        var w = Parameter(1, 2, 3, 4);
        var b = Tensor.Zeros([2, 2], DType.Float64, requiresGrad: true);
        w.Grad = Tensor.FromArray(new float[] { 0.5f, -1, 2, 0 });
        b.Grad = Tensor.Ones([2, 2], DType.Float64);
        Optimizer[] optimizers = [new SGD([w, b], 0.1, momentum: 0.9, nesterov: true), new Adam([w, b]), new AdamW([w, b]), new RMSprop([w, b], centered: true, momentum: 0.5)];
        foreach (var optimizer in optimizers)
        {
            optimizer.Step();  // the first call may compile the generic loops
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10; i++) optimizer.Step();
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }

    [Fact]
    public void ParametersWithoutGradientsAreLeftAlone()
    {
        var w = Parameter(1, 2);
        var frozen = Parameter(5, 6);
        w.Grad = Tensor.FromArray(new float[] { 1, 1 });
        var adam = new Adam([w, frozen], lr: 0.1);
        adam.Step();
        Assert.Equal([5f, 6f], frozen.ToArray<float>());
        Assert.Equal(0, adam.State(frozen).Step);
        Assert.Equal(1, adam.State(w).Step);
        Assert.Equal([0.9f, 1.9f], w.ToArray<float>(), (x, y) => Math.Abs(x - y) < 1e-6);  // Adam's first step moves each weight by lr
    }

    [Fact]
    public void BadHyperparametersAreRefusedByName()
    {
        var w = Parameter(1);
        Assert.Contains("learning rate", Assert.Throws<ArgumentOutOfRangeException>(() => new SGD([w], -0.1)).Message);
        Assert.Contains("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([w], betas: (1.0, 0.999))).Message);
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new SGD([w], 0.1, nesterov: true)).Message);
        Assert.Contains("NaN", Assert.Throws<ArgumentOutOfRangeException>(() => new RMSprop([w], lr: double.NaN)).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => new SGD(Array.Empty<Tensor>(), 0.1)).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => new SGD([w, w], 0.1)).Message);
        Assert.Contains("leaf", Assert.Throws<ArgumentException>(() => new SGD([w * 2], 0.1)).Message);
        var sgd = new SGD([w], 0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = double.PositiveInfinity);
        Assert.Equal(0.1, sgd.LearningRate);
    }

    [Fact]
    public void NonContiguousGradientsAreRead()
    {
        var w = Tensor.Zeros([2, 2], requiresGrad: true);
        w.Grad = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [2, 2]).T;  // [[1, 3], [2, 4]] as a strided view
        new SGD([w], 1).Step();
        Assert.Equal([-1f, -3f, -2f, -4f], w.ToArray<float>());
    }

    [Fact]
    public void LbfgsRefusesAnUnknownLineSearchASecondGroupAndAStepWithoutClosure()
    {
        var w = Tensor.Zeros([2], requiresGrad: true);
        var unknown = Assert.Throws<ArgumentException>(() => new LBFGS([w], lineSearchFn: "backtracking")).Message;
        Assert.Contains("'backtracking'", unknown);
        Assert.Contains("\"strong_wolfe\"", unknown);
        var lbfgs = new LBFGS([w], lineSearchFn: "strong_wolfe");
        Assert.Equal("strong_wolfe", lbfgs.LineSearchFn);
        Assert.Contains("one parameter group", Assert.Throws<ArgumentException>(() =>
            lbfgs.AddParamGroup(new ParameterGroup([Tensor.Zeros([1], requiresGrad: true)]))).Message);
        Assert.Contains("Step(closure)", Assert.Throws<InvalidOperationException>(() => lbfgs.Step()).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LBFGS([w], maxIter: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LBFGS([w], historySize: 0));
    }
}
