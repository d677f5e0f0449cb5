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
        int half = Vector256<T>.Count;
        for (int j0 = 0; j0 < nc; j0 += width, b += width * bColumn, dst += width * kc)
        {
            int columns = Math.Min(width, nc - j0);
            if (columns == width && bColumn == 1)
            {
                for (int p = 0; p < kc; p++)
                {
                    T* s = b + p * bRow;
                    Vector256.Load(s).Store(dst + p * width);
                    Vector256.Load(s + half).Store(dst + p * width + half);
                }
            }
            else if (bRow == 1)
            {
                // B is stored transposed: walk each column of op(B) along its contiguous run.
                for (int j = 0; j < columns; j++)
                {
                    T* s = b + j * bColumn;
                    for (int p = 0; p < kc; p++) dst[p * width + j] = s[p];
                }
                for (int p = 0; p < kc; p++) new Span<T>(dst + p * width + columns, width - columns).Clear();
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
