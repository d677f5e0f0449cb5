using ILGPU;
using ILGPU.Runtime;

namespace Backprop.Cuda;

/// <summary>What the caching allocator holds: bytes handed out, bytes kept for reuse, and how requests were
/// served.</summary>
/// <param name="BytesInUse">Bytes in blocks that a live storage holds.</param>
/// <param name="BytesCached">Bytes in free blocks kept for reuse.</param>
/// <param name="PeakBytesInUse">The most bytes in use at once since creation.</param>
/// <param name="BlocksInUse">Blocks that a live storage holds.</param>
/// <param name="BlocksCached">Free blocks kept for reuse.</param>
/// <param name="DeviceAllocations">Requests that allocated device memory.</param>
/// <param name="CacheHits">Requests served from a free block.</param>
public readonly record struct AllocatorStats(long BytesInUse, long BytesCached, long PeakBytesInUse, int BlocksInUse,
    int BlocksCached, long DeviceAllocations, long CacheHits);

/// <summary>One block of device memory, owned by the allocator for its whole life.</summary>
internal sealed class DeviceBlock(MemoryBuffer1D<byte, Stride1D.Dense> buffer, long bytes)
{
    public readonly MemoryBuffer1D<byte, Stride1D.Dense> Buffer = buffer;
    public readonly long Bytes = bytes;
}

/// <summary>
/// Device memory cached by size, as PyTorch's caching allocator: a freed block goes to the free list of its rounded
/// size and serves the next request of that size without a device allocation. Requests round up to 512 bytes below
/// 1 MiB and to 2 MiB above, so a training step's recurring shapes find their blocks again. Every block stays
/// referenced here, so the GC never finalizes a buffer that a storage's finalizer is about to return.
/// </summary>
public sealed class CachingAllocator
{
    private const long SmallRound = 512, LargeRound = 2 << 20, SmallLimit = 1 << 20;
    private readonly Accelerator _accelerator;
    private readonly Dictionary<long, Stack<DeviceBlock>> _free = [];
    private readonly HashSet<DeviceBlock> _inUse = [];
    private long _bytesInUse, _bytesCached, _peak, _deviceAllocations, _cacheHits;
    private int _blocksCached;

    internal CachingAllocator(Accelerator accelerator) => _accelerator = accelerator;

    /// <summary>The current figures.</summary>
    public AllocatorStats Stats
    {
        get
        {
            lock (_free) return new(_bytesInUse, _bytesCached, _peak, _inUse.Count, _blocksCached, _deviceAllocations,
                _cacheHits);
        }
    }

    /// <summary>The size a request of <paramref name="bytes"/> is served with.</summary>
    public static long RoundSize(long bytes)
    {
        long unit = bytes < SmallLimit ? SmallRound : LargeRound;
        return Math.Max(unit, (bytes + unit - 1) / unit * unit);
    }

    /// <summary>
    /// A block of at least <paramref name="bytes"/>, from the cache when one of that size is free. When the device is
    /// out of memory, storages that nothing references any more are collected and the cache is emptied before retrying.
    /// </summary>
    internal DeviceBlock Rent(long bytes)
    {
        long size = RoundSize(bytes);
        lock (_free)
        {
            if (_free.TryGetValue(size, out var stack) && stack.Count > 0)
            {
                var block = stack.Pop();
                _blocksCached--;
                _bytesCached -= size;
                _cacheHits++;
                return TakeOut(block);
            }
        }
        MemoryBuffer1D<byte, Stride1D.Dense> buffer;
        try { buffer = _accelerator.Allocate1D<byte>(size); }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException)
        {
            // device memory held by unreachable tensors comes back only through their finalizers
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Trim();
            buffer = _accelerator.Allocate1D<byte>(size);
        }
        lock (_free)
        {
            _deviceAllocations++;
            return TakeOut(new DeviceBlock(buffer, size));
        }
    }

    private DeviceBlock TakeOut(DeviceBlock block)
    {
        _inUse.Add(block);
        _bytesInUse += block.Bytes;
        _peak = Math.Max(_peak, _bytesInUse);
        return block;
    }

    /// <summary>Puts a block back on its free list (called from storage finalizers, on the finalizer thread).</summary>
    internal void Return(DeviceBlock block)
    {
        lock (_free)
        {
            if (!_inUse.Remove(block)) return;
            _bytesInUse -= block.Bytes;
            if (!_free.TryGetValue(block.Bytes, out var stack)) _free[block.Bytes] = stack = new Stack<DeviceBlock>();
            stack.Push(block);
            _blocksCached++;
            _bytesCached += block.Bytes;
        }
    }

    /// <summary>Releases every cached free block to the device; blocks in use are untouched. Returns the bytes
    /// released.</summary>
    public long Trim()
    {
        List<DeviceBlock> released = [];
        lock (_free)
        {
            foreach (var stack in _free.Values) released.AddRange(stack);
            _free.Clear();
            _blocksCached = 0;
            _bytesCached = 0;
        }
        long bytes = 0;
        foreach (var block in released) { bytes += block.Bytes; block.Buffer.Dispose(); }
        return bytes;
    }
}
