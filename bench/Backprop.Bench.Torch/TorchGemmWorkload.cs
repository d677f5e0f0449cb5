using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Bench;

/// <summary>The products of <see cref="GemmCases"/> through <c>torch.matmul</c> on CPU tensors, in GFLOP/s.</summary>
public sealed class TorchGemmWorkload : IWorkload
{
    /// <inheritdoc/>
    public string Name => "gemm";

    /// <inheritdoc/>
    public void Run(Report report)
    {
        foreach (var c in GemmCases.All)
        {
            torch.set_num_threads(c.Threads);
            using var scope = torch.NewDisposeScope();
            var type = c.IsDouble ? ScalarType.Float64 : ScalarType.Float32;
            var a = torch.rand([c.Size, c.Size], type) * 2 - 1;
            var b = torch.rand([c.Size, c.Size], type) * 2 - 1;
            var samples = Harness.Time(() =>
            {
                using var product = torch.matmul(a, b);
            }, GemmCases.Samples, GemmCases.InnerCalls(c));
            report.Add(Harness.Summarize(c.Name, "TorchSharp", "GFLOP/s", samples, s => GemmCases.Flops(c) / s / 1e9, "GFLOP/s"));
        }
        report.Add(Harness.Summarize(GemmCases.TinyStepName, "TorchSharp", "time", TimeTinyStep(), s => s * 1e6, "µs"));
    }

    private static double[] TimeTinyStep()
    {
        torch.set_num_threads(1);
        using var scope = torch.NewDisposeScope();
        // Operands are stored as the library would hold them; a transposed one is a view, as Tensor.T gives.
        var operands = GemmCases.TinyStep.Select(p => (
            A: p.TransA ? torch.rand(p.K, p.M).t() : torch.rand(p.M, p.K),
            B: p.TransB ? torch.rand(p.N, p.K).t() : torch.rand(p.K, p.N))).ToArray();
        return Harness.Time(() =>
        {
            foreach (var (a, b) in operands)
            {
                using var product = torch.matmul(a, b);
            }
        }, samples: 31, inner: 200);
    }
}
