using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Copies blocks of A and B into the order the micro-kernel reads them: contiguous panels, padded with zeros
/// to whole tiles. Transposed operands are untangled here, so the kernel only ever sees one layout.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs the mc × kc block of A whose element (i, p) is at <c>a[i·aRow + p·aStep]</c> into panels of 6 rows:
    /// panel t holds (r, p) at <c>t·6·kc + p·6 + r</c>, with zeros for rows past mc. The kernel then reads one
    /// stream per panel rather than six row streams.
    /// </summary>
    public static void PackA<T>(T* a, nint aRow, nint aStep, int mc, int kc, T* dst) where T : unmanaged
    {
        const int R = GemmMicroKernel.Rows;
        for (int i0 = 0; i0 < mc; i0 += R, a += R * aRow, dst += R * kc)
        {
            int rows = Math.Min(R, mc - i0);
            if (rows == R && aStep == 1)
            {
                T* r0 = a, r1 = a + aRow, r2 = a + 2 * aRow, r3 = a + 3 * aRow, r4 = a + 4 * aRow, r5 = a + 5 * aRow;
                T* d = dst;
                int p = 0;
                if (typeof(T) == typeof(float) && Sse.IsSupported)
                {
                    p = kc & ~3;
                    TransposeSixRows((float*)a, aRow, p, (float*)d);
                    d += p * R;
                }
                for (; p < kc; p++, d += R)
                {
                    d[0] = r0[p]; d[1] = r1[p]; d[2] = r2[p]; d[3] = r3[p]; d[4] = r4[p]; d[5] = r5[p];
                }
            }
            else if (rows == R && aRow == 1)
            {
                // A is stored transposed: the six rows of each column are already side by side.
                for (int p = 0; p < kc; p++)
                    Unsafe.CopyBlockUnaligned(dst + p * R, a + p * aStep, (uint)(R * sizeof(T)));
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    T* d = dst + p * R;
                    T* s = a + p * aStep;
                    for (int r = 0; r < rows; r++) d[r] = s[r * aRow];
                    for (int r = rows; r < R; r++) d[r] = default;
                }
            }
        }
    }

    /// <summary>
    /// The interleaving of <see cref="PackA{T}"/> for six full float rows, four columns at a time: two 4×4
    /// transposes in SSE registers instead of 24 scalar moves. <paramref name="columns"/> is a multiple of 4.
    /// </summary>
    private static void TransposeSixRows(float* a, nint aRow, int columns, float* dst)
    {
        for (int p = 0; p < columns; p += 4, dst += 24)
        {
            var x0 = Sse.LoadVector128(a + p);
            var x1 = Sse.LoadVector128(a + aRow + p);
            var x2 = Sse.LoadVector128(a + 2 * aRow + p);
            var x3 = Sse.LoadVector128(a + 3 * aRow + p);
            var x4 = Sse.LoadVector128(a + 4 * aRow + p);
            var x5 = Sse.LoadVector128(a + 5 * aRow + p);
            // t0 = r0p0 r1p0 r0p1 r1p1, t1 = r0p2 r1p2 r0p3 r1p3, and so on for rows 2-3 and 4-5.
            var t0 = Sse.UnpackLow(x0, x1);
            var t1 = Sse.UnpackHigh(x0, x1);
            var t2 = Sse.UnpackLow(x2, x3);
            var t3 = Sse.UnpackHigh(x2, x3);
            var t4 = Sse.UnpackLow(x4, x5);
            var t5 = Sse.UnpackHigh(x4, x5);
            Sse.Store(dst, Sse.MoveLowToHigh(t0, t2));
            Sse.StoreLow(dst + 4, t4);
            Sse.Store(dst + 6, Sse.MoveHighToLow(t2, t0));
            Sse.StoreHigh(dst + 10, t4);
            Sse.Store(dst + 12, Sse.MoveLowToHigh(t1, t3));
            Sse.StoreLow(dst + 16, t5);
            Sse.Store(dst + 18, Sse.MoveHighToLow(t3, t1));
            Sse.StoreHigh(dst + 22, t5);
        }
    }

    /// <summary>
    /// Packs the kc × nc block of B whose element (p, j) is at <c>b[p·bRow + j·bColumn]</c> into panels of
    /// two vectors' width W: panel t holds (p, j) at <c>t·W·kc + p·W + j</c>, with zeros for columns past nc.
    /// </summary>
    public static void PackB<T>(T* b, nint bRow, nint bColumn, int kc, int nc, T* dst) where T : unmanaged
    {
        int width = GemmMicroKernel.Columns<T>();
        int j0 = 0;
        if (bColumn == 1)
        {
            j0 = nc - nc % width;
            PackWholePanels(b, bRow, kc, j0, dst);
        }
        for (b += j0 * bColumn, dst += j0 * kc; j0 < nc; j0 += width, b += width * bColumn, dst += width * kc)
        {
            int columns = Math.Min(width, nc - j0);
            if (bRow == 1)
            {
                // B is stored transposed: walk each column of op(B) along its contiguous run, eight rows of
                // the panel at a time through register transposes where the panel is whole.
                int p0 = 0;
                if (columns == width && typeof(T) == typeof(float) && Avx.IsSupported)
                {
                    p0 = kc & ~7;
                    TransposeSixteenColumns((float*)b, bColumn, p0, (float*)dst);
                }
                for (int j = 0; j < columns; j++)
                {
                    T* s = b + j * bColumn;
                    for (int p = p0; p < kc; p++) dst[p * width + j] = s[p];
                }
                for (int p = p0; p < kc; p++) new Span<T>(dst + p * width + columns, width - columns).Clear();
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    T* d = dst + p * width;
                    T* s = b + p * bRow;
                    for (int j = 0; j < columns; j++) d[j] = s[j * bColumn];
                    for (int j = columns; j < width; j++) d[j] = default;
                }
            }
        }
    }

    /// <summary>
    /// The first <paramref name="columns"/> (a multiple of the panel width) of a B with contiguous rows, a row at a
    /// time: each row is one sequential read that the hardware prefetchers follow, where panel by panel would read kc
    /// rows side by side, more streams than they track, and wait on memory for each line.
    /// </summary>
    private static void PackWholePanels<T>(T* b, nint bRow, int kc, int columns, T* dst) where T : unmanaged
    {
        int width = GemmMicroKernel.Columns<T>(), half = Vector256<T>.Count;
        nint panel = (nint)width * kc;
        for (int p = 0; p < kc; p++)
        {
            T* s = b + p * bRow, d = dst + p * width;
            for (int j = 0; j < columns; j += width, d += panel)
            {
                Vector256.Load(s + j).Store(d);
                Vector256.Load(s + j + half).Store(d + half);
            }
        }
    }

    /// <summary>
    /// The transposed-B packing of <see cref="PackB{T}"/> for a whole float panel of 16 columns, eight steps of k
    /// at a time: each 8 × 8 block goes through one register transpose instead of 64 scattered stores.
    /// <paramref name="depth"/> is a multiple of 8.
    /// </summary>
    private static void TransposeSixteenColumns(float* b, nint bColumn, int depth, float* dst)
    {
        for (int p = 0; p < depth; p += 8)
            for (int half = 0; half < 16; half += 8)
            {
                float* s = b + half * bColumn + p;
                var r0 = Avx.LoadVector256(s);
                var r1 = Avx.LoadVector256(s + bColumn);
                var r2 = Avx.LoadVector256(s + 2 * bColumn);
                var r3 = Avx.LoadVector256(s + 3 * bColumn);
                var r4 = Avx.LoadVector256(s + 4 * bColumn);
                var r5 = Avx.LoadVector256(s + 5 * bColumn);
                var r6 = Avx.LoadVector256(s + 6 * bColumn);
                var r7 = Avx.LoadVector256(s + 7 * bColumn);
                // pairs of columns interleaved, then quads, then the 128-bit halves give whole steps of k
                var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
                var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
                var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
                var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
                var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
                var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
                var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
                var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
                float* d = dst + p * 16 + half;
                Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
                Avx.Store(d + 16, Avx.Permute2x128(u1, u5, 0x20));
                Avx.Store(d + 32, Avx.Permute2x128(u2, u6, 0x20));
                Avx.Store(d + 48, Avx.Permute2x128(u3, u7, 0x20));
                Avx.Store(d + 64, Avx.Permute2x128(u0, u4, 0x31));
                Avx.Store(d + 80, Avx.Permute2x128(u1, u5, 0x31));
                Avx.Store(d + 96, Avx.Permute2x128(u2, u6, 0x31));
                Avx.Store(d + 112, Avx.Permute2x128(u3, u7, 0x31));
            }
    }
}

/// <summary>
/// Per-thread packing buffers, kept for the life of the thread so steady-state products allocate nothing.
/// They live on the pinned heap and are handed out 64-byte aligned, so vector loads never split a cache line.
/// </summary>
internal static unsafe class PackBuffers<T> where T : unmanaged
{
    [ThreadStatic] private static T[]? t_a;
    [ThreadStatic] private static T[]? t_b;

    /// <summary>Room for a packed block of A.</summary>
    public static T* A(int length) => Get(ref t_a, length);

    /// <summary>Room for a packed block of B.</summary>
    public static T* B(int length) => Get(ref t_b, length);

    private static T* Get(ref T[]? buffer, int length)
    {
        int padding = 64 / sizeof(T);
        if (buffer is null || buffer.Length < length + padding)
            buffer = GC.AllocateUninitializedArray<T>(length + padding, pinned: true);
        nint start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (T*)((start + 63) & ~(nint)63);
    }
}
