using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// Products whose C is too thin for the 6 × 16 register tile, which would leave most of its lanes or rows idle:
/// a few columns with both operands contiguous along k (a classifier's x·Wᵀ), a few rows (a small layer's
/// weight gradient), and a short k (a layer on 2-D points), where the tile's cost is all in loading and storing C.
/// Each element of C is summed in the same order wherever it falls, so which tile computes it never changes its bits.
/// </summary>
internal static unsafe class GemmSkinnyKernels
{
    /// <summary>The most rows <see cref="FewRows{T}"/> computes at once.</summary>
    public const int FewRowsLimit = 3;

    /// <summary>
    /// C(i, j) = alpha·Σp A[i·lda + p]·B[j·ldb + p] + beta·C(i, j): dot products of rows, two rows by four columns at a
    /// time, vectorized along k. C(i, j) is <c>c[i·ldc + j]</c>, or <c>c[j·ldc + i]</c> when <paramref name="transposedC"/>.
    /// </summary>
    public static void Dots<T>(int m, int n, int k, T* a, nint lda, T* b, nint ldb, T* c, nint ldc, bool transposedC, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* sums = stackalloc T[8];
        for (int i0 = 0; i0 < m; i0 += 2)
        {
            // a missing second row or column repeats the last real one; its sums are computed and dropped
            T* a0 = a + i0 * lda, a1 = a + Math.Min(i0 + 1, m - 1) * lda;
            for (int j0 = 0; j0 < n; j0 += 4)
            {
                T* b0 = b + j0 * ldb;
                T* b1 = b + Math.Min(j0 + 1, n - 1) * ldb, b2 = b + Math.Min(j0 + 2, n - 1) * ldb, b3 = b + Math.Min(j0 + 3, n - 1) * ldb;
                DotTile(k, a0, a1, b0, b1, b2, b3, sums);
                int rows = Math.Min(2, m - i0), columns = Math.Min(4, n - j0);
                if (!transposedC)
                {
                    for (int r = 0; r < rows; r++) CombineRow(alpha, sums + r * 4, beta, c + (i0 + r) * ldc + j0, columns);
                    continue;
                }
                for (int r = 0; r < rows; r++)
                    for (int j = 0; j < columns; j++)
                    {
                        T* target = c + (j0 + j) * ldc + i0 + r;
                        *target = Combine(alpha, sums[r * 4 + j], beta, *target);
                    }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotTile<T>(int k, T* a0, T* a1, T* b0, T* b1, T* b2, T* b3, T* sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count, p = 0;
        Vector256<T> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
        for (; p <= k - w; p += w)
        {
            var x0 = Vector256.Load(a0 + p);
            var x1 = Vector256.Load(a1 + p);
            var y = Vector256.Load(b0 + p);
            s00 = GemmMicroKernel.MulAdd(x0, y, s00); s10 = GemmMicroKernel.MulAdd(x1, y, s10);
            y = Vector256.Load(b1 + p);
            s01 = GemmMicroKernel.MulAdd(x0, y, s01); s11 = GemmMicroKernel.MulAdd(x1, y, s11);
            y = Vector256.Load(b2 + p);
            s02 = GemmMicroKernel.MulAdd(x0, y, s02); s12 = GemmMicroKernel.MulAdd(x1, y, s12);
            y = Vector256.Load(b3 + p);
            s03 = GemmMicroKernel.MulAdd(x0, y, s03); s13 = GemmMicroKernel.MulAdd(x1, y, s13);
        }
        if (p < k)
        {
            // the ragged end of k is read through a mask, as zeros
            var mask = Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(k - p)));
            var x0 = GemmMicroKernel.MaskLoad(a0 + p, mask);
            var x1 = GemmMicroKernel.MaskLoad(a1 + p, mask);
            var y = GemmMicroKernel.MaskLoad(b0 + p, mask);
            s00 = GemmMicroKernel.MulAdd(x0, y, s00); s10 = GemmMicroKernel.MulAdd(x1, y, s10);
            y = GemmMicroKernel.MaskLoad(b1 + p, mask);
            s01 = GemmMicroKernel.MulAdd(x0, y, s01); s11 = GemmMicroKernel.MulAdd(x1, y, s11);
            y = GemmMicroKernel.MaskLoad(b2 + p, mask);
            s02 = GemmMicroKernel.MulAdd(x0, y, s02); s12 = GemmMicroKernel.MulAdd(x1, y, s12);
            y = GemmMicroKernel.MaskLoad(b3 + p, mask);
            s03 = GemmMicroKernel.MulAdd(x0, y, s03); s13 = GemmMicroKernel.MulAdd(x1, y, s13);
        }
        StoreSums(s00, s01, s02, s03, sums);
        StoreSums(s10, s11, s12, s13, sums + 4);
    }

    // the lane sums of four accumulators, by pairwise horizontal adds (fewer steps than four separate sums)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSums<T>(Vector256<T> v0, Vector256<T> v1, Vector256<T> v2, Vector256<T> v3, T* sums) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            var h = Avx.HorizontalAdd(Avx.HorizontalAdd(v0.AsSingle(), v1.AsSingle()), Avx.HorizontalAdd(v2.AsSingle(), v3.AsSingle()));
            (h.GetLower() + h.GetUpper()).Store((float*)sums);
            return;
        }
        var h01 = Avx.HorizontalAdd(v0.AsDouble(), v1.AsDouble());
        var h23 = Avx.HorizontalAdd(v2.AsDouble(), v3.AsDouble());
        (h01.GetLower() + h01.GetUpper()).Store((double*)sums);
        (h23.GetLower() + h23.GetUpper()).Store((double*)sums + 2);
    }

    /// <summary>
    /// C = alpha·A·B + beta·C for at most <see cref="FewRowsLimit"/> rows, four vectors of columns at a time: A(r, p)
    /// is <c>a[r·aRow + p·aStep]</c>, row p of B starts at <c>b + p·ldb</c> (contiguous), C as in <see cref="Dots{T}"/>.
    /// A ragged last block of columns is copied into a zero-padded panel first.
    /// </summary>
    public static void FewRows<T>(int m, int n, int k, T* a, nint aRow, nint aStep, T* b, nint ldb, T* c, nint ldc, bool transposedC,
        T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = 4 * Vector256<T>.Count;
        T* sums = stackalloc T[FewRowsLimit * 4 * Vector256<T>.Count];
        T* a1 = a + Math.Min(1, m - 1) * aRow, a2 = a + Math.Min(2, m - 1) * aRow;
        for (int j0 = 0; j0 < n; j0 += width)
        {
            int columns = Math.Min(width, n - j0);
            T* panel = b + j0;
            nint step = ldb;
            if (columns < width)
            {
                // the ragged block through masks (lanes past the edge read as zeros, never touched in B)
                panel = PackBuffers<T>.B(k * width);
                int w = Vector256<T>.Count;
                var lanes = Vector256<T>.Indices;
                Vector256<T> m0 = Vector256.LessThan(lanes, Vector256.Create(T.CreateTruncating(columns)));
                Vector256<T> m1 = Vector256.LessThan(lanes, Vector256.Create(T.CreateTruncating(columns - w)));
                Vector256<T> m2 = Vector256.LessThan(lanes, Vector256.Create(T.CreateTruncating(columns - 2 * w)));
                Vector256<T> m3 = Vector256.LessThan(lanes, Vector256.Create(T.CreateTruncating(columns - 3 * w)));
                for (int p = 0; p < k; p++)
                {
                    T* source = b + p * ldb + j0, target = panel + p * width;
                    GemmMicroKernel.MaskLoad(source, m0).Store(target);
                    GemmMicroKernel.MaskLoad(source + w, m1).Store(target + w);
                    GemmMicroKernel.MaskLoad(source + 2 * w, m2).Store(target + 2 * w);
                    GemmMicroKernel.MaskLoad(source + 3 * w, m3).Store(target + 3 * w);
                }
                step = width;
            }
            WideTile(k, a, a1, a2, aStep, panel, step, sums);
            for (int r = 0; r < m; r++)
                for (int j = 0; j < columns; j++)
                {
                    T* target = transposedC ? c + (j0 + j) * ldc + r : c + r * ldc + j0 + j;
                    *target = Combine(alpha, sums[r * width + j], beta, *target);
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WideTile<T>(int k, T* a0, T* a1, T* a2, nint aStep, T* b, nint bStep, T* sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default;
        Vector256<T> c12 = default, c13 = default, c20 = default, c21 = default, c22 = default, c23 = default;
        nint offset = 0;
        for (int p = 0; p < k; p++, offset += aStep, b += bStep)
        {
            var y0 = Vector256.Load(b);
            var y1 = Vector256.Load(b + w);
            var y2 = Vector256.Load(b + 2 * w);
            var y3 = Vector256.Load(b + 3 * w);
            var x = Vector256.Create(a0[offset]);
            c00 = GemmMicroKernel.MulAdd(x, y0, c00); c01 = GemmMicroKernel.MulAdd(x, y1, c01);
            c02 = GemmMicroKernel.MulAdd(x, y2, c02); c03 = GemmMicroKernel.MulAdd(x, y3, c03);
            x = Vector256.Create(a1[offset]);
            c10 = GemmMicroKernel.MulAdd(x, y0, c10); c11 = GemmMicroKernel.MulAdd(x, y1, c11);
            c12 = GemmMicroKernel.MulAdd(x, y2, c12); c13 = GemmMicroKernel.MulAdd(x, y3, c13);
            x = Vector256.Create(a2[offset]);
            c20 = GemmMicroKernel.MulAdd(x, y0, c20); c21 = GemmMicroKernel.MulAdd(x, y1, c21);
            c22 = GemmMicroKernel.MulAdd(x, y2, c22); c23 = GemmMicroKernel.MulAdd(x, y3, c23);
        }
        c00.Store(sums); c01.Store(sums + w); c02.Store(sums + 2 * w); c03.Store(sums + 3 * w);
        c10.Store(sums + 4 * w); c11.Store(sums + 5 * w); c12.Store(sums + 6 * w); c13.Store(sums + 7 * w);
        c20.Store(sums + 8 * w); c21.Store(sums + 9 * w); c22.Store(sums + 10 * w); c23.Store(sums + 11 * w);
    }

    /// <summary>The longest k that <see cref="ShortK{T}"/> handles.</summary>
    public const int ShortKLimit = 4;

    /// <summary>
    /// C = alpha·A·B + beta·C for k ≤ <see cref="ShortKLimit"/> in one pass over C, row by row, with the k rows of B
    /// kept in L1 (copied row-major first when B is stored transposed). A(r, p) is <c>a[r·aRow + p·aStep]</c>,
    /// B(p, j) is <c>b[p·bRow + j·bColumn]</c>. Each element is summed in the register tile's order.
    /// </summary>
    public static void ShortK<T>(int m, int n, int k, T* a, nint aRow, nint aStep, T* b, nint bRow, nint bColumn, T* c, nint ldc,
        T alpha, T beta) where T : unmanaged, IFloatingPointIeee754<T> =>
        ShortKRows(m, n, k, a, aRow, aStep, b, bRow, bColumn, c, ldc, alpha, beta, null);

    /// <summary>
    /// C = A·B + bias[j] on every row (a linear layer on few inputs), with A row-major: C is written, never read, and
    /// its bits equal those of <see cref="ShortK{T}"/> onto rows prefilled with the bias.
    /// </summary>
    public static void ShortKWithBias<T>(int m, int n, int k, T* a, nint lda, T* b, nint bRow, nint bColumn, T* bias, T* c, nint ldc)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ShortKRows(m, n, k, a, lda, 1, b, bRow, bColumn, c, ldc, T.One, T.One, bias);

    private static void ShortKRows<T>(int m, int n, int k, T* a, nint aRow, nint aStep, T* b, nint bRow, nint bColumn, T* c, nint ldc,
        T alpha, T beta, T* bias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (bColumn != 1)
        {
            T* rows = PackBuffers<T>.B(k * n);
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) rows[p * n + j] = b[p * bRow + j * bColumn];
            b = rows;
            bRow = n;
        }
        int w = Vector256<T>.Count;
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        bool readC = beta != T.Zero;
        T* b1 = b + Math.Min(1, k - 1) * bRow, b2 = b + Math.Min(2, k - 1) * bRow, b3 = b + Math.Min(3, k - 1) * bRow;
        for (int i = 0; i < m; i++, a += aRow, c += ldc)
        {
            Vector256<T> x0 = Vector256.Create(a[0]), x1 = Vector256.Create(a[Math.Min(1, k - 1) * aStep]);
            Vector256<T> x2 = Vector256.Create(a[Math.Min(2, k - 1) * aStep]), x3 = Vector256.Create(a[Math.Min(3, k - 1) * aStep]);
            int j = 0;
            for (; j <= n - w; j += w)
            {
                var sum = x0 * Vector256.Load(b + j);
                if (k > 1) sum = GemmMicroKernel.MulAdd(x1, Vector256.Load(b1 + j), sum);
                if (k > 2) sum = GemmMicroKernel.MulAdd(x2, Vector256.Load(b2 + j), sum);
                if (k > 3) sum = GemmMicroKernel.MulAdd(x3, Vector256.Load(b3 + j), sum);
                var old = bias is null ? (readC ? Vector256.Load(c + j) : default) : Vector256.Load(bias + j);
                (readC ? GemmMicroKernel.MulAdd(va, sum, vb * old) : va * sum).Store(c + j);
            }
            if (j < n)
            {
                // the ragged end of the row through a mask: lanes past it are neither read nor written
                var mask = Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(n - j)));
                var sum = x0 * GemmMicroKernel.MaskLoad(b + j, mask);
                if (k > 1) sum = GemmMicroKernel.MulAdd(x1, GemmMicroKernel.MaskLoad(b1 + j, mask), sum);
                if (k > 2) sum = GemmMicroKernel.MulAdd(x2, GemmMicroKernel.MaskLoad(b2 + j, mask), sum);
                if (k > 3) sum = GemmMicroKernel.MulAdd(x3, GemmMicroKernel.MaskLoad(b3 + j, mask), sum);
                var old = bias is null ? (readC ? GemmMicroKernel.MaskLoad(c + j, mask) : default) : GemmMicroKernel.MaskLoad(bias + j, mask);
                GemmMicroKernel.MaskStore(c + j, mask, readC ? GemmMicroKernel.MulAdd(va, sum, vb * old) : va * sum);
            }
        }
    }

    // Combine on up to four neighbours of a row of C at once, with the same arithmetic; lanes past the edge are
    // neither read nor written
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CombineRow<T>(T alpha, T* sums, T beta, T* c, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            var mask = Vector128.LessThan(Vector128<int>.Indices, Vector128.Create(count)).AsSingle();
            var sum = Vector128.Load((float*)sums);
            var a = Vector128.Create((float)(object)alpha);
            var value = beta == T.Zero ? sum * a : Fma.MultiplyAdd(sum, a, Avx.MaskLoad((float*)c, mask) * (float)(object)beta);
            Avx.MaskStore((float*)c, mask, value);
            return;
        }
        var wide = Vector256.LessThan(Vector256<long>.Indices, Vector256.Create((long)count)).AsDouble();
        var d = Vector256.Load((double*)sums);
        var da = Vector256.Create((double)(object)alpha);
        var dv = beta == T.Zero ? d * da : Fma.MultiplyAdd(d, da, Avx.MaskLoad((double*)c, wide) * (double)(object)beta);
        Avx.MaskStore((double*)c, wide, dv);
    }

    // alpha·sum + beta·c with the register tile's rounding (one fused multiply-add), C unread when beta is 0
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Combine<T>(T alpha, T sum, T beta, T c) where T : unmanaged, IFloatingPointIeee754<T> =>
        beta == T.Zero ? alpha * sum : T.FusedMultiplyAdd(alpha, sum, beta * c);
}
