using Backprop.Kernels;
using ILGPU;

namespace Backprop.Cuda.Kernels;

/// <summary>
/// Sliding-window kernels over contiguous [N, C, H, W] planes, one thread per element they write: im2col per
/// column entry, col2im per input pixel (gathering every tap that reads it, so no atomics), pooling per output.
/// </summary>
internal static class WindowKernels
{
    public static void Im2Col<T>(Index1D i, ArrayView<T> x, Window2d w, ArrayView<T> columns) where T : unmanaged
    {
        int outW = w.OutW, positions = w.OutH * outW, width = w.N * positions;
        int r = i / width, col = i - r * width;
        int kj = r % w.KernelW, ki = r / w.KernelW % w.KernelH, c = r / (w.KernelW * w.KernelH);
        int n = col / positions, pos = col - n * positions, oy = pos / outW, ox = pos - oy * outW;
        int iy = oy * w.StrideH - w.PadH + ki * w.DilationH, ix = ox * w.StrideW - w.PadW + kj * w.DilationW;
        columns[i] = iy >= 0 && iy < w.H && ix >= 0 && ix < w.W ? x[((n * w.C + c) * w.H + iy) * w.W + ix] : default;
    }

    public static void Col2Im<T, A>(Index1D i, ArrayView<T> columns, Window2d w, ArrayView<T> dx)
        where T : unmanaged where A : struct, IArith<T>
    {
        var arith = default(A);
        int outH = w.OutH, outW = w.OutW, positions = outH * outW, width = w.N * positions;
        int ix = i % w.W, iy = i / w.W % w.H, c = i / (w.W * w.H) % w.C, n = i / (w.W * w.H * w.C);
        T sum = dx[i];
        for (int ki = 0; ki < w.KernelH; ki++)
        {
            int ty = iy + w.PadH - ki * w.DilationH;
            if (ty < 0 || ty % w.StrideH != 0 || ty / w.StrideH >= outH) continue;
            int oy = ty / w.StrideH;
            for (int kj = 0; kj < w.KernelW; kj++)
            {
                int tx = ix + w.PadW - kj * w.DilationW;
                if (tx < 0 || tx % w.StrideW != 0 || tx / w.StrideW >= outW) continue;
                int row = (c * w.KernelH + ki) * w.KernelW + kj;
                sum = arith.Add(sum, columns[row * width + n * positions + oy * outW + tx / w.StrideW]);
            }
        }
        dx[i] = sum;
    }

    /// <summary>The first in-window position wins all-−∞ windows; NaN propagates, as in PyTorch.</summary>
    public static void MaxPool<T, A>(Index1D o, ArrayView<T> x, Window2d w, ArrayView<T> y, ArrayView<long> indices)
        where T : unmanaged where A : struct, IArith<T>
    {
        var arith = default(A);
        int outH = w.OutH, outW = w.OutW, ox = o % outW, oy = o / outW % outH, plane = o / (outW * outH);
        int start = plane * w.H * w.W;
        T best = arith.Lowest(true);
        int bestAt = -1;
        for (int ki = 0; ki < w.KernelH; ki++)
        {
            int iy = oy * w.StrideH - w.PadH + ki * w.DilationH;
            if (iy < 0 || iy >= w.H) continue;
            for (int kj = 0; kj < w.KernelW; kj++)
            {
                int ix = ox * w.StrideW - w.PadW + kj * w.DilationW;
                if (ix < 0 || ix >= w.W) continue;
                T v = x[start + iy * w.W + ix];
                if (bestAt < 0 || arith.Beats(true, v, best)) { best = v; bestAt = iy * w.W + ix; }
            }
        }
        y[o] = best;
        indices[o] = bestAt;
    }

    public static void AvgPool<T, A>(Index1D o, ArrayView<T> x, Window2d w, ArrayView<T> y)
        where T : unmanaged where A : struct, IArith<T>
    {
        var arith = default(A);
        int outH = w.OutH, outW = w.OutW, ox = o % outW, oy = o / outW % outH, plane = o / (outW * outH);
        int start = plane * w.H * w.W;
        int y0 = oy * w.StrideH - w.PadH, x0 = ox * w.StrideW - w.PadW;
        int y1 = Min(y0 + w.KernelH, w.H + w.PadH), x1 = Min(x0 + w.KernelW, w.W + w.PadW);
        int divisor = (y1 - y0) * (x1 - x0);
        T sum = arith.FromDouble(0);
        for (int iy = Max(y0, 0); iy < Min(y1, w.H); iy++)
            for (int ix = Max(x0, 0); ix < Min(x1, w.W); ix++) sum = arith.Add(sum, x[start + iy * w.W + ix]);
        y[o] = arith.Binary(3, sum, arith.FromDouble(divisor));
    }

    /// <summary>Spreads each g entry evenly over its window; windows overlap, hence the atomic adds.</summary>
    public static void AvgPoolBackward<T, A>(Index1D o, ArrayView<T> g, Window2d w, ArrayView<T> dx)
        where T : unmanaged where A : struct, IArith<T>
    {
        var arith = default(A);
        int outH = w.OutH, outW = w.OutW, ox = o % outW, oy = o / outW % outH, plane = o / (outW * outH);
        int start = plane * w.H * w.W;
        int y0 = oy * w.StrideH - w.PadH, x0 = ox * w.StrideW - w.PadW;
        int y1 = Min(y0 + w.KernelH, w.H + w.PadH), x1 = Min(x0 + w.KernelW, w.W + w.PadW);
        T share = arith.Binary(3, g[o], arith.FromDouble((y1 - y0) * (x1 - x0)));
        for (int iy = Max(y0, 0); iy < Min(y1, w.H); iy++)
            for (int ix = Max(x0, 0); ix < Min(x1, w.W); ix++) arith.AtomicAdd(dx, start + iy * w.W + ix, share);
    }

    private static int Min(int a, int b) => a < b ? a : b;
    private static int Max(int a, int b) => a > b ? a : b;
}
