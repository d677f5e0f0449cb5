using System.Numerics;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels.Cpu;

/// <summary>Batched matrix products on the CPU: one <see cref="Gemm"/> call per batch element, no copies for transposed views.</summary>
internal static class CpuMatMul
{
    public static void Run<T>(Tensor a, Tensor b, Tensor y) where T : unmanaged
    {
        int r = y.shape.Length, m = y.shape[r - 2], n = y.shape[r - 1], k = a.shape[r - 1];
        if (!Layout(a, out bool transA, out int lda)) { a = Copy(a); Layout(a, out transA, out lda); }
        if (!Layout(b, out bool transB, out int ldb)) { b = Copy(b); Layout(b, out transB, out ldb); }
        var batchShape = y.shape[..(r - 2)];
        var walk = new Walk(batchShape.Length == 0 ? [1] : batchShape, [a.offset, b.offset],
            batchShape.Length == 0 ? [0] : a.strides[..(r - 2)], batchShape.Length == 0 ? [0] : b.strides[..(r - 2)]);
        int matrix = m * n, iy = 0;
        for (int row = 0; row < walk.Rows; row++, walk.Next())
        {
            int ia = walk.Offsets[0], ib = walk.Offsets[1];
            for (int i = 0; i < walk.Inner; i++, ia += walk.InnerStrides[0], ib += walk.InnerStrides[1], iy += matrix)
            {
                if (typeof(T) == typeof(float))
                    Gemm.Sgemm(transA, transB, m, n, k, CpuBackend.Data<float>(a).AsSpan(ia), lda, CpuBackend.Data<float>(b).AsSpan(ib), ldb,
                        CpuBackend.Data<float>(y).AsSpan(iy, matrix), n);
                else
                    Gemm.Dgemm(transA, transB, m, n, k, CpuBackend.Data<double>(a).AsSpan(ia), lda, CpuBackend.Data<double>(b).AsSpan(ib), ldb,
                        CpuBackend.Data<double>(y).AsSpan(iy, matrix), n);
            }
        }
    }

    /// <summary>
    /// y = x·wᵀ + b over the rows of x: y starts as copies of the bias and one GEMM adds the product to it, or, with at
    /// most four inputs, one pass writes product and bias together.
    /// </summary>
    public static unsafe void Linear<T>(Tensor x, Tensor w, Tensor? bias, Tensor y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outFeatures = w.shape[0], inFeatures = w.shape[1], rows = y.Numel / Math.Max(outFeatures, 1);
        if (!x.IsContiguous) x = Copy(x);
        if (!Layout(w, out bool wTransposed, out int ldw)) { w = Copy(w); Layout(w, out wTransposed, out ldw); }
        var output = CpuBackend.Data<T>(y).AsSpan(0, y.Numel);
        if (bias is not null && bias.IsContiguous && rows > 0 && inFeatures is > 0 and <= GemmSkinnyKernels.ShortKLimit)
        {
            // few inputs (points in the plane): one pass writes x·wᵀ + b, with no rows of bias written first
            fixed (T* px = CpuBackend.Data<T>(x).AsSpan(x.offset), pw = CpuBackend.Data<T>(w).AsSpan(w.offset),
                   pb = CpuBackend.Data<T>(bias).AsSpan(bias.offset), py = output)
                GemmSkinnyKernels.ShortKWithBias(rows, outFeatures, inFeatures, px, inFeatures, pw,
                    wTransposed ? ldw : 1, wTransposed ? 1 : ldw, pb, py, outFeatures);
            return;
        }
        T beta = T.Zero;
        if (bias is not null && rows > 0)
        {
            ReadOnlySpan<T> b = bias.IsContiguous ? CpuBackend.Data<T>(bias).AsSpan(bias.offset, outFeatures) : Copy(bias).ToArray<T>();
            for (int r = 0; r < rows; r++) b.CopyTo(output.Slice(r * outFeatures, outFeatures));
            beta = T.One;
        }
        // w is [out, in] row-major (then op(B) = wᵀ) or the transpose of an [in, out] row-major matrix (op(B) = that matrix)
        Gemm.Multiply(false, !wTransposed, rows, outFeatures, inFeatures, CpuBackend.Data<T>(x).AsSpan(x.offset), inFeatures,
            CpuBackend.Data<T>(w).AsSpan(w.offset), ldw, output, outFeatures, T.One, beta, Threads.Count);
    }

    /// <summary>dx = g·w, dw = gᵀ·x and db = Σ rows of g, each by one kernel call straight into its output.</summary>
    public static unsafe (Tensor?, Tensor?, Tensor?) LinearBackward<T>(Tensor x, Tensor w, Tensor g, bool needDx, bool needDw, bool needDb)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outFeatures = w.shape[0], inFeatures = w.shape[1], rows = g.Numel / Math.Max(outFeatures, 1);
        if (!g.IsContiguous) g = Copy(g);
        var grad = CpuBackend.Data<T>(g).AsSpan(g.offset, g.Numel);
        Tensor? dx = null, dw = null, db = null;
        if (needDx)
        {
            if (!Layout(w, out bool wTransposed, out int ldw)) { w = Copy(w); Layout(w, out wTransposed, out ldw); }
            dx = Tensor.Uninitialized(x.shape, x.DType, x.Device);
            Gemm.Multiply(false, wTransposed, rows, inFeatures, outFeatures, grad, outFeatures, CpuBackend.Data<T>(w).AsSpan(w.offset), ldw,
                CpuBackend.Data<T>(dx).AsSpan(0, dx.Numel), inFeatures, T.One, T.Zero, Threads.Count);
        }
        if (needDw)
        {
            dw = Tensor.Uninitialized(w.shape, w.DType, w.Device);
            WeightGradient<T>(x, grad, outFeatures, inFeatures, rows, dw, T.Zero);
        }
        if (needDb)
        {
            db = Tensor.Uninitialized([outFeatures], g.DType, g.Device);
            fixed (T* rowsOfG = grad, sums = CpuBackend.Data<T>(db))
                SumRows(rowsOfG, rows, outFeatures, sums);
        }
        return (dx, dw, db);
    }

    /// <summary>weightGrad += gᵀ·x by one GEMM onto it (beta 1), for a contiguous weightGrad [out, in].</summary>
    public static void AddWeightGradient<T>(Tensor x, Tensor g, Tensor weightGrad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outFeatures = weightGrad.shape[0], inFeatures = weightGrad.shape[1], rows = g.Numel / Math.Max(outFeatures, 1);
        if (!g.IsContiguous) g = Copy(g);
        WeightGradient<T>(x, CpuBackend.Data<T>(g).AsSpan(g.offset, g.Numel), outFeatures, inFeatures, rows, weightGrad, T.One);
    }

    // dw = gᵀ·x + beta·dw over all rows, dw contiguous
    private static void WeightGradient<T>(Tensor x, ReadOnlySpan<T> grad, int outFeatures, int inFeatures, int rows, Tensor dw, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!x.IsContiguous) x = Copy(x);
        Gemm.Multiply(true, false, outFeatures, inFeatures, rows, grad, outFeatures, CpuBackend.Data<T>(x).AsSpan(x.offset), inFeatures,
            CpuBackend.Data<T>(dw).AsSpan(dw.offset, dw.Numel), inFeatures, T.One, beta, Threads.Count);
    }

    /// <summary>
    /// sums[j] = Σ over the rows of a row-major [count, width] block, each column added in row order, four vectors
    /// of columns at a time so every row is read once.
    /// </summary>
    private static unsafe void SumRows<T>(T* rows, int count, int width, T* sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count, j = 0;
        for (; j + 4 * w <= width; j += 4 * w)
        {
            Vector256<T> s0 = default, s1 = default, s2 = default, s3 = default;
            for (T* row = rows + j; row < rows + (nint)count * width; row += width)
            {
                s0 += Vector256.Load(row); s1 += Vector256.Load(row + w);
                s2 += Vector256.Load(row + 2 * w); s3 += Vector256.Load(row + 3 * w);
            }
            s0.Store(sums + j); s1.Store(sums + j + w); s2.Store(sums + j + 2 * w); s3.Store(sums + j + 3 * w);
        }
        for (; j + w <= width; j += w)
        {
            Vector256<T> s0 = default;
            for (int r = 0; r < count; r++) s0 += Vector256.Load(rows + (nint)r * width + j);
            s0.Store(sums + j);
        }
        for (; j < width; j++)
        {
            T s = T.Zero;
            for (int r = 0; r < count; r++) s += rows[(nint)r * width + j];
            sums[j] = s;
        }
    }

    /// <summary>Whether the last two dims are a row-major matrix or the transpose of one, and its leading dimension.</summary>
    private static bool Layout(Tensor x, out bool transposed, out int ld)
    {
        int r = x.shape.Length, rows = x.shape[r - 2], cols = x.shape[r - 1];
        int rs = x.strides[r - 2], cs = x.strides[r - 1];
        if ((cs == 1 || cols == 1) && (rows == 1 || rs >= cols)) { transposed = false; ld = rows == 1 ? cols : rs; return true; }
        if ((rs == 1 || rows == 1) && (cols == 1 || cs >= rows)) { transposed = true; ld = cols == 1 ? rows : cs; return true; }
        transposed = false; ld = 0;
        return false;
    }

    private static Tensor Copy(Tensor x)
    {
        var c = Tensor.Empty(x.shape, x.DType, x.Device);
        CpuBackend.Instance.Copy(x, c);
        return c;
    }
}
