using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// The register tile of the GEMM: a 6 × (2 vectors) block of C held in 12 AVX registers while a panel of A
/// (broadcast one element at a time) and a panel of B (two vector loads per step) stream through.
/// 12 accumulators + 2 B vectors + 1 broadcast fill 15 of the 16 YMM registers. Where AVX-512 is present the same
/// block is six 512-bit registers (<see cref="Tile512{T}"/>), with the same panels, so packing is the same.
/// </summary>
// stack buffers are not cleared: clearing one is a call, across which the JIT keeps the sums in memory, not registers
[SkipLocalsInit]
internal static unsafe class GemmMicroKernel
{
    /// <summary>Rows of C in one tile.</summary>
    public const int Rows = 6;

    /// <summary>Columns of C in one tile: two vectors.</summary>
    public static int Columns<T>() => 2 * Vector256<T>.Count;

    /// <summary>Whether the processor has the instructions this kernel needs.</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// Computes one tile: C[r, j] = alpha·Σp A(r, p)·B(p, j) + beta·C[r, j] for r &lt; <paramref name="rows"/> (≤
    /// 6) and j &lt; <paramref name="columns"/> (≤ two vectors); C is not read when beta is 0. A(r, p) is at
    /// <c>a[r·aRow + p·aStep]</c>; row p of B starts at <c>b + p·bStep</c>. A and B must be readable for the whole
    /// 6 × (two vectors) tile (packing pads them with zeros); only the part inside C is stored, with masked
    /// stores at a ragged edge, and with the same arithmetic everywhere, so an element's bits never depend on
    /// which tile it fell in.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<T>(int k, T* a, nint aRow, nint aStep, T* b, nint bStep, T* c, nint ldc, T alpha, T beta,
        int rows, int columns) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count;
        if (k >= 32)
        {
            // C is touched once per slice of k, after a long stretch of arithmetic: ask for its lines now so the
            // final loads and stores do not wait on memory.
            for (int r = 0; r < rows; r++)
            {
                Sse.Prefetch0(c + r * ldc);
                Sse.Prefetch0(c + r * ldc + 2 * w - 1);
            }
        }
        if (Vector512.IsHardwareAccelerated && rows == Rows && columns == 2 * w)
        {
            Tile512(k, a, aRow, aStep, b, bStep, c, ldc, alpha, beta);
            return;
        }
        if (rows <= 4)
        {
            ShortTile(k, a, aRow, aStep, b, bStep, c, ldc, alpha, beta, rows, columns);
            return;
        }
        nint a2 = 2 * aRow, a3 = 3 * aRow, a4 = 4 * aRow, a5 = 5 * aRow;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + w);
            var x = Vector256.Create(a[0]);
            c00 = MulAdd(x, b0, c00); c01 = MulAdd(x, b1, c01);
            x = Vector256.Create(a[aRow]);
            c10 = MulAdd(x, b0, c10); c11 = MulAdd(x, b1, c11);
            x = Vector256.Create(a[a2]);
            c20 = MulAdd(x, b0, c20); c21 = MulAdd(x, b1, c21);
            x = Vector256.Create(a[a3]);
            c30 = MulAdd(x, b0, c30); c31 = MulAdd(x, b1, c31);
            x = Vector256.Create(a[a4]);
            c40 = MulAdd(x, b0, c40); c41 = MulAdd(x, b1, c41);
            x = Vector256.Create(a[a5]);
            c50 = MulAdd(x, b0, c50); c51 = MulAdd(x, b1, c51);
            a += aStep;
            b += bStep;
        }
        // The sums go through the stack, as in ShortTile: held in registers into the stores below, they are spilled
        // inside the loop whenever the JIT has no profile telling it the loop is hot (then a third of the speed).
        var sums = stackalloc Vector256<T>[2 * Rows];
        sums[0] = c00; sums[1] = c01; sums[2] = c10; sums[3] = c11; sums[4] = c20; sums[5] = c21;
        sums[6] = c30; sums[7] = c31; sums[8] = c40; sums[9] = c41; sums[10] = c50; sums[11] = c51;
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        bool readC = beta != T.Zero;
        if (rows == Rows && columns == 2 * w)
        {
            for (int r = 0; r < Rows; r++) StoreRow(c + r * ldc, va, vb, readC, sums[2 * r], sums[2 * r + 1]);
            return;
        }
        // Only the vector that straddles the edge is masked: masked stores are slow on some processors.
        int lowCount = Math.Min(columns, w), highCount = columns - lowCount;
        var mask = Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(columns % w)));
        for (int r = 0; r < rows; r++)
            StoreRowPart(c + r * ldc, va, vb, readC, sums[2 * r], sums[2 * r + 1], lowCount, highCount, mask);
    }

    /// <summary>
    /// A tile of at most four rows (the last rows of a product whose row count is not a multiple of six): eight
    /// accumulators, just enough chains to keep both FMA pipes busy, so four rows take about 0.8 of the six-row tile's
    /// time instead of all of it. Each element gets the same fused multiply-adds in the same order as in the six-row
    /// tile.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ShortTile<T>(int k, T* a, nint aRow, nint aStep, T* b, nint bStep, T* c, nint ldc, T alpha,
        T beta, int rows, int columns) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count;
        nint a2 = 2 * aRow, a3 = 3 * aRow;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default;
        for (int p = 0; p < k; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + w);
            var x = Vector256.Create(a[0]);
            c00 = MulAdd(x, b0, c00); c01 = MulAdd(x, b1, c01);
            x = Vector256.Create(a[aRow]);
            c10 = MulAdd(x, b0, c10); c11 = MulAdd(x, b1, c11);
            x = Vector256.Create(a[a2]);
            c20 = MulAdd(x, b0, c20); c21 = MulAdd(x, b1, c21);
            x = Vector256.Create(a[a3]);
            c30 = MulAdd(x, b0, c30); c31 = MulAdd(x, b1, c31);
            a += aStep;
            b += bStep;
        }
        // The sums go through the stack: held in registers across the calls below, they would be spilled inside the
        // loop.
        var sums = stackalloc Vector256<T>[8];
        sums[0] = c00; sums[1] = c01; sums[2] = c10; sums[3] = c11;
        sums[4] = c20; sums[5] = c21; sums[6] = c30; sums[7] = c31;
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        bool readC = beta != T.Zero;
        int lowCount = Math.Min(columns, w), highCount = columns - lowCount;
        var mask = Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(columns % w)));
        for (int r = 0; r < rows; r++)
            StoreRowPart(c + r * ldc, va, vb, readC, sums[2 * r], sums[2 * r + 1], lowCount, highCount, mask);
    }

    /// <summary>
    /// The whole tile with one 512-bit vector per row, for processors with AVX-512 (the JIT drops it elsewhere): six
    /// accumulators and one load of B per step instead of twelve and two. Every lane does the same fused
    /// multiply-adds in the same order as the 256-bit tile, so C gets the same bits on either path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile512<T>(int k, T* a, nint aRow, nint aStep, T* b, nint bStep, T* c, nint ldc, T alpha,
        T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint a2 = 2 * aRow, a3 = 3 * aRow, a4 = 4 * aRow, a5 = 5 * aRow;
        Vector512<T> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        for (int p = 0; p < k; p++, a += aStep, b += bStep)
        {
            var y = Vector512.Load(b);
            c0 = MulAdd(Vector512.Create(a[0]), y, c0);
            c1 = MulAdd(Vector512.Create(a[aRow]), y, c1);
            c2 = MulAdd(Vector512.Create(a[a2]), y, c2);
            c3 = MulAdd(Vector512.Create(a[a3]), y, c3);
            c4 = MulAdd(Vector512.Create(a[a4]), y, c4);
            c5 = MulAdd(Vector512.Create(a[a5]), y, c5);
        }
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        bool readC = beta != T.Zero;
        Store512(c, va, vb, readC, c0); c += ldc;
        Store512(c, va, vb, readC, c1); c += ldc;
        Store512(c, va, vb, readC, c2); c += ldc;
        Store512(c, va, vb, readC, c3); c += ldc;
        Store512(c, va, vb, readC, c4); c += ldc;
        Store512(c, va, vb, readC, c5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512<T>(T* c, Vector512<T> alpha, Vector512<T> beta, bool readC, Vector512<T> sum)
        where T : unmanaged
    {
        if (readC) MulAdd(alpha, sum, beta * Vector512.Load(c)).Store(c);
        else (alpha * sum).Store(c);
    }

    /// <summary>
    /// <see cref="Tile{T}"/> for a tile of Cᵀ: element (r, j) of the tile goes to <c>c[j·ldc + r]</c>. The sums
    /// pass through a stack buffer and are combined with C one by one, with the same single-rounding
    /// multiply-add as the vector path.
    /// </summary>
    public static void TileTransposed<T>(int k, T* a, nint aRow, nint aStep, T* b, nint bStep, T* c, nint ldc, T alpha,
        T beta, int rows, int columns) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Columns<T>();
        T* sums = stackalloc T[Rows * 2 * Vector256<T>.Count];
        Tile(k, a, aRow, aStep, b, bStep, sums, width, T.One, T.Zero, Rows, width);
        bool readC = beta != T.Zero;
        for (int j = 0; j < columns; j++)
        {
            T* cRow = c + j * ldc;
            for (int r = 0; r < rows; r++)
                cRow[r] = readC
                    ? T.FusedMultiplyAdd(alpha, sums[r * width + j], beta * cRow[r])
                    : alpha * sums[r * width + j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T>(T* c, Vector256<T> alpha, Vector256<T> beta, bool readC, Vector256<T> low,
        Vector256<T> high)
        where T : unmanaged
    {
        int w = Vector256<T>.Count;
        if (readC)
        {
            MulAdd(alpha, low, beta * Vector256.Load(c)).Store(c);
            MulAdd(alpha, high, beta * Vector256.Load(c + w)).Store(c + w);
        }
        else
        {
            (alpha * low).Store(c);
            (alpha * high).Store(c + w);
        }
    }

    /// <summary>
    /// The first <paramref name="lowCount"/> + <paramref name="highCount"/> elements of a row at the edge of C;
    /// a vector with fewer than all its lanes inside C is stored through <paramref name="mask"/>, and lanes outside
    /// are neither read nor written.
    /// </summary>
    private static void StoreRowPart<T>(T* c, Vector256<T> alpha, Vector256<T> beta, bool readC, Vector256<T> low,
        Vector256<T> high, int lowCount, int highCount, Vector256<T> mask) where T : unmanaged
    {
        int w = Vector256<T>.Count;
        StoreVectorPart(c, alpha, beta, readC, low, lowCount, mask);
        if (highCount > 0) StoreVectorPart(c + w, alpha, beta, readC, high, highCount, mask);
    }

    private static void StoreVectorPart<T>(T* c, Vector256<T> alpha, Vector256<T> beta, bool readC, Vector256<T> sum,
        int count, Vector256<T> mask) where T : unmanaged
    {
        if (count == Vector256<T>.Count)
            (readC ? MulAdd(alpha, sum, beta * Vector256.Load(c)) : alpha * sum).Store(c);
        else
            MaskStore(c, mask, readC ? MulAdd(alpha, sum, beta * MaskLoad(c, mask)) : alpha * sum);
    }

    /// <summary>Loads the lanes of <paramref name="mask"/> (others read as zero and are never touched in
    /// memory).</summary>
    public static Vector256<T> MaskLoad<T>(T* address, Vector256<T> mask) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Avx.MaskLoad((float*)address, mask.AsSingle()).As<float, T>();
        return Avx.MaskLoad((double*)address, mask.AsDouble()).As<double, T>();
    }

    /// <summary>Stores the lanes of <paramref name="mask"/>; memory under the other lanes is left alone.</summary>
    public static void MaskStore<T>(T* address, Vector256<T> mask, Vector256<T> value) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) Avx.MaskStore((float*)address, mask.AsSingle(), value.AsSingle());
        else Avx.MaskStore((double*)address, mask.AsDouble(), value.AsDouble());
    }

    /// <summary>x·y + z with one rounding, 512 bits wide (the JIT keeps only the branch for T).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MulAdd<T>(Vector512<T> x, Vector512<T> y, Vector512<T> z) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            return Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        return Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }

    /// <summary>x·y + z with one rounding (the JIT keeps only the branch for T).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MulAdd<T>(Vector256<T> x, Vector256<T> y, Vector256<T> z) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
            return Fma.MultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        return Fma.MultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }
}
