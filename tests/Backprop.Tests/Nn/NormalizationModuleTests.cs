using Backprop.Nn;

namespace Backprop.Tests.Nn;

/// <summary>
/// The GroupNorm, InstanceNorm1d/2d, RMSNorm and Dropout2d modules: PyTorch's parameter and buffer names, their
/// options, running statistics in training and evaluation, and refusals that name the op and the shapes.
/// </summary>
public class NormalizationModuleTests
{
    private static Tensor Random(params int[] shape) => Tensor.Randn(shape, DType.Float64, new Generator(21));

    private static void AssertClose(Tensor expected, Tensor actual, double tol = 1e-12)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var (e, a) = (expected.ToArray<double>(), actual.ToArray<double>());
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol, $"at {i}: {e[i]} vs {a[i]}");
    }

    [Fact]
    public void Group_norm_normalizes_each_group_and_registers_weight_and_bias()
    {
        var layer = new GroupNorm(2, 4, dtype: DType.Float64);
        Assert.Equal(["weight", "bias"], layer.NamedParameters().Select(p => p.Name));
        using (Autograd.NoGrad()) layer.Weight!.Copy_(Tensor.FromArray(new[] { 1.0, 2, 3, 4 }));
        var x = Random(3, 4, 5);
        var y = layer.Forward(x);
        // the first group, channels 0 and 1 of each sample, has mean 0 and variance 1 before the scale
        var group = (y.Narrow(1, 0, 2) / Tensor.FromArray(new[] { 1.0, 2 }).Reshape(2, 1)).Reshape(3, -1);
        AssertClose(Tensor.Zeros([3], DType.Float64), group.Mean(1), 1e-12);
        AssertClose(Tensor.Ones([3], DType.Float64), group.Var([1], correction: 0), 1e-4);
        Assert.Empty(new GroupNorm(2, 4, affine: false).NamedParameters());
        Assert.Equal("GroupNorm(2, 4, eps=1E-05, affine=True)", layer.ToString());
        var error = Assert.Throws<ArgumentException>(() => new GroupNorm(3, 4));
        Assert.Contains("GroupNorm", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.GroupNorm(Random(2, 6, 3), 4));
        Assert.Contains("[2,6,3]", error.Message);
    }

    [Fact]
    public void Instance_norm_tracks_running_statistics_and_normalizes_with_them_in_evaluation()
    {
        var layer = new InstanceNorm2d(3, momentum: 0.5, affine: true, trackRunningStats: true, dtype: DType.Float64);
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"],
            layer.StateDict().Keys);
        var x = Random(2, 3, 4, 4);
        var trained = layer.Forward(x);
        AssertClose(F.InstanceNorm(x, weight: layer.Weight, bias: layer.Bias), trained);
        // the running mean moved halfway to the batch's average of the per-sample channel means
        AssertClose(x.Mean([0, 2, 3]) * 0.5, layer.RunningMean!);
        layer.Eval();
        var evaluated = layer.Forward(x);
        var mean = layer.RunningMean!.Reshape(1, 3, 1, 1);
        AssertClose((x - mean) / (layer.RunningVar!.Reshape(1, 3, 1, 1) + 1e-5).Sqrt(), evaluated);
        Assert.Equal(0L, layer.NumBatchesTracked!.ToArray<long>()[0]);
    }

    [Fact]
    public void Instance_norm_without_running_statistics_uses_the_input_in_evaluation_and_takes_unbatched_inputs()
    {
        var layer = new InstanceNorm1d(2);
        Assert.Empty(layer.StateDict());
        layer.Eval();
        var x = Random(2, 6);
        AssertClose(F.InstanceNorm(x.Unsqueeze(0)).Squeeze(0), layer.Forward(x));
        var error = Assert.Throws<ArgumentException>(() => layer.Forward(Random(1, 3, 6)));
        Assert.Contains("InstanceNorm1d", error.Message);
        Assert.Contains("[1,3,6]", error.Message);
        Assert.Throws<ArgumentException>(() => new InstanceNorm2d(2).Forward(Random(2, 6)));
    }

    [Fact]
    public void Rms_norm_scales_to_unit_root_mean_square()
    {
        var layer = new RMSNorm([3, 4], dtype: DType.Float64);
        Assert.Equal(["weight"], layer.NamedParameters().Select(p => p.Name));
        var x = Random(2, 3, 4) * 5;
        var y = layer.Forward(x);
        AssertClose(Tensor.Ones([2], DType.Float64), (y * y).Mean([1, 2]).Sqrt(), 1e-12);
        Assert.Empty(new RMSNorm([4], elementwiseAffine: false).NamedParameters());
        Assert.Equal("RMSNorm((3, 4,), eps=None, elementwise_affine=True)", layer.ToString());
        Assert.Throws<ArgumentException>(() => layer.Forward(Random(2, 4, 3)));
    }

    [Fact]
    public void Dropout2d_keeps_or_zeroes_whole_channels_and_is_the_identity_in_evaluation()
    {
        var layer = new Dropout2d(0.5, new Generator(4));
        var x = Random(4, 6, 3, 3).Abs() + 0.1;
        var maps = layer.Forward(x).Reshape(24, 9).ToArray<double>();
        var inputs = x.Reshape(24, 9).ToArray<double>();
        int zeroed = 0;
        for (int m = 0; m < 24; m++)
        {
            bool dropped = maps[m * 9] == 0;
            if (dropped) zeroed++;
            for (int i = 0; i < 9; i++)
                Assert.Equal(dropped ? 0 : 2 * inputs[m * 9 + i], maps[m * 9 + i], 12);
        }
        Assert.InRange(zeroed, 4, 20);
        layer.Eval();
        Assert.Same(x, layer.Forward(x));
        Assert.Throws<ArgumentException>(() => F.Dropout2d(Random(3, 4)));
    }
}
