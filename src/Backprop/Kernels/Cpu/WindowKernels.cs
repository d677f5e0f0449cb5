using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Sliding-window kernels over contiguous [N, C, H, W] planes: im2col and its transpose for convolution, and
/// max and average pooling. Each walks output rows and, per kernel tap, only the output columns whose input
/// lies inside the image, so the inner loops carry no bounds tests. Each call covers a range of rows of the columns
/// (im2col) or of [N·C] planes (col2im, pooling), so that parts of one call write disjoint memory and can run in
/// parallel.
/// </summary>
internal static class WindowKernels
{
    /// <summary>Rows [r0, r1) of the columns, row (c·kH + ki)·kW + kj holding that tap for every sample and output
    /// position.</summary>
    public static unsafe void Im2Col<T>(ReadOnlySpan<T> x, Window2d w, Span<T> columns, int r0, int r1)
        where T : unmanaged, INumber<T>
    {
        int outH = w.OutH, outW = w.OutW, plane = w.H * w.W, positions = outH * outW, width = w.N * positions;
        fixed (T* source = x, target = columns)
            for (int r = r0; r < r1; r++)
            {
                int c = r / (w.KernelH * w.KernelW), ki = r / w.KernelW % w.KernelH, kj = r % w.KernelW;
                var (lo, hi) = ValidColumns(w, kj, outW);
                int shift = kj * w.DilationW - w.PadW;
                for (int n = 0; n < w.N; n++)
                {
                    T* image = source + (n * w.C + c) * plane;
                    T* dst = target + (long)r * width + n * positions;
                    for (int oy = 0; oy < outH; oy++, dst += outW)
                    {
                        int iy = oy * w.StrideH - w.PadH + ki * w.DilationH;
                        if (iy < 0 || iy >= w.H || lo >= hi) { Clear(dst, outW); continue; }
                        T* src = image + iy * w.W;
                        Clear(dst, lo);
                        Clear(dst + hi, outW - hi);
                        if (w.StrideW == 1) Copy(src + lo + shift, dst + lo, hi - lo);
                        else if (EveryOtherByLanes<T>(w))
                            CopyEvens((float*)src + shift, (float*)dst, lo, hi, w.W - shift);
                        else for (int ox = lo; ox < hi; ox++) dst[ox] = src[ox * w.StrideW + shift];
                    }
                }
            }
    }

    /// <summary>Adds the columns into planes [p0, p1) of dx (plane n·C + c), each tap in order, so every element sums
    /// in the same order.</summary>
    public static unsafe void Col2Im<T>(ReadOnlySpan<T> columns, Window2d w, Span<T> dx, int p0, int p1)
        where T : unmanaged, INumber<T>
    {
        int outH = w.OutH, outW = w.OutW, plane = w.H * w.W, positions = outH * outW, width = w.N * positions;
        // channel by channel, sample by sample: consecutive planes then read neighbouring runs of each tap's row of
        // columns (sample n's run follows n − 1's), which the prefetchers follow, where sample-major order jumps a
        // whole channel's taps between planes
        int nFirst = p0 / w.C, nLast = (p1 - 1) / w.C;
        bool pairs = PairsTaps<T>(w);
        fixed (T* source = columns, target = dx)
            for (int c = 0; c < w.C; c++)
            for (int n = nFirst; n <= nLast; n++)
            {
                int p = n * w.C + c;
                if (p < p0 || p >= p1) continue;
                T* image = target + (long)p * plane;
                for (int ki = 0; ki < w.KernelH; ki++)
                    for (int kj = 0; kj < w.KernelW; kj++)
                    {
                        if (pairs && kj + 1 < w.KernelW)
                        {
                            AddTapPair(w, ki, kj, (float*)source, (float*)image, c, n);
                            kj++;
                            continue;
                        }
                        var (lo, hi) = ValidColumns(w, kj, outW);
                        int shift = kj * w.DilationW - w.PadW;
                        T* src = source + (long)((c * w.KernelH + ki) * w.KernelW + kj) * width + n * positions;
                        for (int oy = 0; oy < outH; oy++, src += outW)
                        {
                            int iy = oy * w.StrideH - w.PadH + ki * w.DilationH;
                            if (iy < 0 || iy >= w.H) continue;
                            T* dst = image + iy * w.W;
                            if (w.StrideW == 1) Add(src + lo, dst + lo + shift, hi - lo);
                            else if (EveryOtherByLanes<T>(w))
                                AddToEvens((float*)src, (float*)dst + shift, lo, hi, w.W - shift);
                            else for (int ox = lo; ox < hi; ox++) dst[ox * w.StrideW + shift] += src[ox];
                        }
                    }
            }
    }

    // float rows at stride 2 move by vector lanes, every other element of the image row
    private static bool EveryOtherByLanes<T>(Window2d w) =>
        w.StrideW == 2 && typeof(T) == typeof(float) && Avx2.IsSupported;

    // At stride 2 with no dilation, taps kj and kj + 1 add into neighbouring elements (the even and the odd ones of a
    // row, or the other way round): together they fill whole vectors, where one alone adds zeros to every other lane.
    private static bool PairsTaps<T>(Window2d w) => EveryOtherByLanes<T>(w) && w.DilationW == 1;

    /// <summary>
    /// Taps (ki, kj) and (ki, kj + 1) of col2im into one plane, row by row, four output columns at a time: their two
    /// column rows interleaved into the eight neighbouring elements they add to. A run that reaches past either end of
    /// the image row, or past the last output column, goes through masks, so short rows (a 4 × 4 input) need no
    /// scalar loop. Each element still gets one term per tap in tap order: the bits of the taps one at a time.
    /// </summary>
    private static unsafe void AddTapPair(Window2d w, int ki, int kj, float* columns, float* image, int c, int n)
    {
        int outH = w.OutH, outW = w.OutW, positions = outH * outW, shift = kj - w.PadW;
        long width = (long)w.N * positions;
        float* first = columns + ((c * w.KernelH + ki) * w.KernelW + kj) * width + n * positions;
        float* second = first + width;
        var lanes = Vector256<int>.Indices;
        var laneColumns = Vector256.ShiftRightLogical(lanes, 1);
        for (int oy = 0; oy < outH; oy++, first += outW, second += outW)
        {
            int iy = oy * w.StrideH - w.PadH + ki * w.DilationH;
            if (iy < 0 || iy >= w.H) continue;
            float* row = image + iy * w.W;   // tap kj adds to row[2·ox + shift], tap kj + 1 to the element after
            for (int ox = 0; ox < outW; ox += 4)
            {
                int at = 2 * ox + shift;
                if (ox + 4 <= outW && at >= 0 && at + 8 <= w.W)
                {
                    var a = Sse.LoadVector128(first + ox);
                    var b = Sse.LoadVector128(second + ox);
                    var pair = Vector256.Create(Sse.UnpackLow(a, b), Sse.UnpackHigh(a, b));
                    Avx.Store(row + at, Avx.Add(Avx.LoadVector256(row + at), pair));
                    continue;
                }
                var targets = Vector256.Create(at) + lanes;
                var inside = Vector256.GreaterThanOrEqual(targets, Vector256<int>.Zero)
                    & Vector256.LessThan(targets, Vector256.Create(w.W))
                    & Vector256.LessThan(Vector256.Create(ox) + laneColumns, Vector256.Create(outW));
                var read = Vector128.LessThan(Vector128.Create(ox) + Vector128<int>.Indices, Vector128.Create(outW));
                var (ma, mb) = (Avx.MaskLoad(first + ox, read.AsSingle()), Avx.MaskLoad(second + ox, read.AsSingle()));
                var sum = Avx.Add(Avx.MaskLoad(row + at, inside.AsSingle()),
                    Vector256.Create(Sse.UnpackLow(ma, mb), Sse.UnpackHigh(ma, mb)));
                Avx.MaskStore(row + at, inside.AsSingle(), sum);
            }
        }
    }

    // the short runs of a window row, a vector at a time
    private static unsafe void Copy<T>(T* src, T* dst, int count) where T : unmanaged
    {
        int i = 0;
        for (; i <= count - Vector256<T>.Count; i += Vector256<T>.Count)
            Vector256.Store(Vector256.Load(src + i), dst + i);
        for (; i < count; i++) dst[i] = src[i];
    }

    private static unsafe void Add<T>(T* src, T* dst, int count) where T : unmanaged, INumber<T>
    {
        int i = 0;
        for (; i <= count - Vector256<T>.Count; i += Vector256<T>.Count)
            Vector256.Store(Vector256.Load(dst + i) + Vector256.Load(src + i), dst + i);
        for (; i < count; i++) dst[i] += src[i];
    }

    /// <summary>dst[i] = src[2·i] for i in [lo, hi): eight at a time from sixteen floats wherever those all lie before
    /// <paramref name="end"/> (the end of the row, from src), one at a time elsewhere.</summary>
    private static unsafe void CopyEvens(float* src, float* dst, int lo, int hi, int end)
    {
        int i = lo;
        for (; i + 8 <= hi && 2 * (i + 8) <= end; i += 8)
        {
            var a = Avx.LoadVector256(src + 2 * i);
            var b = Avx.LoadVector256(src + 2 * i + 8);
            // a0 a2 b0 b2 | a4 a6 b4 b6 within the 128-bit lanes, then the pairs put in order
            var evens = Avx.Shuffle(a, b, 0b10_00_10_00);
            Avx.Store(dst + i, Avx2.Permute4x64(evens.AsDouble(), 0b11_01_10_00).AsSingle());
        }
        for (; i < hi; i++) dst[i] = src[2 * i];
    }

    /// <summary>
    /// dst[2·i] += src[i] for i in [lo, hi), eight at a time (as sixteen floats with zeros between, wherever those all
    /// lie before <paramref name="end"/>, the end of the row from dst), one at a time elsewhere. The zeros leave the
    /// odd elements' bits: dx starts at +0 and a sum never turns it into −0, the one value that adding +0 changes.
    /// </summary>
    private static unsafe void AddToEvens(float* src, float* dst, int lo, int hi, int end)
    {
        int i = lo;
        for (; i + 8 <= hi && 2 * (i + 8) <= end; i += 8)
        {
            var v = Avx.LoadVector256(src + i);
            var low = Avx.UnpackLow(v, Vector256<float>.Zero);     // s0 0 s1 0 | s4 0 s5 0
            var high = Avx.UnpackHigh(v, Vector256<float>.Zero);   // s2 0 s3 0 | s6 0 s7 0
            float* d = dst + 2 * i;
            Avx.Store(d, Avx.Add(Avx.LoadVector256(d), Avx.Permute2x128(low, high, 0x20)));
            Avx.Store(d + 8, Avx.Add(Avx.LoadVector256(d + 8), Avx.Permute2x128(low, high, 0x31)));
        }
        for (; i < hi; i++) dst[2 * i] += src[i];
    }

    private static unsafe void Clear<T>(T* dst, int count) where T : unmanaged
    {
        int i = 0;
        for (; i <= count - Vector256<T>.Count; i += Vector256<T>.Count) Vector256.Store(Vector256<T>.Zero, dst + i);
        for (; i < count; i++) dst[i] = default;
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

    public static unsafe void MaxPool<T>(ReadOnlySpan<T> x, Window2d w, Span<T> y, Span<long> indices, int p0, int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outH = w.OutH, outW = w.OutW, plane = w.H * w.W, o = p0 * outH * outW;
        if (typeof(T) == typeof(float) && MaxPool2x2.Handles(w))
        {
            fixed (T* source = x, target = y)
            fixed (long* winners = indices)
                for (int p = p0; p < p1; p++)
                    MaxPool2x2.Plane((float*)source + (long)p * plane, w, (float*)target + (long)p * outH * outW,
                        winners + (long)p * outH * outW);
            return;
        }
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

    /// <summary>Planes [p0, p1) of max pooling's gradient: zero, plus each output's gradient at its window's
    /// winner.</summary>
    public static void MaxPoolBackward<T>(ReadOnlySpan<T> g, Window2d w, Span<T> dx, ReadOnlySpan<long> winners, int p0,
        int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outputs = w.OutH * w.OutW, plane = w.H * w.W;
        for (int p = p0; p < p1; p++)
        {
            var image = dx.Slice(p * plane, plane);
            image.Clear();
            // overlapping windows may share a winner
            for (int o = p * outputs, end = o + outputs; o < end; o++) image[(int)winners[o]] += g[o];
        }
    }

    public static void AvgPool<T>(ReadOnlySpan<T> x, Window2d w, Span<T> y, int p0, int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
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

    public static void AvgPoolBackward<T>(ReadOnlySpan<T> g, Window2d w, Span<T> dx, int p0, int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
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
