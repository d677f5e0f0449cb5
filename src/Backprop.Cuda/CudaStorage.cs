using ILGPU;

namespace Backprop.Cuda;

/// <summary>
/// Tensor storage in device memory. Its block returns to the caching allocator when the GC finalizes the storage,
/// that is once no tensor, view or recorded graph references it: user code never disposes tensors. The GC is told
/// how many device bytes each storage keeps alive (memory pressure), so it collects sooner when tensors are large.
/// </summary>
internal sealed class CudaStorage : Storage
{
    private readonly CachingAllocator _allocator;
    private readonly DeviceBlock _block;
    private readonly long _pressure;

    public CudaStorage(CachingAllocator allocator, Device device, DType dtype, int length)
    {
        _allocator = allocator;
        Device = device;
        DType = dtype;
        Length = length;
        _block = allocator.Rent(Math.Max(1L, (long)length * dtype.ElementSize()));
        _pressure = _block.Bytes;
        GC.AddMemoryPressure(_pressure);
    }

    ~CudaStorage()
    {
        _allocator.Return(_block);
        GC.RemoveMemoryPressure(_pressure);
    }

    public override DType DType { get; }
    public override Device Device { get; }
    public override int Length { get; }

    /// <summary>The elements as a typed view of the block.</summary>
    public ArrayView<T> View<T>() where T : unmanaged => _block.Buffer.View.AsContiguous().Cast<T>().SubView(0, Length);

    /// <summary>The storage's bytes.</summary>
    public ArrayView<byte> Bytes => _block.Buffer.View.AsContiguous().SubView(0, (long)Length * DType.ElementSize());

    /// <summary>The device address of element <paramref name="index"/>, for cuBLAS.</summary>
    public nint Address(int index) => _block.Buffer.NativePtr + (nint)((long)index * DType.ElementSize());
}
