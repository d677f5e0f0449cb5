using Backprop.Kernels.Cpu;

namespace Backprop.Bench;

/// <summary>
/// Square matrix products in GFLOP/s (2·n³ floating-point operations each): SGEMM 1024 on 2 threads,
/// SGEMM 256 on 1 thread, DGEMM 1024 on 2 threads.
/// </summary>
public sealed class GemmWorkload : IWorkload
{
    /// <summary>The shapes and thread counts measured here and by the TorchSharp baseline; targets as in docs/benchmarks.md.</summary>
    public static readonly (string Name, int Size, int Threads, bool Double, string? Target)[] Cases =
    [
        ("sgemm 1024x1024x1024", 1024, 2, false, ">= 150"),
        ("sgemm 256x256x256", 256, 1, false, ">= 80"),
        ("dgemm 1024x1024x1024", 1024, 2, true, null),
    ];

    /// <inheritdoc/>
    public string Name => "gemm";

    /// <inheritdoc/>
    public void Run(Report report)
    {
        int saved = Threads.Count;
        try
        {
            foreach (var (name, size, threads, isDouble, target) in Cases)
            {
                Threads.Count = threads;
                var samples = isDouble ? TimeDgemm(size) : TimeSgemm(size);
                double flops = 2.0 * size * size * size;
                report.Add(Harness.Summarize($"{name} {threads}T", "Backprop", "GFLOP/s", samples, s => flops / s / 1e9, "GFLOP/s", target));
            }
        }
        finally
        {
            Threads.Count = saved;
        }
    }

    private static double[] TimeSgemm(int size)
    {
        var (a, b, c) = (Random<float>(size * size, 1), Random<float>(size * size, 2), new float[size * size]);
        return Harness.Time(() => Gemm.Sgemm(false, false, size, size, size, a, size, b, size, c, size), samples: 21, inner: InnerCalls(size));
    }

    private static double[] TimeDgemm(int size)
    {
        var (a, b, c) = (Random<double>(size * size, 1), Random<double>(size * size, 2), new double[size * size]);
        return Harness.Time(() => Gemm.Dgemm(false, false, size, size, size, a, size, b, size, c, size), samples: 21, inner: InnerCalls(size));
    }

    /// <summary>Enough calls per sample that one sample lasts a few milliseconds or more.</summary>
    public static int InnerCalls(int size) => Math.Max(1, (1 << 27) / size / size / size);

    private static T[] Random<T>(int length, int seed) where T : System.Numerics.IFloatingPoint<T>
    {
        var random = new Random(seed);
        var values = new T[length];
        for (int i = 0; i < length; i++) values[i] = T.CreateChecked(random.NextDouble() * 2 - 1);
        return values;
    }
}
