using ILGPU;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Backprop.Cuda;

/// <summary>Thrown when a CUDA device is requested but none can be used; the message says what was looked for and
/// where.</summary>
public sealed class CudaUnavailableException(string message) : Exception(message);

/// <summary>
/// Entry point of the CUDA backend: makes <c>Device.Cuda(i)</c> usable. <see cref="Initialize"/> runs by itself the
/// first time a tensor is put on a CUDA device; call it directly to choose options or to fail early.
/// </summary>
public static class Cuda
{
    private static readonly Dictionary<int, CudaBackend> s_backends = [];

    /// <summary>
    /// Opens CUDA device <paramref name="index"/> through ILGPU, loads cuBLAS, and registers the backend for
    /// <c>Device.Cuda(index)</c>. Idempotent: a second call returns the same backend. Throws
    /// <see cref="CudaUnavailableException"/> listing ILGPU's CUDA devices and the cuBLAS paths tried.
    /// </summary>
    public static CudaBackend Initialize(int index = 0)
    {
        lock (s_backends)
        {
            if (s_backends.TryGetValue(index, out var existing)) return existing;
            var context = Context.Create(b => b.Cuda().EnableAlgorithms());
            var devices = context.GetCudaDevices();
            nint library = NativeProbe.FindCublas(out var tried);
            if (index < 0 || index >= devices.Count || library == 0)
            {
                context.Dispose();
                throw new CudaUnavailableException(Explain(index, Names(devices), library != 0, tried));
            }
            Cublas.Bind(library);
            var accelerator = context.CreateCudaAccelerator(index);
            var stream = ((CudaStream)accelerator.DefaultStream).StreamPtr;
            var backend = new CudaBackend(accelerator, new Device(DeviceType.Cuda, index), new Cublas(stream));
            Backprop.Kernels.Backends.Register(backend.Device, backend);
            return s_backends[index] = backend;
        }
    }

    /// <summary>
    /// Registers ILGPU's CPU accelerator as <c>cuda:<paramref name="index"/></c>: the backend's kernels run on the CPU
    /// (slowly), matrix products through the tiled kernel instead of cuBLAS. For testing without a GPU.
    /// </summary>
    public static CudaBackend Simulate(int index)
    {
        lock (s_backends)
        {
            if (s_backends.TryGetValue(index, out var existing)) return existing;
            var context = Context.Create(b => b.CPU(CPUDeviceKind.Nvidia).EnableAlgorithms());
            var backend = new CudaBackend(context.CreateCPUAccelerator(0), new Device(DeviceType.Cuda, index),
                cublas: null);
            Backprop.Kernels.Backends.Register(backend.Device, backend);
            return s_backends[index] = backend;
        }
    }

    /// <summary>The registered backend of <paramref name="device"/>, or null.</summary>
    public static CudaBackend? Backend(Device device)
    {
        lock (s_backends) return device.Type == DeviceType.Cuda ? s_backends.GetValueOrDefault(device.Index) : null;
    }

    /// <summary>True when a CUDA device and cuBLAS are both present (initializes nothing).</summary>
    public static bool IsAvailable(out string reason)
    {
        using var context = Context.Create(b => b.Cuda());
        var devices = context.GetCudaDevices();
        bool found = NativeProbe.FindCublas(out var tried) != 0;
        reason = Explain(0, Names(devices), found, tried);
        return devices.Count > 0 && found;
    }

    private static List<string> Names(Context.DeviceCollection<CudaDevice> devices)
    {
        var names = new List<string>(devices.Count);
        foreach (var device in devices) names.Add(device.Name);
        return names;
    }

    private static string Explain(int index, List<string> devices, bool cublasFound, List<string> tried)
    {
        string deviceText = devices.Count == 0
            ? "ILGPU found no CUDA device (no NVIDIA driver, libcuda, or GPU visible to this process)"
            : $"ILGPU found {devices.Count} CUDA device(s): " +
                $"{string.Join(", ", devices.Select((d, i) => $"cuda:{i} {d}"))}";
        string cublasText = cublasFound
            ? "cuBLAS was found"
            : $"cuBLAS was not found; tried: {string.Join(", ", tried)}";
        return $"cuda:{index} was requested but cannot be used. {deviceText}. {cublasText}. " +
            $"Install the NVIDIA driver and the CUDA toolkit, or set CUDA_PATH.";
    }
}
