using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Float max pooling over 2×2 windows at stride 2 with no padding (the usual halving), eight outputs at a time:
/// whole windows lie inside the image, and vector compares replace the data-dependent branches of the general
/// kernel, which mispredict on about half of all elements. Ties and NaNs resolve as in
/// <see cref="WindowKernels.MaxPool{T}"/>: positions are visited in row order, a larger value or any NaN takes over.
/// </summary>
internal static unsafe class MaxPool2x2
{
    /// <summary>Whether <paramref name="w"/> is the window this kernel handles, on a processor that runs it.</summary>
    public static bool Handles(Window2d w) => Avx2.IsSupported &&
        w is { KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1 }
            and { ExtraH: 0, ExtraW: 0 };

    /// <summary>One [H, W] plane into its [outH, outW] maxima and their positions in the plane.</summary>
    public static void Plane(float* image, Window2d w, float* y, long* indices)
    {
        int width = w.W, outW = w.OutW;
        for (int oy = 0; oy < w.OutH; oy++, y += outW, indices += outW)
        {
            int top = 2 * oy * width;
            float* r0 = image + top, r1 = r0 + width;
            int ox = 0;
            for (; ox + 8 <= outW; ox += 8)
            {
                float* a = r0 + 2 * ox, b = r1 + 2 * ox;
                var (a0, a1) = (Avx.LoadVector256(a), Avx.LoadVector256(a + 8));
                var (b0, b1) = (Avx.LoadVector256(b), Avx.LoadVector256(b + 8));
                var best = Even(a0, a1);
                // which of the four positions won, as an int offset in float lanes
                var offset = Vector256<float>.Zero;
                Take(ref best, ref offset, Odd(a0, a1), 1);
                Take(ref best, ref offset, Even(b0, b1), width);
                Take(ref best, ref offset, Odd(b0, b1), width + 1);
                Avx.Store(y + ox, best);
                var at = Vector256.Create(top + 2 * ox) + Vector256<int>.Indices * 2 + offset.AsInt32();
                Avx.Store(indices + ox, Avx2.ConvertToVector256Int64(at.GetLower()));
                Avx.Store(indices + ox + 4, Avx2.ConvertToVector256Int64(at.GetUpper()));
            }
            for (; ox < outW; ox++)
            {
                int at = top + 2 * ox;
                float best = image[at];
                int bestAt = at;
                foreach (int step in (ReadOnlySpan<int>)[1, width, width + 1])
                {
                    float v = image[at + step];
                    if (v > best || float.IsNaN(v)) { best = v; bestAt = at + step; }
                }
                y[ox] = best;
                indices[ox] = bestAt;
            }
        }
    }

    private static void Take(ref Vector256<float> best, ref Vector256<float> offset, Vector256<float> v, int step)
    {
        var take = Avx.Or(Avx.CompareGreaterThan(v, best), Avx.CompareUnordered(v, v));
        best = Avx.BlendVariable(best, v, take);
        offset = Avx.BlendVariable(offset, Vector256.Create(step).AsSingle(), take);
    }

    // elements 0, 2, …, 14 and 1, 3, …, 15 of the sixteen in x then y: a shuffle within 128-bit lanes, then the
    // 64-bit quarters in order
    private static Vector256<float> Even(Vector256<float> x, Vector256<float> y) =>
        Avx2.Permute4x64(Avx.Shuffle(x, y, 0x88).AsDouble(), 0xD8).AsSingle();

    private static Vector256<float> Odd(Vector256<float> x, Vector256<float> y) =>
        Avx2.Permute4x64(Avx.Shuffle(x, y, 0xDD).AsDouble(), 0xD8).AsSingle();
}
