using System.Numerics;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// General matrix products on row-major spans: C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ.
/// A is m×k after op (stored k×m when transposed), B is k×n after op; lda, ldb, ldc are row strides.
/// C must not overlap A or B. When beta is 0, C is only written, so it may hold anything (even NaN).
/// Products use up to <see cref="Threads.Count"/> threads; the result bits do not depend on the thread count.
/// </summary>
internal static class Gemm
{
    /// <summary>Single precision C = alpha·op(A)·op(B) + beta·C.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or a stride is shorter than its
    /// row.</exception>
    /// <exception cref="ArgumentException">A span is too short for its matrix.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        float alpha = 1f, float beta = 0f) =>
        Multiply(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, alpha, beta, Threads.Count);

    /// <summary>Double precision C = alpha·op(A)·op(B) + beta·C.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative or a stride is shorter than its
    /// row.</exception>
    /// <exception cref="ArgumentException">A span is too short for its matrix.</exception>
    public static void Dgemm(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, Span<double> c, int ldc,
        double alpha = 1, double beta = 0) =>
        Multiply(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, alpha, beta, Threads.Count);

    /// <summary>
    /// The product on at most <paramref name="threads"/> threads (the public entry points pass
    /// <see cref="Threads.Count"/>), with <paramref name="epilogue"/> applied to C's elements once they are whole.
    /// </summary>
    internal static unsafe void Multiply<T>(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, T alpha, T beta, int threads,
        GemmEpilogue<T> epilogue = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckOperands(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        fixed (T* pa = a, pb = b, pc = c)
        {
            if (k > 0 && GemmMicroKernel.IsSupported)
            {
                GemmBlocked.Multiply(transA, transB, m, n, k, pa, lda, pb, ldb, pc, ldc, alpha, beta, threads,
                    epilogue);
                return;
            }
            if (k == 0) ScaleRows(m, n, c, ldc, beta);
            else GemmReference.Multiply(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, alpha, beta);
            if (!epilogue.IsNone) epilogue.Apply(pc, ldc, 0, m, 0, n);
        }
    }

    /// <summary>
    /// A batch of products of one shape: item s reads A from <c>s·aBatch</c> and B from <c>s·bBatch</c> and writes C
    /// at <c>s·cBatch</c>, or, with <paramref name="sumBatch"/>, all items add into one C (beta scales it once).
    /// Strides of 0 share an operand. Items never split the sum over k, so the bits do not depend on the thread count.
    /// <paramref name="epilogue"/> finishes each item's C (the one C of a summed batch, after its last item).
    /// </summary>
    internal static unsafe void MultiplyBatch<T>(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, int aBatch, ReadOnlySpan<T> b, int ldb, int bBatch, Span<T> c, int ldc, int cBatch,
        int batch, bool sumBatch, T alpha, T beta, int threads, GemmEpilogue<T> epilogue = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(aBatch);
        ArgumentOutOfRangeException.ThrowIfNegative(bBatch);
        ArgumentOutOfRangeException.ThrowIfNegative(cBatch);
        // the last item reaches furthest into each operand; an empty batch reads neither A nor B (a convolution of no
        // images passes strides that span no item), and writes C only when it is a summed one (C = beta·C)
        long last = Math.Max(batch - 1, 0);
        CheckOperands(transA, transB, m, n, k, Remaining(a.Length, last * aBatch), lda,
            Remaining(b.Length, last * bBatch), ldb,
            Remaining(c.Length, sumBatch ? 0 : last * cBatch), ldc, readsAB: batch > 0, writesC: batch > 0 || sumBatch);
        if (m == 0 || n == 0 || (batch == 0 && !sumBatch)) return;
        fixed (T* pa = a, pb = b, pc = c)
        {
            if (k > 0 && batch > 0 && GemmMicroKernel.IsSupported)
            {
                GemmBlocked.MultiplyBatch(transA, transB, m, n, k, pa, lda, aBatch, pb, ldb, bBatch, pc, ldc,
                    sumBatch ? 0 : cBatch, batch, sumBatch, alpha, beta, threads, epilogue);
                return;
            }
            int outputs = sumBatch ? 1 : batch;
            if (k == 0 || batch == 0)
                for (int s = 0; s < outputs; s++) ScaleRows(m, n, c[(s * cBatch)..], ldc, beta);
            else
                for (int s = 0; s < batch; s++)
                    GemmReference.Multiply(transA, transB, m, n, k, a[(s * aBatch)..], lda, b[(s * bBatch)..], ldb,
                        c[(sumBatch ? 0 : s * cBatch)..], ldc, alpha, sumBatch && s > 0 ? T.One : beta);
            if (!epilogue.IsNone)
                for (int s = 0; s < outputs; s++) epilogue.Apply(pc + (nint)s * cBatch, ldc, 0, m, 0, n);
        }
    }

    private static void CheckOperands(bool transA, bool transB, int m, int n, int k, int aLength, int lda, int bLength,
        int ldb, int cLength, int ldc, bool readsAB = true, bool writesC = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (readsAB)
        {
            CheckMatrix(transA ? k : m, transA ? m : k, lda, aLength, "a", nameof(lda));
            CheckMatrix(transB ? n : k, transB ? k : n, ldb, bLength, "b", nameof(ldb));
        }
        if (writesC) CheckMatrix(m, n, ldc, cLength, "c", nameof(ldc));
    }

    private static int Remaining(int length, long start) => (int)Math.Clamp(length - start, -1, int.MaxValue);

    private static void CheckMatrix(int rows, int columns, int stride, int length, string name, string strideName)
    {
        if (stride < columns)
            throw new ArgumentOutOfRangeException(strideName, stride,
                $"{strideName} = {stride} is shorter than a row of {name} ({columns} elements).");
        if (rows == 0 || columns == 0) return;
        long needed = (long)(rows - 1) * stride + columns;
        if (length < needed)
            throw new ArgumentException(
                $"{name} has {length} elements; a {rows}×{columns} matrix with row stride {stride} " +
                $"needs {needed}.", name);
    }

    /// <summary>C = beta·C (C cleared when beta is 0), the whole product when k is 0.</summary>
    private static void ScaleRows<T>(int m, int n, Span<T> c, int ldc, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == T.Zero) row.Clear();
            else for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }
}
