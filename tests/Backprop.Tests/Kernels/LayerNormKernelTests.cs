namespace Backprop.Tests.Kernels;

/// <summary>
/// Layer normalization's row kernels against its spelling in tensor ops (values and all three gradients), and their
/// bits on one thread and on several: rows split over threads, the weight and bias gradients over column slabs.
/// </summary>
[Collection("Worker pool")]
public class LayerNormKernelTests
{
    [Theory]
    [InlineData(DType.Float32, 2e-5)]
    [InlineData(DType.Float64, 1e-12)]
    public void The_kernels_equal_the_ops_and_do_not_depend_on_the_thread_count(DType dtype, double tol)
    {
        var gen = new Generator(8);
        var x = Tensor.Randn([40, 9, 130], dtype, gen) * 3 + 1;
        var (weight, bias) = (Tensor.Randn([9, 130], dtype, gen), Tensor.Randn([9, 130], dtype, gen));
        var g = Tensor.Randn(x.shape, dtype, gen);
        var one = Run(1);
        var several = Run(4);
        for (int k = 0; k < one.Length; k++) Assert.Equal(one[k], several[k]);

        var (xr, wr, br) = (x.Detach().RequiresGrad_(), weight.Detach().RequiresGrad_(), bias.Detach().RequiresGrad_());
        var mean = xr.Mean([1, 2], keepDim: true);
        var y = (xr - mean) / (xr.Var([1, 2], correction: 0, keepDim: true) + 1e-5).Sqrt() * wr + br;
        (y * g).Sum().Backward();
        double[][] reference = [y.ToArray<double>(), xr.Grad!.ToArray<double>(), wr.Grad!.ToArray<double>(),
            br.Grad!.ToArray<double>()];
        ThreadCount.AssertClose(reference, one, tol);

        double[][] Run(int threads) => ThreadCount.With<double[][]>(threads, () =>
        {
            var (a, w, b) = (x.Detach().RequiresGrad_(), weight.Detach().RequiresGrad_(),
                bias.Detach().RequiresGrad_());
            var output = F.LayerNorm(a, [9, 130], w, b);
            (output * g).Sum().Backward();
            return [output.ToArray<double>(), a.Grad!.ToArray<double>(), w.Grad!.ToArray<double>(),
                b.Grad!.ToArray<double>()];
        });
    }
}
