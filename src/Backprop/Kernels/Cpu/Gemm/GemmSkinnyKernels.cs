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
internal static unsafe partial class GemmSkinnyKernels
{
    /// <summary>
    /// C(i, j) = alpha·Σp A[i·lda + p]·B[j·ldb + p] + beta·C(i, j): dot products of rows, two rows by four
    /// columns at a time, vectorized along k. C(i, j) is <c>c[i·ldc + j]</c>, or <c>c[j·ldc + i]</c> when
    /// <paramref name="transposedC"/>.
    /// </summary>
    public static void Dots<T>(int m, int n, int k, T* a, nint lda, T* b, nint ldb, T* c, nint ldc, bool transposedC,
        T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* sums = stackalloc T[8];
        for (int i0 = 0; i0 < m; i0 += 2)
        {
            // a missing second row repeats the last real one; its sums are computed and dropped
            T* a0 = a + i0 * lda, a1 = a + Math.Min(i0 + 1, m - 1) * lda;
            for (int j0 = 0; j0 < n; j0 += 4)
            {
                int rows = Math.Min(2, m - i0), columns = Math.Min(4, n - j0);
                T* b0 = b + j0 * ldb;
                switch (columns)
                {
                    case 1: DotTile<T, One>(k, a0, a1, b0, ldb, sums); break;
                    case 2: DotTile<T, Two>(k, a0, a1, b0, ldb, sums); break;
                    case 3: DotTile<T, Three>(k, a0, a1, b0, ldb, sums); break;
                    default: DotTile<T, Four>(k, a0, a1, b0, ldb, sums); break;
                }
                if (!transposedC)
                {
                    for (int r = 0; r < rows; r++)
                        CombineRow(alpha, sums + r * 4, beta, c + (i0 + r) * ldc + j0, columns);
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

    /// <summary>Two rows of A against <typeparamref name="TColumns"/> rows of B (at b, b + ldb, …): sums[r·4 +
    /// j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotTile<T, TColumns>(int k, T* a0, T* a1, T* b0, nint ldb, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T> where TColumns : ICount
    {
        int w = Vector256<T>.Count, p = 0, columns = TColumns.Value;
        T* b1 = b0 + ldb, b2 = b0 + 2 * ldb, b3 = b0 + 3 * ldb;
        Vector256<T> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default,
            s12 = default, s13 = default;
        for (; p <= k - w; p += w)
        {
            var y0 = Vector256.Load(b0 + p);
            var y1 = columns > 1 ? Vector256.Load(b1 + p) : default;
            var y2 = columns > 2 ? Vector256.Load(b2 + p) : default;
            var y3 = columns > 3 ? Vector256.Load(b3 + p) : default;
            MulAddRow<T, TColumns>(Vector256.Load(a0 + p), y0, y1, y2, y3, ref s00, ref s01, ref s02, ref s03);
            MulAddRow<T, TColumns>(Vector256.Load(a1 + p), y0, y1, y2, y3, ref s10, ref s11, ref s12, ref s13);
        }
        if (p < k)
        {
            // the ragged end of k is read through a mask, as zeros
            var mask = Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(k - p)));
            var y0 = GemmMicroKernel.MaskLoad(b0 + p, mask);
            var y1 = columns > 1 ? GemmMicroKernel.MaskLoad(b1 + p, mask) : default;
            var y2 = columns > 2 ? GemmMicroKernel.MaskLoad(b2 + p, mask) : default;
            var y3 = columns > 3 ? GemmMicroKernel.MaskLoad(b3 + p, mask) : default;
            MulAddRow<T, TColumns>(GemmMicroKernel.MaskLoad(a0 + p, mask), y0, y1, y2, y3, ref s00, ref s01, ref s02,
                ref s03);
            MulAddRow<T, TColumns>(GemmMicroKernel.MaskLoad(a1 + p, mask), y0, y1, y2, y3, ref s10, ref s11, ref s12,
                ref s13);
        }
        // each column's lane sum depends on its own accumulator only, so the unused ones (zero) change no bits
        StoreSums(s00, s01, s02, s03, sums);
        StoreSums(s10, s11, s12, s13, sums + 4);
    }

    /// <summary>
    /// One row's accumulators s_j += x·y_j for the first <typeparamref name="TVectors"/> of four vectors (the others
    /// are left alone): the dot-product tile's step (x a run of a row of A, y_j the same run of row j of B) and the
    /// few-row tile's (x a vector of B, y_r row r's broadcast element of A).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MulAddRow<T, TVectors>(Vector256<T> x, Vector256<T> y0, Vector256<T> y1, Vector256<T> y2,
        Vector256<T> y3, ref Vector256<T> s0, ref Vector256<T> s1, ref Vector256<T> s2, ref Vector256<T> s3)
        where T : unmanaged where TVectors : ICount
    {
        s0 = GemmMicroKernel.MulAdd(x, y0, s0);
        if (TVectors.Value > 1) s1 = GemmMicroKernel.MulAdd(x, y1, s1);
        if (TVectors.Value > 2) s2 = GemmMicroKernel.MulAdd(x, y2, s2);
        if (TVectors.Value > 3) s3 = GemmMicroKernel.MulAdd(x, y3, s3);
    }

    // the lane sums of four accumulators, by pairwise horizontal adds (fewer steps than four separate sums)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSums<T>(Vector256<T> v0, Vector256<T> v1, Vector256<T> v2, Vector256<T> v3, T* sums)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            var h = Avx.HorizontalAdd(Avx.HorizontalAdd(v0.AsSingle(), v1.AsSingle()),
                Avx.HorizontalAdd(v2.AsSingle(), v3.AsSingle()));
            (h.GetLower() + h.GetUpper()).Store((float*)sums);
            return;
        }
        var h01 = Avx.HorizontalAdd(v0.AsDouble(), v1.AsDouble());
        var h23 = Avx.HorizontalAdd(v2.AsDouble(), v3.AsDouble());
        (h01.GetLower() + h01.GetUpper()).Store((double*)sums);
        (h23.GetLower() + h23.GetUpper()).Store((double*)sums + 2);
    }

    // Combine on four neighbours of a row of C at once, with the same arithmetic as one at a time; a shorter run
    // goes one by one (a masked store costs more than the few scalar ones it saves)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CombineRow<T>(T alpha, T* sums, T beta, T* c, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (count < 4)
        {
            for (int j = 0; j < count; j++) c[j] = Combine(alpha, sums[j], beta, c[j]);
            return;
        }
        if (typeof(T) == typeof(float))
        {
            var sum = Vector128.Load((float*)sums);
            var a = Vector128.Create((float)(object)alpha);
            var value = beta == T.Zero ? sum * a : Fma.MultiplyAdd(sum, a,
                Vector128.Load((float*)c) * (float)(object)beta);
            value.Store((float*)c);
            return;
        }
        var d = Vector256.Load((double*)sums);
        var da = Vector256.Create((double)(object)alpha);
        var dv = beta == T.Zero ? d * da : Fma.MultiplyAdd(d, da, Vector256.Load((double*)c) * (double)(object)beta);
        dv.Store((double*)c);
    }

    // alpha·sum + beta·c with the register tile's rounding (one fused multiply-add), C unread when beta is 0
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Combine<T>(T alpha, T sum, T beta, T c) where T : unmanaged, IFloatingPointIeee754<T> =>
        beta == T.Zero ? alpha * sum : T.FusedMultiplyAdd(alpha, sum, beta * c);
}
