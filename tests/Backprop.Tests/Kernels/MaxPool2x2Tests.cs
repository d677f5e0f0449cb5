using Backprop.Kernels;
using Backprop.Kernels.Cpu;

namespace Backprop.Tests.Kernels;

/// <summary>The vector 2×2 max pooling picks the same maxima and positions as the general kernel (run in double).</summary>
public class MaxPool2x2Tests
{
    [Theory]
    [InlineData(16, 16)]   // whole vectors only
    [InlineData(6, 34)]    // vectors and a scalar tail
    [InlineData(5, 13)]    // odd sizes: the last row and column belong to no window
    [InlineData(2, 2)]
    public void Maxima_and_winners_match_the_general_kernel_with_ties_infinities_and_nans(int h, int w)
    {
        var window = new Window2d(N: 2, C: 3, H: h, W: w, KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0);
        Assert.True(MaxPool2x2.Handles(window) || !System.Runtime.Intrinsics.X86.Avx2.IsSupported);
        var random = new Random(h * 100 + w);
        // few distinct values, so ties are common; some −∞ and NaN
        float[] choices = [-1f, 0f, 0f, 1f, 2f, float.NegativeInfinity, float.NaN];
        var x = Enumerable.Range(0, 6 * h * w).Select(_ => choices[random.Next(choices.Length)]).ToArray();
        int planes = 6, outputs = planes * window.OutH * window.OutW;
        float[] y = new float[outputs];
        long[] winners = new long[outputs];
        WindowKernels.MaxPool<float>(x, window, y, winners, 0, planes);

        double[] yExpected = new double[outputs];
        long[] winnersExpected = new long[outputs];
        WindowKernels.MaxPool<double>(x.Select(v => (double)v).ToArray(), window, yExpected, winnersExpected, 0, planes);
        Assert.Equal(winnersExpected, winners);
        Assert.Equal(yExpected.Select(v => (float)v).ToArray(), y);
    }
}
