using System.Runtime.InteropServices;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// The right operand op(B) [k, n] of many products, packed once into the panels the GEMM reads (a recurrent weight
/// multiplies every step's state): each product then skips packing B, which for a step's small product costs about
/// as much as its arithmetic. The memory is native and 64-byte aligned, freed by Dispose.
/// </summary>
internal sealed unsafe class PackedMatrix<T> : IDisposable where T : unmanaged
{
    /// <summary>Packs op(B), B read at <paramref name="b"/> with row stride <paramref name="ldb"/>.</summary>
    public PackedMatrix(bool transB, int k, int n, T* b, int ldb)
    {
        (K, N) = (k, n);
        int width = GemmMicroKernel.Columns<T>();
        PaddedColumns = (n + width - 1) / width * width;
        Data = (T*)NativeMemory.AlignedAlloc((nuint)Math.Max((long)k * PaddedColumns, 1) * (nuint)sizeof(T), 64);
        GemmBlocked.PackWhole(transB, k, n, b, ldb, Data, PaddedColumns);
    }

    /// <summary>The depth and width of op(B).</summary>
    public int K { get; }
    public int N { get; }

    /// <summary>The width of a packed slice of k: n rounded up to whole panels.</summary>
    public int PaddedColumns { get; }

    /// <summary>The packed panels; null once disposed.</summary>
    public T* Data { get; private set; }

    public void Dispose()
    {
        if (Data == null) return;
        NativeMemory.AlignedFree(Data);
        Data = null;
        GC.SuppressFinalize(this);
    }

    ~PackedMatrix() => Dispose();
}
