using Backprop.Kernels;
using Backprop.Kernels.Cpu;

namespace Backprop.Tests.Nn;

/// <summary>The window kernels split over threads give the same bits as one pass over all channels and planes.</summary>
public class WindowKernelSplitTests
{
    // big enough that the split runs on Threads.Count parts
    private static readonly Window2d Window = new(N: 2, C: 8, H: 64, W: 64, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1);

    private static float[] Random(int length)
    {
        var g = new Generator(11);
        return Enumerable.Range(0, length).Select(_ => (float)g.NextGaussian()).ToArray();
    }

    [Fact]
    public void Im2col_and_col2im_match_a_single_pass()
    {
        var w = Window;
        var x = Random(w.N * w.C * w.H * w.W);
        int columnsLength = w.C * 9 * w.N * w.OutH * w.OutW;
        float[] serial = new float[columnsLength], split = new float[columnsLength];
        WindowKernels.Im2Col<float>(x, w, serial, 0, w.C * w.KernelH * w.KernelW);
        WindowParallel.Im2Col<float>(x, w, split);
        Assert.Equal(serial, split);

        float[] dxSerial = new float[x.Length], dxSplit = new float[x.Length];
        WindowKernels.Col2Im<float>(serial, w, dxSerial, 0, w.N * w.C);
        WindowParallel.Col2Im<float>(serial, w, dxSplit);
        Assert.Equal(dxSerial, dxSplit);
    }

    // stride 2 adds pairs of taps as one interleaved run; every element must still get one term per tap, in tap order
    [Theory]
    [InlineData(4, 1, 16)]
    [InlineData(4, 1, 9)]
    [InlineData(3, 1, 23)]
    [InlineData(5, 2, 40)]
    [InlineData(4, 0, 4)]
    [InlineData(2, 0, 33)]
    public void Col2im_at_stride_2_has_the_bits_of_one_tap_at_a_time(int kernel, int pad, int size)
    {
        var w = new Window2d(N: 2, C: 3, H: size, W: size, KernelH: kernel, KernelW: kernel, StrideH: 2, StrideW: 2,
            PadH: pad, PadW: pad);
        int outH = w.OutH, outW = w.OutW, positions = outH * outW, width = w.N * positions;
        var columns = Random(w.C * kernel * kernel * width);
        var expected = new float[w.N * w.C * size * size];
        for (int n = 0; n < w.N; n++)
            for (int c = 0; c < w.C; c++)
                for (int ki = 0; ki < kernel; ki++)
                    for (int kj = 0; kj < kernel; kj++)
                        for (int oy = 0; oy < outH; oy++)
                            for (int ox = 0; ox < outW; ox++)
                            {
                                int iy = 2 * oy - pad + ki, ix = 2 * ox - pad + kj;
                                if (iy < 0 || iy >= size || ix < 0 || ix >= size) continue;
                                expected[((n * w.C + c) * size + iy) * size + ix] +=
                                    columns[((c * kernel + ki) * kernel + kj) * width + n * positions + oy * outW + ox];
                            }
        var dx = new float[expected.Length];
        WindowKernels.Col2Im<float>(columns, w, dx, 0, w.N * w.C);
        Assert.Equal(expected, dx);
    }

    [Fact]
    public void Pooling_matches_a_single_pass()
    {
        var w = Window;
        var x = Random(w.N * w.C * w.H * w.W);
        int planes = w.N * w.C, outLength = planes * w.OutH * w.OutW;
        float[] maxSerial = new float[outLength], maxSplit = new float[outLength], avgSerial = new float[outLength], avgSplit = new float[outLength];
        long[] winnersSerial = new long[outLength], winnersSplit = new long[outLength];
        WindowKernels.MaxPool<float>(x, w, maxSerial, winnersSerial, 0, planes);
        WindowParallel.MaxPool<float>(x, w, maxSplit, winnersSplit);
        WindowKernels.AvgPool<float>(x, w, avgSerial, 0, planes);
        WindowParallel.AvgPool<float>(x, w, avgSplit);
        Assert.Equal(maxSerial, maxSplit);
        Assert.Equal(winnersSerial, winnersSplit);
        Assert.Equal(avgSerial, avgSplit);

        float[] dxSerial = new float[x.Length], dxSplit = new float[x.Length];
        WindowKernels.AvgPoolBackward<float>(avgSerial, w, dxSerial, 0, planes);
        WindowParallel.AvgPoolBackward<float>(avgSerial, w, dxSplit);
        Assert.Equal(dxSerial, dxSplit);

        // max pooling's gradient: every output's gradient at its winner, summed where overlapping windows share one;
        // whatever dx held before is overwritten
        var g = Random(outLength);
        var expected = new float[x.Length];
        int outputs = w.OutH * w.OutW, plane = w.H * w.W;
        for (int o = 0; o < outLength; o++) expected[o / outputs * plane + (int)winnersSerial[o]] += g[o];
        var dxMax = Enumerable.Repeat(float.NaN, x.Length).ToArray();
        WindowParallel.MaxPoolBackward<float>(g, winnersSerial, w, dxMax);
        Assert.Equal(expected, dxMax);
    }
}
