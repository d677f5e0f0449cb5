using System.Runtime.CompilerServices;

namespace Backprop;

/// <summary>A flat block of elements on one device, shared by a tensor and all of its views.</summary>
public abstract class Storage
{
    /// <summary>The element type.</summary>
    public abstract DType DType { get; }

    /// <summary>The device that owns the memory.</summary>
    public abstract Device Device { get; }

    /// <summary>Number of elements.</summary>
    public abstract int Length { get; }

    // the TensorScope that releases this storage when it ends (null: none, or something outside it refers to it)
    internal TensorScope? scope;

    // how many in-place writes the elements have had (Tensor.Version): one counter for a tensor and all its views,
    // so a write through any of them is seen by every node that saved another
    internal int version;

    /// <summary>
    /// Hands the memory back for reuse; called only on storage proven unreachable (by the backward engine) or
    /// declared so (by the TensorScope that made it). A later use of a released storage throws.
    /// </summary>
    internal virtual void Release() { }
}

/// <summary>Storage in a managed array on the CPU, reclaimed by the garbage collector with the storage.</summary>
internal class CpuStorage<T>(T[] data) : Storage where T : unmanaged
{
    private static readonly DType s_dtype = DTypeExtensions.Of<T>();
    private readonly int _length = data.Length;

    /// <summary>The elements; null once released.</summary>
    public T[]? Data = data;

    public override DType DType => s_dtype;
    public override Device Device => Device.Cpu;
    public override int Length => _length;

    // a scope's end releases its storages on the thread that made them: small arrays go to that thread's cache
    internal override void Release()
    {
        if (Data is not { } array) return;
        Data = null;
        if ((long)array.Length * Unsafe.SizeOf<T>() >= Kernels.Cpu.CpuAllocator.ScopedMinBytes)
            Kernels.Cpu.ArrayCache<T>.Mine.Return(array);
    }
}

/// <summary>
/// Storage whose array the CPU's caching allocator lent: it goes back to the cache of the thread that allocated it
/// when the storage is released or, once no reference to the storage is left, found gone by a collection.
/// </summary>
internal sealed class CachedCpuStorage<T> : CpuStorage<T> where T : unmanaged
{
    private readonly Kernels.Cpu.Loan<T> _loan;

    public CachedCpuStorage(Kernels.Cpu.Loan<T> loan) : base(loan.Array)
    {
        _loan = loan;
        loan.Bind(this);
    }

    internal override void Release()
    {
        if (Data is null) return;
        Data = null;
        _loan.Release();
    }
}
