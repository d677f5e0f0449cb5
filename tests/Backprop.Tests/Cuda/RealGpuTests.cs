using Backprop.Optim;
using Backprop.Tests.Tensors;
using static Backprop.Tests.Cuda.Simulated;

namespace Backprop.Tests.Cuda;

/// <summary>The same checks on a real GPU (cuda:0, matrix products through cuBLAS); skipped with the probe's reason when there is none.</summary>
public class RealGpuTests
{
    // golden cases whose op builds index tensors on the CPU are left to the simulated tests
    private static readonly HashSet<string> CpuIndexCases = ["gather", "scatter_add", "index_select", "embedding"];

    private static Device RequireGpu()
    {
        Skip.IfNot(Backprop.Cuda.Cuda.IsAvailable(out var reason), reason);
        return Backprop.Cuda.Cuda.Initialize(0).Device;
    }

    [SkippableFact]
    public void Golden_tensor_ops_match_PyTorch_on_the_GPU_in_float32()
    {
        var device = RequireGpu();
        foreach (var name in GoldenTests.CaseNames.Where(n => !CpuIndexCases.Contains(n)))
            GoldenTests.CompareOn(device, name, DType.Float32, 1e-5);
    }

    [SkippableFact]
    public void Golden_tensor_ops_match_PyTorch_on_the_GPU_in_float64()
    {
        var device = RequireGpu();
        foreach (var name in GoldenTests.CaseNames.Where(n => !CpuIndexCases.Contains(n)))
            GoldenTests.CompareOn(device, name, DType.Float64, 1e-10);
    }

    [SkippableFact]
    public void Cublas_products_match_the_cpu_for_every_layout()
    {
        var device = RequireGpu();
        var a = Random([2, 1, 33, 47], DType.Float64, 50);
        var b = Random([3, 29, 47], DType.Float64, 51).Transpose(1, 2);
        AssertClose(a.MatMul(b), a.To(device).MatMul(b.To(device)), 1e-12, "batched, broadcast, transposed b");
        AssertClose(a[0, 0].T.MatMul(a[1, 0]), a.To(device)[0, 0].T.MatMul(a.To(device)[1, 0]), 1e-12, "transposed a");
        var f = Random([64, 96], DType.Float32, 52);
        AssertClose(f.MatMul(f.T), f.To(device).MatMul(f.To(device).T), 1e-4, "float32");
    }

    [SkippableFact]
    public void An_MLP_training_step_matches_the_cpu()
    {
        var device = RequireGpu();
        var x = Random([64, 20], DType.Float32, 53);
        var labels = Tensor.FromArray(Enumerable.Range(0, 64).Select(i => (long)(i % 10)).ToArray());
        Tensor[] Step(Device on)
        {
            Tensor[] p = [Random([32, 20], DType.Float32, 54, -0.3, 0.3), Random([32], DType.Float32, 55, -0.3, 0.3),
                Random([10, 32], DType.Float32, 56, -0.3, 0.3), Random([10], DType.Float32, 57, -0.3, 0.3)];
            p = p.Select(t => t.To(on).RequiresGrad_()).ToArray();
            var opt = new Adam(p, 1e-2);
            for (int i = 0; i < 3; i++)
            {
                opt.ZeroGrad();
                F.CrossEntropy(F.Linear(F.Relu(F.Linear(x.To(on), p[0], p[1])), p[2], p[3]), labels.To(on)).Backward();
                opt.Step();
            }
            return p;
        }
        var cpu = Step(Device.Cpu);
        var gpu = Step(device);
        for (int i = 0; i < cpu.Length; i++) AssertClose(cpu[i], gpu[i], 1e-4, $"parameter {i}");
    }
}
