using Backprop.Kernels;
using Backprop.Kernels.Cpu;

namespace Backprop.Tests.Kernels;

/// <summary>
/// A convolution's input gradient is made a group of samples at a time (the columns' gradient of one group, folded by
/// col2im while in cache): dx must have the bits of one product over the whole batch folded once, on both the
/// per-sample path (more positions than taps) and the whole-batch path, with batches that split into several groups.
/// </summary>
public class ConvolutionInputGradientTests
{
    public static TheoryData<int, int, int, int, int, int> Windows() => new()
    {
        // N, C, O, size, kernel, stride: per-sample (taps 144 ≤ positions 1024), three groups
        { 23, 16, 8, 32, 3, 1 },
        // whole batch (taps 1024 > positions 64), two groups
        { 40, 64, 12, 16, 4, 2 },
        // one group: nothing to split
        { 3, 4, 5, 9, 3, 2 },
    };

    [Theory]
    [MemberData(nameof(Windows))]
    public void Groups_of_samples_give_the_bits_of_one_product_folded_once(int n, int c, int o, int size, int kernel,
        int stride)
    {
        var w = new Window2d(N: n, C: c, H: size, W: size, KernelH: kernel, KernelW: kernel, StrideH: stride,
            StrideW: stride, PadH: 1, PadW: 1);
        int taps = c * kernel * kernel, positions = w.OutH * w.OutW, width = n * positions;
        var gen = new Generator(21);
        var x = Tensor.Randn([n, c, size, size], generator: gen);
        var weight = Tensor.Randn([o, taps], generator: gen);
        var g = Tensor.Randn([n, o, w.OutH, w.OutW], generator: gen);
        var columns = Tensor.Zeros([taps, width]);
        x.Backend.Im2Col(x, w, columns);
        var dx = Tensor.Zeros([n, c, size, size]);
        CpuConvolution.Backward<float>(columns, weight, g, w, dWeight: null, dx);

        // one product over the batch, in the layout of the path the sizes choose, then one col2im
        float[] kernelData = weight.ToArray<float>(), grad = g.ToArray<float>(), dColumns = new float[taps * width];
        if (taps > positions)
        {
            var rows = new float[o * width];   // g as [O, N·positions]
            for (int s = 0; s < n; s++)
                for (int r = 0; r < o; r++)
                    Array.Copy(grad, (s * o + r) * positions, rows, r * width + s * positions, positions);
            Gemm.Multiply<float>(true, false, taps, width, o, kernelData, taps, rows, width, dColumns, width, 1f, 0f,
                Threads.Count);
        }
        else
            Gemm.MultiplyBatch<float>(true, false, taps, positions, o, kernelData, taps, 0, grad, positions,
                o * positions, dColumns, width, positions, n, sumBatch: false, 1f, 0f, Threads.Count);
        var expected = new float[dx.Numel];
        WindowKernels.Col2Im<float>(dColumns, w, expected, 0, n * c);
        Assert.Equal(expected, dx.ToArray<float>());
    }
}
