using Backprop.Kernels.Cpu;

namespace Backprop.Tests.Kernels;

/// <summary>
/// A convolution's bias gradient (behind the mask of its fused ReLU) is summed plane by plane over the threads, with the
/// bits of the tensor reduction dz.Sum([0, 2, 3]) on one and two threads and wherever the gradient's buffer starts.
/// </summary>
public class ConvolutionOutputBackwardTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Bias_gradient_has_one_set_of_bits_for_any_thread_count_and_buffer_start(bool relu)
    {
        // 72 planes of 45×45 (not a whole number of vectors) are long enough to be split over two threads; magnitudes
        // spread over 1e±4 make any other order of addition show in the bits
        int n = 8, c = 9, h = 45, w = 45, count = n * c * h * w;
        var gen = new Generator(21);
        var values = (Tensor.Randn([count], generator: gen) * (Tensor.Randn([count], generator: gen) * 3).Exp()).Reshape(n, c, h, w);
        var output = Tensor.Randn([n, c, h, w], generator: gen);
        var masked = relu ? values * output.Gt(0) : values;
        var expected = masked.Sum([0, 2, 3]).ToArray<float>();
        int saved = Threads.Count;
        try
        {
            foreach (int threads in new[] { 1, 2 })
                for (int start = 0; start < 8; start++)
                {
                    Threads.Count = threads;
                    // the same values, starting `start` elements into a buffer
                    var g = Tensor.Zeros([count + 8]).Narrow(0, start, count).Reshape(n, c, h, w);
                    g.Copy_(values);
                    var dz = relu ? Tensor.Zeros([n, c, h, w]) : g;
                    var dBias = Tensor.Zeros([c]);
                    CpuBackend.Instance.ConvolutionOutputBackward(g, relu ? output : null, dz, dBias);
                    Assert.Equal(expected, dBias.ToArray<float>());
                    if (relu) Assert.Equal(masked.ToArray<float>(), dz.ToArray<float>());
                }
        }
        finally { Threads.Count = saved; }
    }

    // an empty batch has no planes to sum: the bias gradient is zero, the sum of nothing, whatever its buffer held
    [Fact]
    public void An_empty_batch_gives_a_zero_bias_gradient()
    {
        var g = Tensor.Zeros([0, 3, 4, 4]);
        var dBias = Tensor.Ones([3]);
        CpuBackend.Instance.ConvolutionOutputBackward(g, Tensor.Zeros([0, 3, 4, 4]), g, dBias);
        Assert.Equal(new float[3], dBias.ToArray<float>());
    }
}
