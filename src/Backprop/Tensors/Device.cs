using Backprop.Kernels;
using Backprop.Kernels.Cpu;

namespace Backprop;

/// <summary>The kind of memory and processor a tensor lives on.</summary>
public enum DeviceType
{
    /// <summary>Main memory, computed by the managed CPU kernels.</summary>
    Cpu,
    /// <summary>An NVIDIA GPU (backend loaded on demand).</summary>
    Cuda,
}

/// <summary>Where a tensor's storage lives; it selects the backend that runs its kernels.</summary>
public readonly record struct Device(DeviceType Type, int Index = 0)
{
    /// <summary>The CPU.</summary>
    public static Device Cpu => new(DeviceType.Cpu);

    /// <summary>NVIDIA GPU number <paramref name="index"/> (needs the Backprop.Cuda package, loaded on first
    /// use).</summary>
    public static Device Cuda(int index = 0) => new(DeviceType.Cuda, index);

    /// <summary>The backend that allocates this device's memory and runs its kernels.</summary>
    internal IBackend Backend => Type == DeviceType.Cpu
        ? CpuBackend.Instance
        : Backends.Get(this) ?? Backends.Load(this);

    /// <inheritdoc/>
    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : $"cuda:{Index}";
}
