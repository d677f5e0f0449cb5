using Backprop.Kernels;
using Backprop.Cuda.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace Backprop.Cuda;

// Batched matrix products: cuBLAS on a GPU, the tiled kernel elsewhere.
public sealed partial class CudaBackend
{
    /// <summary>Whether float products may use TF32 tensor cores (off by default; cuBLAS only).</summary>
    public bool AllowTf32
    {
        get => _allowTf32;
        set { _cublas?.SetTf32(value); _allowTf32 = value; }
    }
    private bool _allowTf32;

    /// <inheritdoc/>
    void IBackend.MatMul(Tensor a, Tensor b, Tensor y)
    {
        try
        {
            int r = y.shape.Length, m = y.shape[r - 2], n = y.shape[r - 1], k = a.shape[r - 1];
            if (y.Numel == 0) return;
            if (k == 0) { Self.Fill(y, 0); return; }
            var batchShape = y.shape[..(r - 2)];
            if (_cublas is null)
            {
                var (batch, ops) = Layouts.Plan(batchShape, [a.offset, b.offset], a.strides[..(r - 2)],
                    b.strides[..(r - 2)]);
                var s = new MatMulShape
                {
                    M = m, N = n, K = k, Batch = batch, ABatch = ops[0], BBatch = ops[1],
                    ARow = a.strides[r - 2], ACol = a.strides[r - 1], BRow = b.strides[r - 2], BCol = b.strides[r - 1],
                };
                const int tile = MatMulKernel.Tile;
                var config = new KernelConfig(
                    new Index3D((n + tile - 1) / tile, (m + tile - 1) / tile, Shapes.Numel(batchShape)),
                    new Index3D(tile, tile, 1));
                if (y.DType == DType.Float32) _float.MatMul.Value(config, View<float>(a), View<float>(b),
                    View<float>(y), s);
                else _double.MatMul.Value(config, View<double>(a), View<double>(b), View<double>(y), s);
                return;
            }
            if (!Layout(a, out bool transA, out int lda)) { a = Contiguous(a); Layout(a, out transA, out lda); }
            if (!Layout(b, out bool transB, out int ldb)) { b = Contiguous(b); Layout(b, out transB, out ldb); }
            CublasBatches(a, b, y, batchShape, m, n, k, transA, lda, transB, ldb);
        }
        finally { GC.KeepAlive(a); GC.KeepAlive(b); GC.KeepAlive(y); }
    }

    // The batch dims merge into as few as possible; the innermost becomes one strided-batched call, the rest a host
    // loop.
    private void CublasBatches(Tensor a, Tensor b, Tensor y, int[] batchShape, int m, int n, int k, bool transA,
        int lda, bool transB, int ldb)
    {
        int r = y.shape.Length;
        var (batch, ops) = Layouts.Plan(batchShape, [a.offset, b.offset], a.strides[..(r - 2)], b.strides[..(r - 2)]);
        int inner = batch.Rank == 0 ? 1 : batch[batch.Rank - 1];
        long strideA = batch.Rank == 0 ? 0 : ops[0].Strides[batch.Rank - 1],
            strideB = batch.Rank == 0 ? 0 : ops[1].Strides[batch.Rank - 1];
        int outer = Shapes.Numel(batchShape) / inner;
        var (sa, sb, sy) = ((CudaStorage)a.storage, (CudaStorage)b.storage, (CudaStorage)y.storage);
        bool isDouble = y.DType == DType.Float64;
        for (int o = 0; o < outer; o++)
        {
            // an outer index addresses the batch position o·inner of the full layout
            int ia = ops[0].At(o * inner, batch), ib = ops[1].At(o * inner, batch);
            _cublas!.Gemm(isDouble, transA, transB, m, n, k, sa.Address(ia), lda, strideA, sb.Address(ib), ldb, strideB,
                sy.Address(y.offset + o * inner * m * n), (long)m * n, inner);
        }
    }

    /// <summary>y = a·b for contiguous 2-D operands straight through cuBLAS, bypassing every check: the benchmark's
    /// baseline.</summary>
    internal void DirectGemm(Tensor a, Tensor b, Tensor y)
    {
        int m = a.shape[0], k = a.shape[1], n = b.shape[1];
        _cublas!.Gemm(y.DType == DType.Float64, false, false, m, n, k, ((CudaStorage)a.storage).Address(a.offset), k, 0,
            ((CudaStorage)b.storage).Address(b.offset), n, 0, ((CudaStorage)y.storage).Address(y.offset), 0, 1);
    }

    /// <summary>Whether the last two dims are a row-major matrix or the transpose of one, and its leading
    /// dimension.</summary>
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
        transposed = false;
        ld = 0;
        return false;
    }
}
