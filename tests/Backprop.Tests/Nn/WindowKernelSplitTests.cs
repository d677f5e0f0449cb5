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
