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

    // the backward pass that allocated this storage (0: made outside one, or seen by user code), and how many of
    // that pass's gradient slots hold it; the engine recycles it only when both say nothing else can reach it
    internal long pass;
    internal int engineRefs;

    /// <summary>Hands the memory back for reuse; called only by the engine on storage it proved unreachable.</summary>
    internal virtual void Recycle() { }
}

/// <summary>Storage in a managed array on the CPU.</summary>
internal sealed class CpuStorage<T>(T[] data) : Storage where T : unmanaged
{
    private static readonly DType s_dtype = DTypeExtensions.Of<T>();

    /// <summary>The elements.</summary>
    public readonly T[] Data = data;

    public override DType DType => s_dtype;
    public override Device Device => Device.Cpu;
    public override int Length => Data.Length;

    internal override void Recycle() => Kernels.Cpu.BufferPool<T>.Return(Data);
}
