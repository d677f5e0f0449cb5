using Backprop.Cuda;
using Backprop.Optim;
using static Backprop.Tests.Cuda.Simulated;

namespace Backprop.Tests.Cuda;

/// <summary>Whole ops with their gradients, a training step, the allocator and device errors, on the simulated device.</summary>
[Collection(Simulated.Collection)]
public class CudaOpsTests
{
    [Fact]
    public void MatMul_gradients_match() =>
        SameOnBothDevices(x => (x[0].MatMul(x[1]) * x[0].MatMul(x[1])).Sum(), 1e-4, Random([5, 9], DType.Float32, 30), Random([9, 4], DType.Float32, 31));

    [Fact]
    public void Conv2d_pool_and_relu_gradients_match() =>
        SameOnBothDevices(x => F.MaxPool2d(F.Relu(F.Conv2d(x[0], x[1], x[2], padding: 1)), 2).Pow(2).Mean(), 1e-4,
            Random([2, 3, 6, 6], DType.Float32, 32), Random([4, 3, 3, 3], DType.Float32, 33), Random([4], DType.Float32, 34));

    // the device has no fused Conv2dRelu kernel: the backend's default (Conv2d, then an in-place ReLU) serves it
    [Fact]
    public void Fused_conv_relu_gradients_match() =>
        SameOnBothDevices(x => F.MaxPool2d(F.Conv2dRelu(x[0], x[1], x[2], padding: 1), 2).Pow(2).Mean(), 1e-4,
            Random([2, 3, 6, 6], DType.Float32, 35), Random([4, 3, 3, 3], DType.Float32, 36), Random([4], DType.Float32, 37));

    [Fact]
    public void Cross_entropy_and_softmax_gradients_match()
    {
        var target = Tensor.FromArray(new long[] { 2, 0, 1, 2 });
        SameOnBothDevices(x => F.CrossEntropy(x[0], target.To(x[0].Device)) + F.Softmax(x[0], 1).Max(), 1e-5, Random([4, 3], DType.Float32, 35));
    }

    [Fact]
    public void Gradients_flow_back_across_To()
    {
        var x = Random([3], DType.Float64, 36).RequiresGrad_();
        (x.To(Gpu) * 3).Sum().Backward();
        Assert.Equal(Device.Cpu, x.Grad!.Device);
        Assert.Equal([3.0, 3, 3], x.Grad.ToArray<double>());
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("rmsprop")]
    public void A_tiny_MLP_trains_to_the_same_weights(string optimizer)
    {
        var input = Random([8, 4], DType.Float32, 37);
        var labels = Tensor.FromArray(new long[] { 0, 1, 2, 1, 0, 2, 2, 1 });
        Tensor[] Train(Device device)
        {
            Tensor[] p = [Random([6, 4], DType.Float32, 38, -0.5, 0.5), Random([6], DType.Float32, 39, -0.5, 0.5),
                Random([3, 6], DType.Float32, 40, -0.5, 0.5), Random([3], DType.Float32, 41, -0.5, 0.5)];
            p = p.Select(t => t.To(device).RequiresGrad_()).ToArray();
            Optimizer opt = optimizer switch
            {
                "sgd" => new SGD(p, 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true),
                "adam" => new AdamW(p, 0.01),
                _ => new RMSprop(p, 0.01, momentum: 0.5, centered: true),
            };
            var (x, y) = (input.To(device), labels.To(device));
            for (int step = 0; step < 3; step++)
            {
                opt.ZeroGrad();
                F.CrossEntropy(F.Linear(F.Relu(F.Linear(x, p[0], p[1])), p[2], p[3]), y).Backward();
                opt.Step();
            }
            return p;
        }
        var cpu = Train(Device.Cpu);
        var gpu = Train(Gpu);
        for (int i = 0; i < cpu.Length; i++) AssertClose(cpu[i], gpu[i], 1e-4, $"parameter {i}");
    }

    // the device has no fused LinearRelu kernels: the backend's defaults (Linear then an in-place ReLU; the mask and
    // the bias gradient as two kernels) must give what the CPU's fused ones give
    [Fact]
    public void A_fused_linear_relu_layer_gives_the_cpu_values_and_gradients()
    {
        Tensor[] Run(Device device)
        {
            Tensor[] p = [Random([9, 5], DType.Float32, 50), Random([7, 5], DType.Float32, 51), Random([7], DType.Float32, 52)];
            p = p.Select(t => t.To(device).RequiresGrad_()).ToArray();
            var y = F.LinearRelu(p[0], p[1], p[2]);
            (y * Random([9, 7], DType.Float32, 53).To(device)).Sum().Backward();
            return [y, p[0].Grad!, p[1].Grad!, p[2].Grad!];
        }
        var cpu = Run(Device.Cpu);
        var gpu = Run(Gpu);
        for (int i = 0; i < cpu.Length; i++) AssertClose(cpu[i], gpu[i], 1e-5, $"output or gradient {i}");
    }

    [Fact]
    public void Freed_storage_is_reused_and_Trim_returns_the_cache()
    {
        var allocator = Backend.Allocator;
        Assert.Equal(512, CachingAllocator.RoundSize(1));
        Assert.Equal(1024, CachingAllocator.RoundSize(513));
        Assert.Equal(4L << 20, CachingAllocator.RoundSize((2L << 20) + 1));
        AllocateAndDrop(12345);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = allocator.Stats;
        Assert.True(before.BytesCached >= CachingAllocator.RoundSize(12345 * 4));
        var kept = Tensor.Zeros([12345], device: Gpu);
        var after = allocator.Stats;
        Assert.Equal(before.CacheHits + 1, after.CacheHits);
        Assert.Equal(before.DeviceAllocations, after.DeviceAllocations);
        Assert.All(kept.ToArray<float>(), v => Assert.Equal(0f, v));   // a reused block is zeroed again
        Assert.True(allocator.Trim() >= 0);
        Assert.Equal(0, allocator.Stats.BytesCached);
        Assert.True(allocator.Stats.BytesInUse >= CachingAllocator.RoundSize(12345 * 4));
        GC.KeepAlive(kept);
    }

    // in its own frame, so the tensor is unreachable once it returns
    private static void AllocateAndDrop(int n) => Assert.Equal(n, Tensor.Ones([n], device: Gpu).Sum().Item(), 3);

    [SkippableFact]
    public void Requesting_cuda_without_a_GPU_says_what_was_probed()
    {
        Skip.If(Backprop.Cuda.Cuda.IsAvailable(out _), "a CUDA device is present on this machine");
        var e = Assert.Throws<CudaUnavailableException>(() => Tensor.Zeros([2], device: Device.Cuda(0)));
        Assert.Contains("cuda:0", e.Message);
        Assert.Contains(e.Message.Contains("no CUDA device") ? "no CUDA device" : "libcublas", e.Message);
        Assert.Contains("libcublas.so.13", Backprop.Cuda.Cuda.IsAvailable(out var reason) ? "libcublas.so.13" : reason + e.Message);
    }
}
