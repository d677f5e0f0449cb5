namespace Backprop.Tests.Kernels;

/// <summary>
/// Batch normalization's channel kernels against its spelling in tensor ops (values, all three gradients and the
/// running statistics, in training and in evaluation), and their bits on one thread and on several.
/// </summary>
[Collection("Worker pool")]
public class BatchNormKernelTests
{
    [Theory]
    [InlineData(DType.Float32, true, 2e-5)]
    [InlineData(DType.Float32, false, 2e-5)]
    [InlineData(DType.Float64, true, 1e-12)]
    [InlineData(DType.Float64, false, 1e-13)]
    public void The_kernels_equal_the_ops_and_do_not_depend_on_the_thread_count(DType dtype, bool training,
        double tol)
    {
        var gen = new Generator(9);
        // 6 channels of 12 samples × 27 × 25 positions: over the size that splits channels between threads
        var x = Tensor.Randn([12, 6, 27, 25], dtype, gen) * 3 + 1;
        var (weight, bias) = (Tensor.Randn([6], dtype, gen), Tensor.Randn([6], dtype, gen));
        var (startMean, startVar) = (Tensor.Randn([6], dtype, gen), Tensor.Rand([6], dtype, gen) + 0.5);
        var g = Tensor.Randn(x.shape, dtype, gen);
        var one = Run(1);
        var several = Run(4);
        for (int k = 0; k < one.Length; k++) Assert.Equal(one[k], several[k]);

        // the reference in float64, so a float32 kernel is held to its own rounding only
        var (xr, wr, br) = (x.To(DType.Float64).RequiresGrad_(), weight.To(DType.Float64).RequiresGrad_(),
            bias.To(DType.Float64).RequiresGrad_());
        int[] dims = [0, 2, 3];
        var (mean, variance) = training
            ? (xr.Mean(dims, keepDim: true), xr.Var(dims, correction: 0, keepDim: true))
            : (startMean.To(DType.Float64).Reshape(1, 6, 1, 1), startVar.To(DType.Float64).Reshape(1, 6, 1, 1));
        var y = (xr - mean) / (variance + 1e-5).Sqrt() * wr.Reshape(1, 6, 1, 1) + br.Reshape(1, 6, 1, 1);
        (y * g.To(DType.Float64)).Sum().Backward();
        int count = 12 * 27 * 25;
        var runningMean = training ? startMean.To(DType.Float64) * 0.9 + mean.Reshape(6) * 0.1 : startMean;
        var runningVar = training
            ? startVar.To(DType.Float64) * 0.9 + variance.Reshape(6) * (0.1 * count / (count - 1)) : startVar;
        double[][] reference = [y.ToArray<double>(), xr.Grad!.ToArray<double>(), wr.Grad!.ToArray<double>(),
            br.Grad!.ToArray<double>(), runningMean.ToArray<double>(), runningVar.ToArray<double>()];
        ThreadCount.AssertClose(reference, one, tol);

        double[][] Run(int threads) => ThreadCount.With<double[][]>(threads, () =>
        {
            var (a, w, b) = (x.Detach().RequiresGrad_(), weight.Detach().RequiresGrad_(),
                bias.Detach().RequiresGrad_());
            var (rm, rv) = (startMean.Clone(), startVar.Clone());
            var output = F.BatchNorm(a, rm, rv, w, b, training);
            (output * g).Sum().Backward();
            return [output.ToArray<double>(), a.Grad!.ToArray<double>(), w.Grad!.ToArray<double>(),
                b.Grad!.ToArray<double>(), rm.ToArray<double>(), rv.ToArray<double>()];
        });
    }

    [Fact]
    public void Evaluation_gradients_use_the_statistics_of_the_forward_pass()
    {
        // the running statistics move (a training pass) between forward and backward; backward must not see it
        var (mean, variance) = (Tensor.Zeros([2]), Tensor.Ones([2]));
        var x = Tensor.FromArray(new[] { 1f, 2f, 3f, 5f }, [2, 2]).RequiresGrad_();
        var y = F.BatchNorm(x, mean, variance, training: false);
        F.BatchNorm(Tensor.FromArray(new[] { 10f, 20f, 30f, 60f }, [2, 2]), mean, variance, training: true);
        y.Sum().Backward();
        float expected = 1 / MathF.Sqrt(1 + 1e-5f);
        Assert.All(x.Grad!.ToArray<float>(), v => Assert.Equal(expected, v, 6));
    }
}
