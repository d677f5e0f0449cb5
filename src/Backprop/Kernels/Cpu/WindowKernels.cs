using System.Numerics;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Sliding-window kernels over contiguous [N, C, H, W] planes: im2col and its transpose for convolution, and
/// max and average pooling. Each walks output rows and, per kernel tap, only the output columns whose input
/// lies inside the image, so the inner loops carry no bounds tests. Each call covers a range of channels (im2col,
/// col2im) or of planes (pooling), so that parts of one call write disjoint memory and can run in parallel.
/// </summary>
internal static class WindowKernels
{
    public static void Im2Col<T>(ReadOnlySpan<T> x, Window2d w, Span<T> columns, int c0, int c1) where T : unmanaged, INumber<T>
    {
        int outH = w.OutH, outW = w.OutW, plane = w.H * w.W, positions = outH * outW, width = w.N * positions;
        for (int c = c0; c < c1; c++)
            for (int ki = 0; ki < w.KernelH; ki++)
                for (int kj = 0; kj < w.KernelW; kj++)
                {
                    var row = columns.Slice(((c * w.KernelH + ki) * w.KernelW + kj) * width, width);
                    var (lo, hi) = ValidColumns(w, kj, outW);
                    int shift = kj * w.DilationW - w.PadW;
                    for (int n = 0; n < w.N; n++)
                    {
                        var image = x.Slice((n * w.C + c) * plane, plane);
                        for (int oy = 0; oy < outH; oy++)
                        {
                            var dst = row.Slice(n * positions + oy * outW, outW);
                            int iy = oy * w.StrideH - w.PadH + ki * w.DilationH;
                            if (iy < 0 || iy >= w.H || lo >= hi) { dst.Clear(); continue; }
                            var src = image.Slice(iy * w.W, w.W);
                            dst[..lo].Clear();
                            dst[hi..].Clear();
                            if (w.StrideW == 1) src.Slice(lo + shift, hi - lo).CopyTo(dst[lo..hi]);
                            else for (int ox = lo; ox < hi; ox++) dst[ox] = src[ox * w.StrideW + shift];
                        }
                    }
                }
    }

    public static void Col2Im<T>(ReadOnlySpan<T> columns, Window2d w, Span<T> dx, int c0, int c1) where T : unmanaged, INumber<T>
    {
        int outH = w.OutH, outW = w.OutW, plane = w.H * w.W, positions = outH * outW, width = w.N * positions;
        for (int c = c0; c < c1; c++)
            for (int ki = 0; ki < w.KernelH; ki++)
                for (int kj = 0; kj < w.KernelW; kj++)
                {
                    var row = columns.Slice(((c * w.KernelH + ki) * w.KernelW + kj) * width, width);
                    var (lo, hi) = ValidColumns(w, kj, outW);
                    int shift = kj * w.DilationW - w.PadW;
                    for (int n = 0; n < w.N; n++)
                    {
                        var image = dx.Slice((n * w.C + c) * plane, plane);
                        for (int oy = 0; oy < outH; oy++)
                        {
                            int iy = oy * w.StrideH - w.PadH + ki * w.DilationH;
                            if (iy < 0 || iy >= w.H) continue;
                            var src = row.Slice(n * positions + oy * outW, outW);
                            var dst = image.Slice(iy * w.W, w.W);
                            for (int ox = lo; ox < hi; ox++) dst[ox * w.StrideW + shift] += src[ox];
                        }
                    }
                }
    }

    // output columns ox with 0 ≤ ox·stride − pad + kj·dilation < W
    private static (int Lo, int Hi) ValidColumns(Window2d w, int kj, int outW)
    {
        int offset = w.PadW - kj * w.DilationW;
        int lo = Math.Max(0, CeilDiv(offset, w.StrideW));
        int hi = Math.Min(outW, CeilDiv(w.W + offset, w.StrideW));
        return (lo, Math.Max(lo, hi));
    }

    private static int CeilDiv(int a, int b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    public static void MaxPool<T>(ReadOnlySpan<T> x, Window2d w, Span<T> y, Span<long> indices, int p0, int p1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outH = w.OutH, outW = w.OutW, plane = w.H * w.W, o = p0 * outH * outW;
        for (int p = p0; p < p1; p++)
        {
            var image = x.Slice(p * plane, plane);
            for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++, o++)
                {
                    T best = T.NegativeInfinity;
                    int bestAt = -1;
                    for (int ki = 0; ki < w.KernelH; ki++)
                    {
                        int iy = oy * w.StrideH - w.PadH + ki * w.DilationH;
                        if (iy < 0 || iy >= w.H) continue;
                        for (int kj = 0; kj < w.KernelW; kj++)
                        {
                            int ix = ox * w.StrideW - w.PadW + kj * w.DilationW;
                            if (ix < 0 || ix >= w.W) continue;
                            T v = image[iy * w.W + ix];
                            // the first in-window position wins all-−∞ windows; NaN propagates, as in PyTorch
                            if (bestAt < 0 || v > best || T.IsNaN(v)) { best = v; bestAt = iy * w.W + ix; }
                        }
                    }
                    y[o] = best;
                    indices[o] = bestAt;
                }
        }
    }

    public static void AvgPool<T>(ReadOnlySpan<T> x, Window2d w, Span<T> y, int p0, int p1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outH = w.OutH, outW = w.OutW, plane = w.H * w.W, o = p0 * outH * outW;
        for (int p = p0; p < p1; p++)
        {
            var image = x.Slice(p * plane, plane);
            for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++, o++)
                {
                    var (y0, y1, x0, x1, divisor) = AvgWindow(w, oy, ox);
                    T sum = T.Zero;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) sum += image[iy * w.W + ix];
                    y[o] = sum / T.CreateTruncating(divisor);
                }
        }
    }

    public static void AvgPoolBackward<T>(ReadOnlySpan<T> g, Window2d w, Span<T> dx, int p0, int p1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outH = w.OutH, outW = w.OutW, plane = w.H * w.W, o = p0 * outH * outW;
        for (int p = p0; p < p1; p++)
        {
            var image = dx.Slice(p * plane, plane);
            for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++, o++)
                {
                    var (y0, y1, x0, x1, divisor) = AvgWindow(w, oy, ox);
                    T share = g[o] / T.CreateTruncating(divisor);
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++) image[iy * w.W + ix] += share;
                }
        }
    }

    // the window clipped to the image, and its size clipped only to the padded image (count_include_pad)
    private static (int Y0, int Y1, int X0, int X1, int Divisor) AvgWindow(Window2d w, int oy, int ox)
    {
        int y0 = oy * w.StrideH - w.PadH, x0 = ox * w.StrideW - w.PadW;
        int y1 = Math.Min(y0 + w.KernelH, w.H + w.PadH), x1 = Math.Min(x0 + w.KernelW, w.W + w.PadW);
        int divisor = (y1 - y0) * (x1 - x0);
        return (Math.Max(y0, 0), Math.Min(y1, w.H), Math.Max(x0, 0), Math.Min(x1, w.W), divisor);
    }
}
