namespace Backprop.Kernels.Cpu;

/// <summary>
/// General matrix products on row-major spans: C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ.
/// A is m×k after op (stored k×m when transposed), B is k×n after op; lda, ldb, ldc are row strides.
/// </summary>
public static class Gemm
{
    /// <summary>Single precision C = alpha·op(A)·op(B) + beta·C.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        float alpha = 1f, float beta = 0f)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0f) row.Clear(); else if (beta != 1f) for (int j = 0; j < n; j++) row[j] *= beta;
            for (int p = 0; p < k; p++)
            {
                float aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                if (aip == 0f) continue;
                if (transB) for (int j = 0; j < n; j++) row[j] += aip * b[j * ldb + p];
                else
                {
                    var brow = b.Slice(p * ldb, n);
                    for (int j = 0; j < n; j++) row[j] += aip * brow[j];
                }
            }
        }
    }

    /// <summary>Double precision C = alpha·op(A)·op(B) + beta·C.</summary>
    public static void Dgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, Span<double> c, int ldc,
        double alpha = 1, double beta = 0)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0) row.Clear(); else if (beta != 1) for (int j = 0; j < n; j++) row[j] *= beta;
            for (int p = 0; p < k; p++)
            {
                double aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                if (aip == 0) continue;
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
