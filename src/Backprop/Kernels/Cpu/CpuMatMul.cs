using System.Numerics;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels.Cpu;

/// <summary>Batched matrix products on the CPU: one <see cref="Gemm"/> call per batch element, no copies for transposed
/// views.</summary>
internal static class CpuMatMul
{
    public static void Run<T>(Tensor a, Tensor b, Tensor y) where T : unmanaged
    {
        int r = y.shape.Length, m = y.shape[r - 2], n = y.shape[r - 1], k = a.shape[r - 1];
        // nothing to write, or sums of no products; an empty operand's batch offsets may point past its storage
        if (y.Numel == 0) return;
        if (k == 0)
        {
            CpuBackend.Data<T>(y).AsSpan(0, y.Numel).Clear();
            return;
        }
        if (!Layout(a, out bool transA, out int lda)) { a = Copy(a); Layout(a, out transA, out lda); }
        if (!Layout(b, out bool transB, out int ldb)) { b = Copy(b); Layout(b, out transB, out ldb); }
        var batchShape = y.shape[..(r - 2)];
        int batch = y.Numel / (m * n);
        if (batch >= ParallelFor.PartsFor(Threads.Count) &&
            UniformBatch(batchShape, a.strides, b.strides, out int aStep, out int bStep))
        {
            // one batched call hands whole items to the threads (enough of them to balance), instead of every item
            // waking them
            if (typeof(T) == typeof(float))
                Gemm.MultiplyBatch(transA, transB, m, n, k, CpuBackend.Data<float>(a).AsSpan(a.offset), lda, aStep,
                    CpuBackend.Data<float>(b).AsSpan(b.offset), ldb, bStep,
                    CpuBackend.Data<float>(y).AsSpan(0, y.Numel), n, m * n, batch, false, 1f, 0f, Threads.Count);
            else
                Gemm.MultiplyBatch(transA, transB, m, n, k, CpuBackend.Data<double>(a).AsSpan(a.offset), lda, aStep,
                    CpuBackend.Data<double>(b).AsSpan(b.offset), ldb, bStep,
                    CpuBackend.Data<double>(y).AsSpan(0, y.Numel), n, m * n, batch, false, 1d, 0d, Threads.Count);
            return;
        }
        var walk = new Walk(batchShape.Length == 0 ? [1] : batchShape, [a.offset, b.offset],
            batchShape.Length == 0 ? [0] : a.strides[..(r - 2)], batchShape.Length == 0 ? [0] : b.strides[..(r - 2)]);
        int matrix = m * n, iy = 0;
        for (int row = 0; row < walk.Rows; row++, walk.Next())
        {
            int ia = walk.Offsets[0], ib = walk.Offsets[1];
            for (int i = 0; i < walk.Inner; i++, ia += walk.InnerStrides[0], ib += walk.InnerStrides[1], iy += matrix)
            {
                if (typeof(T) == typeof(float))
                    Gemm.Sgemm(transA, transB, m, n, k, CpuBackend.Data<float>(a).AsSpan(ia), lda,
                        CpuBackend.Data<float>(b).AsSpan(ib), ldb,
                        CpuBackend.Data<float>(y).AsSpan(iy, matrix), n);
                else
                    Gemm.Dgemm(transA, transB, m, n, k, CpuBackend.Data<double>(a).AsSpan(ia), lda,
                        CpuBackend.Data<double>(b).AsSpan(ib), ldb,
                        CpuBackend.Data<double>(y).AsSpan(iy, matrix), n);
            }
        }
    }

    /// <summary>
    /// y = x·wᵀ + b over the rows of x, then max(0, y) with <paramref name="relu"/>: one GEMM whose epilogue adds
    /// the bias and applies the ReLU to each finished tile, or, with at most four inputs, one pass that writes product,
    /// bias and ReLU together.
    /// </summary>
    public static unsafe void Linear<T>(Tensor x, Tensor w, Tensor? bias, Tensor y, bool relu)
        where T : unmanaged, IFloatingPointIeee754<T>
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
                    wTransposed ? ldw : 1, wTransposed ? 1 : ldw, pb, py, outFeatures, relu);
            return;
        }
        // w is [out, in] row-major (then op(B) = wᵀ) or the transpose of an [in, out] row-major matrix (op(B) = that
        // matrix); the bias and the ReLU are applied to each tile of y as its sum is finished
        ReadOnlySpan<T> b = bias is null ? default
            : bias.IsContiguous ? CpuBackend.Data<T>(bias).AsSpan(bias.offset, outFeatures) : Copy(bias).ToArray<T>();
        fixed (T* pb = b)
            Gemm.Multiply(false, !wTransposed, rows, outFeatures, inFeatures, CpuBackend.Data<T>(x).AsSpan(x.offset),
                inFeatures, CpuBackend.Data<T>(w).AsSpan(w.offset), ldw, output, outFeatures, T.One, T.Zero,
                Threads.Count, new GemmEpilogue<T>(pb, biasPerRow: false, relu));
    }

    /// <summary>b [k, n] (any 2-D layout the GEMM reads in place, else a copy) packed once for
    /// <see cref="MultiplyPrepared{T}"/>.</summary>
    public static unsafe RightOperand Prepare<T>(Tensor b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var source = Layout(b, out _, out _) ? b : Copy(b);
        Layout(source, out bool transB, out int ldb);
        fixed (T* pb = CpuBackend.Data<T>(source).AsSpan(source.offset))
            return new PackedRight<T>(b, source, new PackedMatrix<T>(transB, b.shape[0], b.shape[1], pb, ldb));
    }

    /// <summary>
    /// y = a·b (+ bias per column) for a [m, k], with b prepared by <see cref="Prepare{T}"/>: the product
    /// <see cref="Linear{T}"/> (with a bias) or <see cref="Run{T}"/> (without) computes, reading the packed b where
    /// that product would pack it, so the bits are theirs.
    /// </summary>
    public static unsafe void MultiplyPrepared<T>(Tensor a, RightOperand b, Tensor? bias, Tensor y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var prepared = (PackedRight<T>)b;
        int m = a.shape[0], k = a.shape[1], n = y.shape[1];
        if (!a.IsContiguous) a = Copy(a);
        Layout(a, out bool transA, out int lda);
        Layout(prepared.Source, out bool transB, out int ldb);
        bool shortK = bias is not null && bias.IsContiguous && m > 0 && k is > 0 and <= GemmSkinnyKernels.ShortKLimit;
        if (shortK || m == 0 || !GemmBlocked.PacksB<T>(transA, transB, m, n, k, lda, ldb))
        {
            if (bias is null) Run<T>(a, b.Tensor, y);
            else Linear<T>(a, b.Tensor.MT, bias, y, relu: false);
            return;
        }
        ReadOnlySpan<T> biasValues = bias is null ? default
            : bias.IsContiguous ? CpuBackend.Data<T>(bias).AsSpan(bias.offset, n) : Copy(bias).ToArray<T>();
        fixed (T* pa = CpuBackend.Data<T>(a).AsSpan(a.offset), pc = CpuBackend.Data<T>(y).AsSpan(y.offset, y.Numel),
               pBias = biasValues)
            GemmBlocked.MultiplyPacked(transA, m, n, k, pa, lda, prepared.Packed, pc, n, T.One, T.Zero,
                Threads.Count, new GemmEpilogue<T>(pBias, biasPerRow: false, relu: false));
    }

    /// <summary>A right operand packed once: the tensor, the layout it was packed from, and its panels.</summary>
    private sealed class PackedRight<T>(Tensor tensor, Tensor source, PackedMatrix<T> packed) : RightOperand(tensor)
        where T : unmanaged
    {
        public Tensor Source { get; } = source;
        public PackedMatrix<T> Packed { get; } = packed;
        public override void Dispose() => Packed.Dispose();
    }

    /// <summary>dz = g where y &gt; 0, else 0, and columnSums = Σ rows of dz, in one pass over g (y and dz
    /// contiguous).</summary>
    public static unsafe void ReluBackwardWithColumnSums<T>(Tensor g, Tensor y, Tensor dz, Tensor columnSums)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = columnSums.Numel, rows = dz.Numel / Math.Max(width, 1);
        if (!g.IsContiguous) g = Copy(g);
        fixed (T* pg = CpuBackend.Data<T>(g).AsSpan(g.offset), py = CpuBackend.Data<T>(y).AsSpan(y.offset),
               pz = CpuBackend.Data<T>(dz).AsSpan(dz.offset),
               sums = CpuBackend.Data<T>(columnSums).AsSpan(columnSums.offset))
            SumRows(new PassIfPositiveRows<T>(pg, py, pz), rows, width, sums);
    }

    /// <summary>dx = g·w, dw = gᵀ·x and db = Σ rows of g, each by one kernel call straight into its
    /// output.</summary>
    public static unsafe (Tensor?, Tensor?, Tensor?) LinearBackward<T>(Tensor x, Tensor w, Tensor g, bool needDx,
        bool needDw, bool needDb)
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
            Gemm.Multiply(false, wTransposed, rows, inFeatures, outFeatures, grad, outFeatures,
                CpuBackend.Data<T>(w).AsSpan(w.offset), ldw,
                CpuBackend.Data<T>(dx).AsSpan(0, dx.Numel), inFeatures, T.One, T.Zero, Threads.Count);
        }
        if (needDw)
        {
            dw = Tensor.Uninitialized(w.shape, w.DType, w.Device);
            WeightGradient<T>(x, grad, outFeatures, inFeatures, rows, dw);
        }
        if (needDb)
        {
            db = Tensor.Uninitialized([outFeatures], g.DType, g.Device);
            fixed (T* rowsOfG = grad, sums = CpuBackend.Data<T>(db))
                SumRows(new PlainRows<T>(rowsOfG), rows, outFeatures, sums);
        }
        GC.KeepAlive(g);   // its array was read after the outputs' allocations, which may run a collection
        return (dx, dw, db);
    }

    // dw = gᵀ·x over all rows, dw contiguous
    private static void WeightGradient<T>(Tensor x, ReadOnlySpan<T> grad, int outFeatures, int inFeatures, int rows,
        Tensor dw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!x.IsContiguous) x = Copy(x);
        Gemm.Multiply(true, false, outFeatures, inFeatures, rows, grad, outFeatures,
            CpuBackend.Data<T>(x).AsSpan(x.offset), inFeatures,
            CpuBackend.Data<T>(dw).AsSpan(dw.offset, dw.Numel), inFeatures, T.One, T.Zero, Threads.Count);
    }

    /// <summary>
    /// sums[j] = Σ over the rows of a row-major [count, width] block, read row after row (one stream per row, so the
    /// block is read once, in order): four rows at a time are added as (r0 + r1) + (r2 + r3) and that onto the sums,
    /// the rows left over one at a time. Every column, vector lane or not, is summed in that same order.
    /// </summary>
    private static unsafe void SumRows<T, TRows>(TRows rows, int count, int width, T* sums)
        where T : unmanaged, IFloatingPointIeee754<T> where TRows : struct, IRows<T>
    {
        int w = Vector256<T>.Count, vectorColumns = width - width % w;
        new Span<T>(sums, width).Clear();
        int r = 0;
        for (; r + 4 <= count; r += 4)
        {
            nint at = (nint)r * width, width2 = 2 * (nint)width, width3 = 3 * (nint)width;
            for (int j = 0; j < vectorColumns; j += w)
            {
                nint o = at + j;
                var four = (rows.Vector(o) + rows.Vector(o + width))
                    + (rows.Vector(o + width2) + rows.Vector(o + width3));
                (Vector256.Load(sums + j) + four).Store(sums + j);
            }
            for (int j = vectorColumns; j < width; j++)
            {
                nint o = at + j;
                sums[j] += (rows.Scalar(o) + rows.Scalar(o + width))
                    + (rows.Scalar(o + width2) + rows.Scalar(o + width3));
            }
        }
        for (; r < count; r++)
        {
            nint at = (nint)r * width;
            for (int j = 0; j < vectorColumns; j += w) (Vector256.Load(sums + j) + rows.Vector(at + j)).Store(sums + j);
            for (int j = vectorColumns; j < width; j++) sums[j] += rows.Scalar(at + j);
        }
    }

    /// <summary>What <see cref="SumRows{T, TRows}"/> adds up: the element at an offset into a [count, width]
    /// block.</summary>
    private interface IRows<T> where T : unmanaged
    {
        Vector256<T> Vector(nint at);
        T Scalar(nint at);
    }

    /// <summary>The block's own elements.</summary>
    private readonly unsafe struct PlainRows<T>(T* rows) : IRows<T> where T : unmanaged
    {
        public Vector256<T> Vector(nint at) => Vector256.Load(rows + at);
        public T Scalar(nint at) => rows[at];
    }

    /// <summary>A ReLU's backward rule on the way: g where y &gt; 0, else 0, stored into dz as it is summed.</summary>
    private readonly unsafe struct PassIfPositiveRows<T>(T* g, T* y, T* dz) : IRows<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public Vector256<T> Vector(nint at)
        {
            var passed = PassIfPositiveOp<T>.Apply(Vector256.Load(g + at), Vector256.Load(y + at));
            passed.Store(dz + at);
            return passed;
        }

        public T Scalar(nint at) => dz[at] = PassIfPositiveOp<T>.Apply(g[at], y[at]);
    }

    /// <summary>Whether the last two dims are a row-major matrix or the transpose of one, and its leading
    /// dimension.</summary>
    // whether the batch dims of both operands are one dim of uniform stride (0 for a broadcast operand): item s at
    // offset + s·step
    private static bool UniformBatch(int[] batchShape, int[] aStrides, int[] bStrides, out int aStep, out int bStep)
    {
        (aStep, bStep) = (0, 0);
        long inner = 0;   // items in the dims inside the current one, 0 before the first that is not of size 1
        for (int d = batchShape.Length - 1; d >= 0; d--)
        {
            if (batchShape[d] == 1) continue;
            if (inner == 0) (aStep, bStep, inner) = (aStrides[d], bStrides[d], 1);
            else if (aStrides[d] != aStep * inner || bStrides[d] != bStep * inner) return false;
            inner *= batchShape[d];
        }
        return aStep >= 0 && bStep >= 0;
    }

    private static bool Layout(Tensor x, out bool transposed, out int ld)
    {
        int r = x.shape.Length, rows = x.shape[r - 2], cols = x.shape[r - 1];
        int rs = x.strides[r - 2], cs = x.strides[r - 1];
        if ((cs == 1 || cols == 1) && (rows == 1 || rs >= cols))
        {
            transposed = false; ld = rows == 1 ? cols : rs; return true;
        }
        if ((rs == 1 || rows == 1) && (cols == 1 || cs >= rows))
        {
            transposed = true; ld = cols == 1 ? rows : cs; return true;
        }
        transposed = false; ld = 0;
        return false;
    }

    // a contiguous copy whose array stays valid for the kernel even after the copy's tensor is gone
    private static Tensor Copy(Tensor x)
    {
        var c = CpuBackend.Scratch(x);
        CpuBackend.Instance.Copy(x, c);
        return c;
    }
}
