using System.Numerics;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// The plain row-by-row product C = alpha·op(A)·op(B) + beta·C: the fallback on processors without AVX2 and FMA,
/// and a second opinion for tests. Arguments are assumed already checked by <see cref="Gemm"/>.
/// </summary>
internal static class GemmReference
{
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, T alpha, T beta)
        where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == T.Zero) row.Clear();
            else if (beta != T.One) for (int j = 0; j < n; j++) row[j] *= beta;
            for (int p = 0; p < k; p++)
            {
                T aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                if (aip == T.Zero) continue;
                if (transB) for (int j = 0; j < n; j++) row[j] += aip * b[j * ldb + p];
                else
                {
                    var brow = b.Slice(p * ldb, n);
                    for (int j = 0; j < n; j++) row[j] += aip * brow[j];
                }
            }
        }
    }
}
