namespace Backprop.Tests.Nn;

// Stride 2 gathers every other input column into the columns, and its gradient adds them back, eight at a time where a
// row is long enough: a stride-1 convolution sampled at every other position must agree with it, forward and backward,
// over rows whose runs end raggedly.
public class ConvolutionStrideTests
{
    [Fact]
    public void Stride_two_is_stride_one_sampled_at_every_other_position()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([2, 3, 6, 45], generator: g, requiresGrad: true);
        var w = Tensor.Randn([4, 3, 3, 4], generator: g, requiresGrad: true);
        var strided = F.Conv2d(x, w, stride: 2, padding: 1);
        var upstream = Tensor.Randn(strided.shape, generator: g);
        strided.Backward(upstream);
        var dx = x.Grad!.ToArray<float>();
        x.Grad = null;
        var dense = F.Conv2d(x, w, stride: 1, padding: 1);
        var sampled = dense.Slice(2, 0, dense.shape[2], 2).Slice(3, 0, dense.shape[3], 2);
        Assert.Equal(strided.shape, sampled.shape);
        sampled.Backward(upstream);
        Assert.All(strided.ToArray<float>().Zip(sampled.Contiguous().ToArray<float>()),
            p => Assert.Equal(p.First, p.Second, 1e-4));
        Assert.All(dx.Zip(x.Grad!.ToArray<float>()), p => Assert.Equal(p.First, p.Second, 1e-4));
    }
}
