using static Backprop.Tests.Cuda.Simulated;

namespace Backprop.Tests.Cuda;

/// <summary>
/// The ops a PyTorch port needs, with their gradients, on the simulated device against the CPU: the elementwise
/// functions run the new rows of the op table, and the indexing, shape and einsum ops their compositions, whose
/// host-made index tensors must reach the device.
/// </summary>
[Collection(Simulated.Collection)]
public class PortedOpsDeviceTests
{
    private static Tensor Ints(Tensor like, params long[] values) => Tensor.FromArray(values).To(like.Device);

    [Fact]
    public void Elementwise_functions_match() =>
        SameOnBothDevices(x => (x[0].Sin() * x[0].Cos() + x[0].Atan() + x[0].Erf() + (x[0] / 4).Erfinv()
            + x[0].Abs().Log1p() + x[0].Expm1() + x[0].Atan2(x[1]) + x[0].Hypot(x[1]) + x[0].Fmod(x[1])
            + x[0].Remainder(x[1]) + x[0].Lerp(x[1], 0.7) + x[0].Frac()).Sum(), 1e-9,
            Random([4, 5], DType.Float64, 40), Random([4, 5], DType.Float64, 41, 0.5, 2));

    [Fact]
    public void Activations_match() =>
        SameOnBothDevices(x => (F.Elu(x[0]) + F.Selu(x[0]) + F.Mish(x[0]) + F.Hardswish(x[0] * 3)
            + F.LogSigmoid(x[0]) + F.Softplus(x[0], 2, 1) + F.Prelu(x[0], x[1])).Pow(2).Sum()
            + F.Glu(x[0], 1).Sum(), 1e-9, Random([3, 4], DType.Float64, 42), Random([4], DType.Float64, 43));

    [Fact]
    public void Masks_and_index_tensors_match() =>
        SameOnBothDevices(x =>
        {
            var mask = x[0].Gt(0);
            var rows = Ints(x[0], 2, 0, 2);
            return x[0].MaskedFill(mask, 0.5).Sum() + x[0].MaskedSelect(mask).Pow(2).Sum()
                + x[0].IndexAdd(0, rows, x[1]).Pow(2).Sum()
                + x[0].ScatterReduce(0, rows.Reshape(3, 1).Expand(3, 4), x[1], "amax").Sum()
                + Tensor.IndexPut(x[0], Ints(x[0], 1), x[1][0]).Pow(2).Sum()
                + x[0][x[0][.., 0].Gt(0)].Sum() + x[0].TakeAlongDim(Ints(x[0], 3, 1).Reshape(1, 2), 1).Sum();
        }, 1e-9, Random([3, 4], DType.Float64, 44), Random([3, 4], DType.Float64, 45));

    [Fact]
    public void Shape_ops_and_einsum_match() =>
        SameOnBothDevices(x => (x[0].Pad([1, 2], "reflect").Sum(1).Pow(2).Sum() + x[0].Flip(1).Roll(1, 0)[0].Sum()
            + x[0].Tril().Triu(-1).Pow(2).Sum() + Tensor.Diag(x[0].Diagonal()).Pow(2).Sum()
            + x[0].RepeatInterleave(2, 0).Repeat(1, 2).Pow(2).Sum()
            + Tensor.Einsum("ij,jk,kl->il", x[0], x[1], x[0]).Pow(2).Sum()), 1e-9,
            Random([4, 4], DType.Float64, 46), Random([4, 4], DType.Float64, 47));

    [Fact]
    public void Scans_norms_and_sorting_match() =>
        SameOnBothDevices(x => x[0].Cumsum(1).Pow(2).Sum() + x[0].Cumprod(0).Sum() + x[0].Prod(1).Sum()
            + x[0].Norm(dims: [0]).Sum() + (x[0].Sort(1).Values * x[1]).Sum() + x[0].Topk(2, 0).Values.Exp().Sum()
            + x[0].Median(1).Values.Sum() + x[0].Kthvalue(2, 1).Values.Sum(), 1e-9,
            Random([4, 6], DType.Float64, 49), Random([4, 6], DType.Float64, 50));

    [Fact]
    public void Sort_orders_ties_NaN_and_integers_as_the_cpu()
    {
        var x = Tensor.FromArray(new[] { 2.0, double.NaN, -1, 2, 0.5, double.NaN, -1 }, [1, 7]);
        foreach (var descending in new[] { false, true })
            AssertClose(x.Argsort(descending: descending), x.To(Gpu).Argsort(descending: descending), 0);
        var ints = Random([3, 9], DType.Int64, 51, -3, 3);
        AssertClose(ints.Sort(1).Values, ints.To(Gpu).Sort(1).Values, 0);
        var (values, inverse, counts) = Tensor.Unique(ints.To(Gpu), returnInverse: true, returnCounts: true);
        var expected = Tensor.Unique(ints, returnInverse: true, returnCounts: true);
        AssertClose(expected.Values, values, 0);
        AssertClose(expected.Inverse!, inverse!, 0);
        AssertClose(expected.Counts!, counts!, 0);
    }

    [Fact]
    public void Losses_match()
    {
        var targets = Tensor.FromArray(new long[] { 2, -100, 0, 1 });
        var weight = Tensor.FromArray(new[] { 0.5, 2, 1 });
        SameOnBothDevices(x => F.CrossEntropy(x[0], targets.To(x[0].Device), weight: weight.To(x[0].Device),
                labelSmoothing: 0.1) + F.SmoothL1Loss(x[0], x[1]) + F.HuberLoss(x[0], x[1], delta: 0.5)
            + F.BinaryCrossEntropy(x[0].Sigmoid(), x[1].Sigmoid()) + F.KlDiv(F.LogSoftmax(x[0], 1),
                F.Softmax(x[1], 1), "batchmean") + F.TripletMarginLoss(x[0], x[1], x[0].Flip(0)), 1e-9,
            Random([4, 3], DType.Float64, 52), Random([4, 3], DType.Float64, 53));
    }

    [Fact]
    public void Solve_inverse_and_determinants_match() =>
        SameOnBothDevices(x => Tensor.Solve(x[0], x[1]).Pow(2).Sum() + Tensor.Inv(x[0]).Sum() + Tensor.Det(x[0])
            + Tensor.Slogdet(x[0]).LogAbsDet + Tensor.Bmm(x[0].Unsqueeze(0), x[1].Unsqueeze(0)).Sum(), 1e-9,
            Random([3, 3], DType.Float64, 54), Random([3, 2], DType.Float64, 55));

    [Fact]
    public void Normalization_layers_match() =>
        SameOnBothDevices(x => (F.GroupNorm(x[0], 2, x[1], x[1].Flip(0)) + F.InstanceNorm(x[0], weight: x[1])
            + F.RmsNorm(x[0], [4, 3], x[2]) + F.LayerNorm(x[0], [3])
            + F.BatchNorm(x[0], null, null, x[1], x[1].Flip(0), training: true)
            + F.Dropout2d(x[0], 0.5, training: true, generator: new Generator(3))).Pow(2).Sum(), 1e-9,
            Random([2, 4, 4, 3], DType.Float64, 56), Random([4], DType.Float64, 57), Random([4, 3], DType.Float64, 58));

    [Fact]
    public void Instance_norm_running_statistics_move_on_the_device()
    {
        var x = Random([2, 3, 5], DType.Float64, 59);
        var (mean, variance) = (Tensor.Zeros([3], DType.Float64), Tensor.Ones([3], DType.Float64));
        var (gpuMean, gpuVariance) = (mean.To(Gpu), variance.To(Gpu));
        F.InstanceNorm(x, mean, variance);
        F.InstanceNorm(x.To(Gpu), gpuMean, gpuVariance);
        AssertClose(mean, gpuMean, 1e-12);
        AssertClose(variance, gpuVariance, 1e-12);
    }

    [Fact]
    public void Qr_and_ctc_loss_match()
    {
        var targets = Tensor.FromArray(new long[] { 1, 2, 2, 3, 1, 0 }, [2, 3]);
        var inputLengths = Tensor.FromArray(new long[] { 5, 4 });
        var targetLengths = Tensor.FromArray(new long[] { 3, 2 });
        SameOnBothDevices(x => Tensor.Qr(x[0]).Q.Pow(3).Sum() + Tensor.Qr(x[0]).R.Pow(2).Sum()
            + F.CtcLoss(F.LogSoftmax(x[1], 2), targets.To(x[1].Device), inputLengths.To(x[1].Device),
                targetLengths.To(x[1].Device)), 1e-9,
            Random([2, 4, 3], DType.Float64, 60), Random([5, 2, 4], DType.Float64, 61));
    }

    [Fact]
    public void Nonzero_and_one_hot_make_device_tensors()
    {
        var x = Random([3, 4], DType.Float64, 48);
        AssertClose(x.Gt(0).Nonzero(), x.To(Gpu).Gt(0).Nonzero(), 0);
        var classes = Tensor.FromArray(new long[] { 2, 0, 1 });
        var onGpu = Tensor.OneHot(classes.To(Gpu), 4);
        Assert.Equal(Gpu, onGpu.Device);
        AssertClose(Tensor.OneHot(classes, 4), onGpu, 0);
    }
}
