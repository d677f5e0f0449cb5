using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Backprop;
using Backprop.Cuda;
using Backprop.Optim;

// usage: Backprop.Bench.Cuda bench [--json FILE] [--tf32]   the target workloads on cuda:0
//        Backprop.Bench.Cuda check                          the GPU test subset (RealGpuTests), without the .NET SDK
if (args.Length > 0 && args[0] == "check") return GpuChecks.Run();
string? json = args.SkipWhile(a => a != "--json").Skip(1).FirstOrDefault();
var gpu = Cuda.Initialize(0);
Console.WriteLine($"device: {gpu.Name}");
var rows = new List<Workloads.Row>();
foreach (var row in Workloads.All(gpu))
{
    Console.WriteLine($"{row.Name,-28} {row.Milliseconds,10:F3} ms {row.Rate,10:F1} {row.Unit}");
    rows.Add(row);
}
if (json is not null) File.WriteAllText(json, JsonSerializer.Serialize(rows));
Console.WriteLine($"allocator: {gpu.Allocator.Stats}");
return 0;

/// <summary>The target workloads, each timed as the median of synchronized repetitions.</summary>
internal static class Workloads
{
    public sealed record Row(string Name, double Milliseconds, double Rate, string Unit);

    public static IEnumerable<Row> All(CudaBackend gpu)
    {
        var dev = gpu.Device;
        const int n = 8192;
        var a = Tensor.Randn([n, n]).To(dev);
        var b = Tensor.Randn([n, n]).To(dev);
        var c = Tensor.Zeros([n, n], device: dev);
        double flops = 2.0 * n * n * n;
        using (Autograd.NoGrad())
        {
            double ms = Time(gpu, () => a.MatMul(b), 10);
            yield return new("sgemm_8192_fp32", ms, flops / ms / 1e9, "TFLOP/s");
            ms = Time(gpu, () => gpu.DirectGemm(a, b, c), 10);
            yield return new("cublas_direct_8192_fp32", ms, flops / ms / 1e9, "TFLOP/s");
            gpu.AllowTf32 = true;
            ms = Time(gpu, () => a.MatMul(b), 10);
            yield return new("sgemm_8192_tf32", ms, flops / ms / 1e9, "TFLOP/s");
            ms = Time(gpu, () => gpu.DirectGemm(a, b, c), 10);
            yield return new("cublas_direct_8192_tf32", ms, flops / ms / 1e9, "TFLOP/s");
            gpu.AllowTf32 = false;
        }
        a = b = c = null!;
        const int elements = 1 << 26;
        var x = Tensor.Randn([elements]).To(dev);
        var y = Tensor.Randn([elements]).To(dev);
        double addMs = Time(gpu, () => x + y, 50);
        yield return new("add_2^26_fp32", addMs, 3.0 * 4 * elements / addMs / 1e6, "GB/s");
        yield return new("mlp_784_512_512_10_b1024_step", Time(gpu, MlpStep(dev), 30), 0, "");
        yield return new("convnet_b256_step", Time(gpu, ConvStep(dev), 30), 0, "");
    }

    /// <summary>One SGD step of the 784-512-512-10 MLP on a batch of 1024.</summary>
    private static Action MlpStep(Device dev)
    {
        Tensor[] p = [Param([512, 784], dev), Param([512], dev), Param([512, 512], dev), Param([512], dev), Param([10, 512], dev), Param([10], dev)];
        var opt = new SGD(p, 0.01, momentum: 0.9);
        var x = Tensor.Randn([1024, 784]).To(dev);
        var labels = Tensor.FromArray(Enumerable.Range(0, 1024).Select(i => (long)(i % 10)).ToArray()).To(dev);
        return () =>
        {
            opt.ZeroGrad();
            var h = F.Relu(F.Linear(F.Relu(F.Linear(x, p[0], p[1])), p[2], p[3]));
            F.CrossEntropy(F.Linear(h, p[4], p[5]), labels).Backward();
            opt.Step();
        };
    }

    /// <summary>One SGD step of conv3x3(32)-ReLU-pool2-conv3x3(64)-ReLU-pool2-linear(10) on 256 images of 3×32×32 (padding 1).</summary>
    private static Action ConvStep(Device dev)
    {
        Tensor[] p = [Param([32, 3, 3, 3], dev), Param([32], dev), Param([64, 32, 3, 3], dev), Param([64], dev), Param([10, 64 * 8 * 8], dev), Param([10], dev)];
        var opt = new SGD(p, 0.01, momentum: 0.9);
        var x = Tensor.Randn([256, 3, 32, 32]).To(dev);
        var labels = Tensor.FromArray(Enumerable.Range(0, 256).Select(i => (long)(i % 10)).ToArray()).To(dev);
        return () =>
        {
            opt.ZeroGrad();
            var h = F.MaxPool2d(F.Relu(F.Conv2d(x, p[0], p[1], padding: 1)), 2);
            h = F.MaxPool2d(F.Relu(F.Conv2d(h, p[2], p[3], padding: 1)), 2);
            F.CrossEntropy(F.Linear(h.Reshape(256, -1), p[4], p[5]), labels).Backward();
            opt.Step();
        };
    }

    private static Tensor Param(int[] shape, Device dev) => (Tensor.Randn(shape) * 0.05).To(dev).RequiresGrad_();

    private static double Time(CudaBackend gpu, Action work, int repetitions)
    {
        for (int i = 0; i < 3; i++) work();
        gpu.Synchronize();
        var times = new double[repetitions];
        for (int i = 0; i < repetitions; i++)
        {
            var sw = Stopwatch.StartNew();
            work();
            gpu.Synchronize();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return times[repetitions / 2];
    }

    private static double Time(CudaBackend gpu, Func<Tensor> work, int repetitions) => Time(gpu, () => { work(); }, repetitions);
}

/// <summary>Runs the public test methods of Backprop.Tests.Cuda.RealGpuTests and prints the closing "N passed, N failed" line.</summary>
internal static class GpuChecks
{
    public static int Run()
    {
        var type = typeof(Backprop.Tests.Cuda.RealGpuTests);
        int passed = 0, failed = 0, skipped = 0;
        foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
        {
            try
            {
                method.Invoke(Activator.CreateInstance(type), BindingFlags.DoNotWrapExceptions, null, null, null);
                passed++;
                Console.WriteLine($"PASS {method.Name}");
            }
            catch (Exception e) when (e.GetType().Name == "SkipException")
            {
                skipped++;
                Console.WriteLine($"SKIP {method.Name}: {e.Message}");
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine($"FAIL {method.Name}: {e.Message}");
            }
        }
        Console.WriteLine($"{passed} passed, {failed} failed, {skipped} skipped");
        return failed == 0 ? 0 : 1;
    }
}
