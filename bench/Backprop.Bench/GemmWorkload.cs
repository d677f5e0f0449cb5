using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Backprop.Kernels.Cpu;

namespace Backprop.Bench;

/// <summary>Square matrix products a.MatMul(b), in GFLOP/s (see <see cref="GemmCases"/>).</summary>
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
            // what the cores deliver right now, the ceiling the GEMM rows are measured against
            foreach (int threads in new[] { 1, 2 })
                report.Add(Harness.Summarize($"fp32 FMA peak {threads}T", "Backprop", "GFLOP/s", TimePeak(threads),
                    s => threads * PeakFlopsPerLoop / s / 1e9, "GFLOP/s"));
            // the GEMM's own register tile on panels that stay in L1: the most a product can reach in this round
            foreach (int threads in new[] { 1, 2 })
                report.Add(Harness.Summarize($"sgemm tile in L1 {threads}T", "Backprop", "GFLOP/s", TimeTileInL1(threads),
                    s => threads * TileFlopsPerPart / s / 1e9, "GFLOP/s"));
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

    private const int PeakSteps = 200_000;
    private const double PeakFlopsPerLoop = 2.0 * 12 * 8 * PeakSteps;

    private static float s_peakSink;   // the loops' results land here, so the JIT cannot drop them as dead code

    // the same loop on every thread at once, on the library's worker threads; a sample is the time of the slowest
    private static double[] TimePeak(int threads)
    {
        var parts = new PeakParts();
        return Harness.Time(() => ParallelFor.Run(threads, ref parts), samples: 15, inner: 1);
    }

    private struct PeakParts : IPartBody
    {
        public readonly void Invoke(int part) => s_peakSink += PeakLoop();
    }

    /// <summary>
    /// Twelve independent chains of 8-wide fused multiply-adds (the register tile's shape): enough in flight to keep
    /// both FMA pipes of a core busy, with no memory traffic.
    /// </summary>
    private static float PeakLoop()
    {
        var step = Vector256.Create(0.999f);
        var add = Vector256.Create(0.001f);
        Vector256<float> a0 = step, a1 = step, a2 = step, a3 = step, a4 = step, a5 = step;
        Vector256<float> a6 = step, a7 = step, a8 = step, a9 = step, a10 = step, a11 = step;
        for (int i = 0; i < PeakSteps; i++)
        {
            a0 = Fma.MultiplyAdd(a0, step, add); a1 = Fma.MultiplyAdd(a1, step, add); a2 = Fma.MultiplyAdd(a2, step, add);
            a3 = Fma.MultiplyAdd(a3, step, add); a4 = Fma.MultiplyAdd(a4, step, add); a5 = Fma.MultiplyAdd(a5, step, add);
            a6 = Fma.MultiplyAdd(a6, step, add); a7 = Fma.MultiplyAdd(a7, step, add); a8 = Fma.MultiplyAdd(a8, step, add);
            a9 = Fma.MultiplyAdd(a9, step, add); a10 = Fma.MultiplyAdd(a10, step, add); a11 = Fma.MultiplyAdd(a11, step, add);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    private const int TileDepth = 256, TileCalls = 4000;
    private const double TileFlopsPerPart = 2.0 * GemmMicroKernel.Rows * 16 * TileDepth * TileCalls;

    private static double[] TimeTileInL1(int threads)
    {
        var parts = new TileParts();
        return Harness.Time(() => ParallelFor.Run(threads, ref parts), samples: 15, inner: 1);
    }

    private unsafe struct TileParts : IPartBody
    {
        /// <summary>
        /// One 6 × 256 panel of A and one 256 × 16 panel of B (22 KiB together), multiplied into a 6 × 16 tile of C
        /// over and over, as a product's inner loop does with panels it has just brought into L1.
        /// </summary>
        public readonly void Invoke(int part)
        {
            const int R = GemmMicroKernel.Rows, W = 16;
            float* a = stackalloc float[R * TileDepth];
            float* b = stackalloc float[TileDepth * W];
            float* c = stackalloc float[R * W];
            for (int i = 0; i < R * TileDepth; i++) a[i] = 1f / (i + 1);
            for (int i = 0; i < TileDepth * W; i++) b[i] = 1f / (i + 2);
            for (int call = 0; call < TileCalls; call++)
                GemmMicroKernel.Tile(TileDepth, a, 1, R, b, W, c, W, 1f, 0f, R, W);
            s_peakSink += c[0];
        }
    }

    // as a user writes it, and as the TorchSharp program's torch.matmul: a.MatMul(b), the product allocated each call
    private static double[] TimeSgemm(GemmCases.Case c)
    {
        int n = c.Size;
        var (a, b) = (Tensor.FromArray(Random<float>(n * n, 1), [n, n]), Tensor.FromArray(Random<float>(n * n, 2), [n, n]));
        return Harness.Time(() => a.MatMul(b), GemmCases.Samples, GemmCases.InnerCalls(c));
    }

    private static double[] TimeDgemm(GemmCases.Case c)
    {
        int n = c.Size;
        var (a, b) = (Tensor.FromArray(Random<double>(n * n, 1), [n, n]), Tensor.FromArray(Random<double>(n * n, 2), [n, n]));
        return Harness.Time(() => a.MatMul(b), GemmCases.Samples, GemmCases.InnerCalls(c));
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
