using System.Numerics;
using Backprop.Kernels.Cpu;

namespace Backprop.Bench;

/// <summary>Square matrix products through <see cref="Gemm"/>, in GFLOP/s (see <see cref="GemmCases"/>).</summary>
public sealed class GemmWorkload : IWorkload
{
    /// <inheritdoc/>
    public string Name => "gemm";

    /// <inheritdoc/>
    public void Run(Report report)
    {
        int saved = Threads.Count;
        try
        {
            foreach (var c in GemmCases.All)
            {
                Threads.Count = c.Threads;
                var samples = c.IsDouble ? TimeDgemm(c) : TimeSgemm(c);
                report.Add(Harness.Summarize(c.Name, "Backprop", "GFLOP/s", samples, s => GemmCases.Flops(c) / s / 1e9, "GFLOP/s", c.Target));
            }
            Threads.Count = 1;
            report.Add(Harness.Summarize(GemmCases.TinyStepName, "Backprop", "time", TimeTinyStep(), s => s * 1e6, "µs"));
        }
        finally
        {
            Threads.Count = saved;
        }
    }

    private static double[] TimeSgemm(GemmCases.Case c)
    {
        int n = c.Size;
        var (a, b, product) = (Random<float>(n * n, 1), Random<float>(n * n, 2), new float[n * n]);
        return Harness.Time(() => Gemm.Sgemm(false, false, n, n, n, a, n, b, n, product, n), GemmCases.Samples, GemmCases.InnerCalls(c));
    }

    private static double[] TimeDgemm(GemmCases.Case c)
    {
        int n = c.Size;
        var (a, b, product) = (Random<double>(n * n, 1), Random<double>(n * n, 2), new double[n * n]);
        return Harness.Time(() => Gemm.Dgemm(false, false, n, n, n, a, n, b, n, product, n), GemmCases.Samples, GemmCases.InnerCalls(c));
    }

    private static double[] TimeTinyStep()
    {
        var operands = GemmCases.TinyStep.Select(p => (p, A: Random<float>(p.M * p.K, 1), B: Random<float>(p.K * p.N, 2), C: new float[p.M * p.N])).ToArray();
        return Harness.Time(() =>
        {
            foreach (var (p, a, b, c) in operands)
                Gemm.Sgemm(p.TransA, p.TransB, p.M, p.N, p.K, a, p.TransA ? p.M : p.K, b, p.TransB ? p.K : p.N, c, p.N);
        }, samples: 31, inner: 200);
    }

    private static T[] Random<T>(int length, int seed) where T : IFloatingPoint<T>
    {
        var random = new Random(seed);
        var values = new T[length];
        for (int i = 0; i < length; i++) values[i] = T.CreateChecked(random.NextDouble() * 2 - 1);
        return values;
    }
}
