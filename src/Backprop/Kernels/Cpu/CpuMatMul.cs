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
    /// sums[j] = Σ over the rows of a row-major [count, width] block: four vectors of columns per pass over the rows,
    /// then single vectors, the last one overlapping the vector before it rather than falling back to scalars. Every
    /// column is summed the same way wherever it falls (even rows and odd rows apart, then added), so an overlapped
    /// column gets the same bits twice; the two partial sums halve the chain of dependent adds.
    /// </summary>
    private static unsafe void SumRows<T>(T* rows, int count, int width, T* sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count, j = 0;
        for (; j + 4 * w <= width; j += 4 * w) SumFourVectors(rows + j, count, width, sums + j);
        if (width < w)
        {
            for (; j < width; j++) sums[j] = SumColumn(rows + j, count, width);
            return;
        }
        for (; j + w <= width; j += w) SumVector(rows + j, count, width, sums + j);
        if (j < width) SumVector(rows + width - w, count, width, sums + width - w);
    }

    private static unsafe void SumFourVectors<T>(T* column, int count, nint width, T* sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = Vector256<T>.Count, r = 0;
        Vector256<T> e0 = default, e1 = default, e2 = default, e3 = default, o0 = default, o1 = default, o2 = default, o3 = default;
        for (T* row = column; r + 1 < count; r += 2, row += 2 * width)
        {
            e0 += Vector256.Load(row); e1 += Vector256.Load(row + w);
            e2 += Vector256.Load(row + 2 * w); e3 += Vector256.Load(row + 3 * w);
            T* odd = row + width;
            o0 += Vector256.Load(odd); o1 += Vector256.Load(odd + w);
            o2 += Vector256.Load(odd + 2 * w); o3 += Vector256.Load(odd + 3 * w);
        }
        if (r < count)
        {
            T* last = column + r * width;
            e0 += Vector256.Load(last); e1 += Vector256.Load(last + w);
            e2 += Vector256.Load(last + 2 * w); e3 += Vector256.Load(last + 3 * w);
        }
        (e0 + o0).Store(sums); (e1 + o1).Store(sums + w); (e2 + o2).Store(sums + 2 * w); (e3 + o3).Store(sums + 3 * w);
    }

    private static unsafe void SumVector<T>(T* column, int count, nint width, T* sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector256<T> even = default, odd = default;
        int r = 0;
        for (T* row = column; r + 1 < count; r += 2, row += 2 * width)
        {
            even += Vector256.Load(row);
            odd += Vector256.Load(row + width);
        }
        if (r < count) even += Vector256.Load(column + r * width);
        (even + odd).Store(sums);
    }

    private static unsafe T SumColumn<T>(T* column, int count, nint width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T even = T.Zero, odd = T.Zero;
        int r = 0;
        for (T* row = column; r + 1 < count; r += 2, row += 2 * width)
        {
            even += row[0];
            odd += row[width];
        }
        if (r < count) even += column[r * width];
        return even + odd;
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
