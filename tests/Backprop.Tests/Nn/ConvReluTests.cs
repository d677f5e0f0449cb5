namespace Backprop.Tests.Nn;

// Conv2dRelu, and Relu over Conv2d with the two rules run as one, must be Relu(Conv2d) with its rules apart to the bit,
// forward and backward, with one group (the fused kernel) and with several (built from tensor ops), and the mask must
// never be written into a gradient that something else can see; a batch computed in one product must give what its
// samples give one at a time.
public class ConvReluTests
{
    [Theory]
    [InlineData(1, 1, 0, DType.Float32)]
    [InlineData(1, 2, 1, DType.Float64)]
    [InlineData(2, 1, 1, DType.Float32)]
    public void Fused_conv_relu_gives_the_bits_of_relu_after_conv(int groups, int stride, int padding, DType dtype)
    {
        var g = new Generator(groups * 10 + stride);
        var x = Tensor.Randn([2, 4, 7, 7], dtype, g, requiresGrad: true);
        var w = Tensor.Randn([6, 4 / groups, 3, 3], dtype, g, requiresGrad: true);
        var nanChannel = new double[6];
        nanChannel[3] = double.NaN;
        var b = (Tensor.Randn([6], dtype, g) + Tensor.FromArray(nanChannel).To(dtype)).RequiresGrad_();
        var results = new List<double[]>();
        Tensor Conv() => F.Conv2d(x, w, b, stride, padding, groups: groups);
        // the rules apart (an identity hook on the convolution's output sees its gradient), fused, and paired
        Func<Tensor>[] forms =
        [
            () => { var z = Conv(); z.RegisterHook(grad => grad); return F.Relu(z); },
            () => F.Conv2dRelu(x, w, b, stride, padding, groups: groups),
            () => F.Relu(Conv()),
        ];
        foreach (var form in forms)
        {
            x.Grad = w.Grad = b.Grad = null;
            var y = form();
            var upstream = Tensor.Randn(y.shape, dtype, new Generator(9));
            y.Backward(upstream);
            results.Add([.. Doubles(y), .. Doubles(x.Grad!), .. Doubles(w.Grad!), .. Doubles(b.Grad!)]);
        }
        Assert.Equal(results[0], results[1]);
        Assert.Equal(results[0], results[2]);
        Assert.True(double.IsNaN(F.Conv2dRelu(x, w, b, stride, padding, groups: groups)[0, 3, 0, 0].Item()));
        Assert.Equal(0, b.Grad![3].Item());
    }

    // The mask goes into the upstream gradient only when the engine shows nothing else holds it: a caller's upstream
    // tensor and the gradient a hook kept must come out unmasked.
    [Fact]
    public void The_mask_never_overwrites_a_gradient_that_anything_else_can_see()
    {
        var g = new Generator(7);
        var x = Tensor.Randn([2, 3, 6, 6], generator: g, requiresGrad: true);
        var w = Tensor.Randn([4, 3, 3, 3], generator: g, requiresGrad: true);
        var y = F.Conv2dRelu(x, w, padding: 1);
        var upstream = Tensor.Randn(y.shape, generator: g);
        var before = upstream.ToArray<float>();
        y.Backward(upstream);
        Assert.Equal(before, upstream.ToArray<float>());

        Tensor? seen = null;
        var kept = F.Conv2dRelu(x, w, padding: 1);
        using (kept.RegisterHook(grad => { seen = grad; return null; }))
            (kept * 3).Sum().Backward();
        Assert.All(seen!.ToArray<float>(), v => Assert.Equal(3f, v));
    }

    // A sample with more taps than output positions sends the batch through one product over all of its samples (the
    // output and its gradient through permuted copies), and a batch of one through the per-sample product. The output
    // and the input's gradient sum the same terms in the same order either way, so their bits agree; the weight's and
    // the bias's gradients sum the samples in another order, so they agree to rounding.
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void A_batch_in_one_product_gives_its_samples_one_at_a_time(DType dtype)
    {
        var g = new Generator(5);
        var x = Tensor.Randn([3, 64, 8, 8], dtype, g, requiresGrad: true);
        var w = Tensor.Randn([32, 64, 3, 3], dtype, g, requiresGrad: true);   // 576 taps over 4 × 4 positions
        var b = Tensor.Randn([32], dtype, g, requiresGrad: true);
        var y = F.Conv2dRelu(x, w, b, 2, 1);
        var upstream = Tensor.Randn(y.shape, dtype, new Generator(6));
        y.Backward(upstream);
        var w1 = w.Detach().RequiresGrad_();
        var b1 = b.Detach().RequiresGrad_();
        for (int n = 0; n < 3; n++)
        {
            var xn = x.Detach().Slice(0, n, n + 1).Contiguous().RequiresGrad_();
            var yn = F.Conv2dRelu(xn, w1, b1, 2, 1);
            yn.Backward(upstream.Slice(0, n, n + 1).Contiguous());
            Assert.Equal(Doubles(y.Slice(0, n, n + 1)), Doubles(yn));
            Assert.Equal(Doubles(x.Grad!.Slice(0, n, n + 1)), Doubles(xn.Grad!));
        }
        double tolerance = dtype == DType.Float32 ? 1e-3 : 1e-10;
        Assert.All(Doubles(w.Grad!).Zip(Doubles(w1.Grad!)), p => Assert.Equal(p.First, p.Second, tolerance));
        Assert.All(Doubles(b.Grad!).Zip(Doubles(b1.Grad!)), p => Assert.Equal(p.First, p.Second, tolerance));
    }

    private static double[] Doubles(Tensor t) => t.To(DType.Float64).ToArray<double>();
}
