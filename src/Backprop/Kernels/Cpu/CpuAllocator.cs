using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels.Cpu;

/// <summary>
/// The CPU's caching allocator, one policy for every storage: an array of at least <see cref="CachedMinBytes"/> goes
/// back to a cache, kept by exact length, when the storage holding it is released by its <see cref="TensorScope"/>
/// or found unreachable by a garbage collection, and serves the next request of that length. A loop written as in
/// PyTorch, with no scope and no Dispose, then stops allocating large arrays once warm: the large-object heap stops
/// growing, so it never triggers a full collection. Smaller arrays are plain young-generation allocations, which cost
/// less than a cache lookup.
/// </summary>
/// <remarks>
/// Each cached storage is watched through a weak handle, not a finalizer, so a dead storage is gone with the
/// collection that finds it (no object survives to be finalized, and none is promoted for it). Dead storages are
/// found only by collections, which a loop that allocates little else rarely triggers; so a request the cache
/// misses, after <see cref="CollectAfterBytes"/> were handed out since the last collection, runs a young-generation
/// collection first. Storages die young (within a step), so generation 1 is enough, and a storage alive at one such
/// collection is found at the next. Each thread has its own cache, touched by no other thread, so an array is handed
/// out again only on the thread whose code last used it; a kernel that allocates after taking an input's array keeps
/// that input alive (GC.KeepAlive) until it is done with the array.
/// </remarks>
internal static class CpuAllocator
{
    /// <summary>Arrays this large or larger are cached.</summary>
    public const int CachedMinBytes = 8 << 10;

    // small enough that the arrays a loop cycles through between collections stay in the last-level cache (a
    // larger budget collects less often but makes every kernel write memory that has left it)
    private const long CollectAfterBytes = 8 << 20;

    [ThreadStatic] private static long t_handedOut;   // bytes of cached sizes handed out since the last collection
    [ThreadStatic] private static int t_collections;  // the collection count t_handedOut was counted from
    [ThreadStatic] private static long t_newArrays;

    // A storage that outlived two young collections (an activation saved for backward) sits in generation 2, where
    // only a full collection finds it dead. A miss runs one once the thread has handed out more bytes since the last
    // than its storages held after it, and at least this many: by then some of them are likely dead.
    private const long FullCollectMinBytes = 32 << 20;

    [ThreadStatic] private static long t_handedOutSinceFull;
    [ThreadStatic] private static long t_lentAfterFull;
    [ThreadStatic] private static int t_fullCollections;

    /// <summary>Arrays of cached sizes this thread had to allocate (cache misses): flat once a loop is warm.</summary>
    internal static long NewArrays => t_newArrays;

    /// <summary>Inside a scope, arrays below <see cref="CachedMinBytes"/> are cached too, down to this size.</summary>
    public const int ScopedMinBytes = 64;

    /// <summary>
    /// Storage of <paramref name="length"/> elements, zero-filled when <paramref name="clear"/>. In a
    /// <paramref name="scoped"/> allocation (a <see cref="TensorScope"/> is open) a small array comes from the cache
    /// too, where the scope's end puts it back: a scoped loop then allocates no arrays at all.
    /// </summary>
    public static CpuStorage<T> Allocate<T>(int length, bool clear, bool scoped) where T : unmanaged
    {
        long bytes = (long)length * Unsafe.SizeOf<T>();
        if (bytes < CachedMinBytes)
        {
            var small = bytes >= ScopedMinBytes && scoped ? ArrayCache<T>.Mine.TryTake(length) : null;
            if (small is not null && clear) Array.Clear(small);
            return new CpuStorage<T>(small ?? NewArray<T>(length, clear));
        }
        var cache = ArrayCache<T>.Mine;
        if (GC.CollectionCount(0) != t_collections) { t_collections = GC.CollectionCount(0); t_handedOut = 0; }
        if (GC.CollectionCount(2) != t_fullCollections) AfterFullCollection(cache);
        t_handedOut += bytes;
        t_handedOutSinceFull += bytes;
        cache.Reclaim();
        var array = cache.TryTake(length);
        if (array is null && t_handedOut > CollectAfterBytes)
        {
            // what the loop's dead tensors hold comes back, instead of the cache growing by another step's worth
            GC.Collect(1, GCCollectionMode.Forced, blocking: true);
            t_collections = GC.CollectionCount(0);
            t_handedOut = bytes;
            cache.Reclaim();
            array = cache.TryTake(length);
        }
        if (array is null && t_handedOutSinceFull > Math.Max(t_lentAfterFull, FullCollectMinBytes))
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            AfterFullCollection(cache);
            array = cache.TryTake(length);
        }
        if (array is null)
        {
            t_newArrays++;
            array = NewArray<T>(length, clear);
        }
        else if (clear) Array.Clear(array);
        return new CachedCpuStorage<T>(cache.Lend(array));
    }
    private static void AfterFullCollection<T>(ArrayCache<T> cache) where T : unmanaged
    {
        cache.Reclaim();
        (t_fullCollections, t_handedOutSinceFull, t_lentAfterFull) = (GC.CollectionCount(2), 0, cache.LentBytes);
    }

    /// <summary>A scratch array for one kernel call, handed back with <see cref="ReturnScratch"/>.</summary>
    public static T[] RentScratch<T>(int length) where T : unmanaged =>
        (long)length * Unsafe.SizeOf<T>() < CachedMinBytes
            ? NewArray<T>(length, clear: false)
            : ArrayCache<T>.Mine.TryTake(length) ?? NewArray<T>(length, clear: false);

    /// <summary>Caches a scratch array from <see cref="RentScratch"/>; nothing may use it afterwards.</summary>
    public static void ReturnScratch<T>(T[]? array) where T : unmanaged
    {
        if (array is not null && (long)array.Length * Unsafe.SizeOf<T>() >= CachedMinBytes)
            ArrayCache<T>.Mine.Return(array);
    }

    private static T[] NewArray<T>(int length, bool clear) where T : unmanaged =>
        clear ? new T[length] : GC.AllocateUninitializedArray<T>(length);
}

/// <summary>
/// One thread's cached arrays of one element type, by exact length, and the arrays it lent to storages that are still
/// to be seen unreachable. Only its own thread touches it.
/// </summary>
internal sealed class ArrayCache<T> where T : unmanaged
{
    // beyond this the cache drops what comes back: a program whose shapes keep changing must not hoard memory
    private const long MaxCachedBytes = 1L << 30;

    [ThreadStatic] private static ArrayCache<T>? t_mine;

    private readonly Dictionary<int, Stack<T[]>> _free = [];
    private readonly List<Loan<T>> _lent = [];
    private long _cachedBytes;
    private long _lentBytes;
    private int _reclaimedAt = -1;   // the collection count at the last look at the loans

    /// <summary>The calling thread's cache.</summary>
    public static ArrayCache<T> Mine => t_mine ??= new();

    /// <summary>A cached array of exactly <paramref name="length"/> elements, or null.</summary>
    public T[]? TryTake(int length)
    {
        if (!_free.TryGetValue(length, out var stack) || !stack.TryPop(out var array)) return null;
        _cachedBytes -= (long)length * Unsafe.SizeOf<T>();
        return array;
    }

    /// <summary>Keeps <paramref name="array"/> for reuse; nothing may read or write it any more.</summary>
    public void Return(T[] array)
    {
        long bytes = (long)array.Length * Unsafe.SizeOf<T>();
        if (_cachedBytes + bytes > MaxCachedBytes) return;
        if (!_free.TryGetValue(array.Length, out var stack)) _free[array.Length] = stack = new Stack<T[]>();
        stack.Push(array);
        _cachedBytes += bytes;
    }

    /// <summary>Bytes of the arrays lent to storages and not yet back.</summary>
    public long LentBytes => _lentBytes;

    /// <summary>Lends <paramref name="array"/> to the storage that <see cref="Loan{T}.Bind"/> attaches.</summary>
    public Loan<T> Lend(T[] array)
    {
        var loan = new Loan<T>(this, array);
        _lent.Add(loan);
        _lentBytes += (long)array.Length * Unsafe.SizeOf<T>();
        return loan;
    }

    /// <summary>An array lent by <see cref="Lend"/> is back: kept for reuse as <see cref="Return"/> keeps it.</summary>
    public void ReturnLent(T[] array)
    {
        _lentBytes -= (long)array.Length * Unsafe.SizeOf<T>();
        Return(array);
    }

    /// <summary>Takes back the arrays of the storages collections found unreachable since the last look.</summary>
    public void Reclaim()
    {
        int collections = GC.CollectionCount(0);
        if (collections == _reclaimedAt) return;
        _reclaimedAt = collections;
        for (int i = _lent.Count - 1; i >= 0; i--)
        {
            var loan = _lent[i];
            if (!loan.OwnerIsGone()) continue;
            if (loan.TakeBack() is { } array) ReturnLent(array);
            _lent[i] = _lent[^1];
            _lent.RemoveAt(_lent.Count - 1);
        }
    }
}

/// <summary>
/// An array lent to one storage: the cache watches the storage through a weak handle, and takes the array back when
/// the storage is unreachable, unless the storage released it first.
/// </summary>
internal sealed class Loan<T>(ArrayCache<T> cache, T[] array) where T : unmanaged
{
    private GCHandle _owner;
    private T[]? _array = array;

    public T[] Array => _array!;

    /// <summary>Watches <paramref name="owner"/>, the storage holding the array.</summary>
    public void Bind(object owner) => _owner = GCHandle.Alloc(owner, GCHandleType.Weak);

    /// <summary>The storage releases the array early (its scope ended): back to the cache now, once.</summary>
    public void Release()
    {
        if (_array is not { } array) return;
        _array = null;
        cache.ReturnLent(array);
    }

    public bool OwnerIsGone() => _owner.Target is null;

    // the array, if the storage never released it; the handle is freed either way
    public T[]? TakeBack()
    {
        _owner.Free();
        var array = _array;
        _array = null;
        return array;
    }
}
