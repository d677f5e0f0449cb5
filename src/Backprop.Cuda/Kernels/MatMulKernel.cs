using ILGPU;

namespace Backprop.Cuda.Kernels;

/// <summary>The geometry of a batched product y[b] = a[b]·b[b]: sizes, per-matrix strides and the batch
/// layout.</summary>
internal struct MatMulShape
{
    public int M, N, K;
    public int ARow, ACol, BRow, BCol;
    public Dims Batch;
    public Operand ABatch, BBatch;
}

/// <summary>
/// A shared-memory tiled matrix product for accelerators without cuBLAS (ILGPU's CPU accelerator in the tests):
/// each group computes one <see cref="Tile"/>² block of y, staging tiles of a and b through shared memory.
/// </summary>
internal static class MatMulKernel
{
    public const int Tile = 16;

    public static void Run<T, A>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, MatMulShape s)
        where T : unmanaged where A : struct, IArith<T>
    {
        var tileA = SharedMemory.Allocate<T>(Tile * Tile);
        var tileB = SharedMemory.Allocate<T>(Tile * Tile);
        var arith = default(A);
        int tx = Group.IdxX, ty = Group.IdxY;
        int col = Grid.IdxX * Tile + tx, row = Grid.IdxY * Tile + ty, batch = Grid.IdxZ;
        int aBase = s.ABatch.At(batch, s.Batch), bBase = s.BBatch.At(batch, s.Batch);
        T acc = arith.FromDouble(0);
        for (int k0 = 0; k0 < s.K; k0 += Tile)
        {
            int ka = k0 + tx, kb = k0 + ty;
            tileA[ty * Tile + tx] = row < s.M && ka < s.K ? a[aBase + row * s.ARow + ka * s.ACol] : default;
            tileB[ty * Tile + tx] = kb < s.K && col < s.N ? b[bBase + kb * s.BRow + col * s.BCol] : default;
            Group.Barrier();
            for (int k = 0; k < Tile; k++)
                acc = arith.Add(acc, arith.Binary(2, tileA[ty * Tile + k], tileB[k * Tile + tx]));
            Group.Barrier();
        }
        if (row < s.M && col < s.N) y[(batch * s.M + row) * s.N + col] = acc;
    }
}
