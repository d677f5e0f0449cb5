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
    /// C(i, j) = alpha·Σp A[i·lda + p]·B[j·ldb + p] + beta·C(i, j): dot products of rows, two rows by four columns at a
    /// time, vectorized along k. C(i, j) is <c>c[i·ldc + j]</c>, or <c>c[j·ldc + i]</c> when <paramref name="transposedC"/>.
    /// </summary>
    public static void Dots<T>(int m, int n, int k, T* a, nint lda, T* b, nint ldb, T* c, nint ldc, bool transposedC, T alpha, T beta)
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

    /// <summary>Two rows of A against <typeparamref name="TColumns"/> rows of B (at b, b + ldb, …): sums[r·4 + j].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DotTile<T, TColumns>(int k, T* a0, T* a1, T* b0, nint ldb, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T> where TColumns : ICount
    {
        int w = Vector256<T>.Count, p = 0, columns = TColumns.Value;
        T* b1 = b0 + ldb, b2 = b0 + 2 * ldb, b3 = b0 + 3 * ldb;
        Vector256<T> s00 = default, s01 = default, s02 = default, s03 = default, s10 = default, s11 = default, s12 = default, s13 = default;
        for (; p <= k - w; p += w)
        {
            var x0 = Vector256.Load(a0 + p);
            var x1 = Vector256.Load(a1 + p);
            var y = Vector256.Load(b0 + p);
            s00 = GemmMicroKernel.MulAdd(x0, y, s00); s10 = GemmMicroKernel.MulAdd(x1, y, s10);
            if (columns > 1)
            {
                y = Vector256.Load(b1 + p);
                s01 = GemmMicroKernel.MulAdd(x0, y, s01); s11 = GemmMicroKernel.MulAdd(x1, y, s11);
            }
            if (columns > 2)
            {
                y = Vector256.Load(b2 + p);
                s02 = GemmMicroKernel.MulAdd(x0, y, s02); s12 = GemmMicroKernel.MulAdd(x1, y, s12);
            }
            if (columns > 3)
            {
                y = Vector256.Load(b3 + p);
                s03 = GemmMicroKernel.MulAdd(x0, y, s03); s13 = GemmMicroKernel.MulAdd(x1, y, s13);
            }
        }
        if (p < k)
        {
            // the ragged end of k is read through a mask, as zeros
            var mask = Vector256.LessThan(Vector256<T>.Indices, Vector256.Create(T.CreateTruncating(k - p)));
            var x0 = GemmMicroKernel.MaskLoad(a0 + p, mask);
            var x1 = GemmMicroKernel.MaskLoad(a1 + p, mask);
            var y = GemmMicroKernel.MaskLoad(b0 + p, mask);
            s00 = GemmMicroKernel.MulAdd(x0, y, s00); s10 = GemmMicroKernel.MulAdd(x1, y, s10);
            if (columns > 1)
            {
                y = GemmMicroKernel.MaskLoad(b1 + p, mask);
                s01 = GemmMicroKernel.MulAdd(x0, y, s01); s11 = GemmMicroKernel.MulAdd(x1, y, s11);
            }
            if (columns > 2)
            {
                y = GemmMicroKernel.MaskLoad(b2 + p, mask);
                s02 = GemmMicroKernel.MulAdd(x0, y, s02); s12 = GemmMicroKernel.MulAdd(x1, y, s12);
            }
            if (columns > 3)
            {
                y = GemmMicroKernel.MaskLoad(b3 + p, mask);
                s03 = GemmMicroKernel.MulAdd(x0, y, s03); s13 = GemmMicroKernel.MulAdd(x1, y, s13);
            }
        }
        // each column's lane sum depends on its own accumulator only, so the unused ones (zero) change no bits
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

    /// <summary>A small count as a type: the JIT compiles one loop per count, with no test of it left inside.</summary>
    private interface ICount { static abstract int Value { get; } }
    private struct One : ICount { public static int Value => 1; }
    private struct Two : ICount { public static int Value => 2; }
    private struct Three : ICount { public static int Value => 3; }
    private struct Four : ICount { public static int Value => 4; }

    // Combine on four neighbours of a row of C at once, with the same arithmetic as one at a time; a shorter run
    // goes one by one (a masked store costs more than the few scalar ones it saves)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CombineRow<T>(T alpha, T* sums, T beta, T* c, int count) where T : unmanaged, IFloatingPointIeee754<T>
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
            var value = beta == T.Zero ? sum * a : Fma.MultiplyAdd(sum, a, Vector128.Load((float*)c) * (float)(object)beta);
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
