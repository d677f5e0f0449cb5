using Backprop.Cuda;
using Backprop.Kernels;
using Backprop.Kernels.Cpu;

namespace Backprop.Tests.Cuda;

[CollectionDefinition(Simulated.Collection)]
public class SimulatedDeviceCollection;

/// <summary>The CUDA backend on ILGPU's CPU accelerator, registered as a device index no real GPU uses, and helpers to compare it with the CPU.</summary>
internal static class Simulated
{
    /// <summary>
    /// The test classes that share the one simulated accelerator run one at a time: launched from two test threads at
    /// once, its kernels and memsets could interleave and a result read back zeros or garbage.
    /// </summary>
    public const string Collection = "Simulated device";

    public static readonly CudaBackend Backend = Backprop.Cuda.Cuda.Simulate(15);
    public static Device Gpu => Backend.Device;
    public static IBackend GpuKernels => Backend;   // the backend interface, which CudaBackend implements explicitly
    public static IBackend Cpu => CpuBackend.Instance;

    /// <summary>Seeded values in [lo, hi) as a CPU tensor of <paramref name="dtype"/> (Bool: being positive).</summary>
    public static Tensor Random(int[] shape, DType dtype, int seed, double lo = -2, double hi = 2)
    {
        var rng = new Random(seed);
        var values = new double[Shapes.Numel(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = dtype == DType.Int64 ? Math.Floor(lo + rng.NextDouble() * (hi - lo)) : lo + rng.NextDouble() * (hi - lo);
        if (dtype == DType.Bool) return Tensor.FromArray(values, shape).Gt(0);
        return dtype == DType.Int64 ? Tensor.FromArray(values.Select(v => (long)v).ToArray(), shape) : Tensor.FromArray(values, shape).To(dtype);
    }

    /// <summary>Asserts equal shapes and elements within <paramref name="tol"/>·max(1, |expected|); NaNs must match.</summary>
    public static void AssertClose(Tensor expected, Tensor actual, double tol, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.DType, actual.DType);
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
        {
            if (double.IsNaN(e[i])) { Assert.True(double.IsNaN(a[i]), $"{what}[{i}]: cpu NaN, cuda {a[i]:R}"); continue; }
            if (double.IsInfinity(e[i])) { Assert.Equal(e[i], a[i]); continue; }
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * Math.Max(1, Math.Abs(e[i])), $"{what}[{i}]: cpu {e[i]:R}, cuda {a[i]:R}");
        }
    }

    /// <summary>A fresh zero tensor on the CPU and its twin on the simulated device.</summary>
    public static (Tensor Cpu, Tensor Gpu) Outputs(int[] shape, DType dtype) =>
        (Tensor.Empty(shape, dtype, Device.Cpu), Tensor.Empty(shape, dtype, Gpu));

    /// <summary>Runs <paramref name="f"/> on CPU leaves and on their device copies; outputs and gradients must
    /// agree.</summary>
    public static void SameOnBothDevices(Func<Tensor[], Tensor> f, double tol, params Tensor[] inputs)
    {
        var cpu = inputs.Select(x => x.Detach().RequiresGrad_()).ToArray();
        var gpu = inputs.Select(x => x.To(Gpu).RequiresGrad_()).ToArray();
        var yc = f(cpu);
        var yg = f(gpu);
        Assert.Equal(Gpu, yg.Device);
        AssertClose(yc, yg, tol, "output");
        yc.Backward();
        yg.Backward();
        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(Gpu, gpu[i].Grad!.Device);
            AssertClose(cpu[i].Grad!, gpu[i].Grad!, tol, $"grad {i}");
        }
    }

    public static double Tolerance(DType dtype) => dtype == DType.Float32 ? 1e-5 : 1e-12;
}
