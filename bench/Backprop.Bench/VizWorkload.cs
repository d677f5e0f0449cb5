using System.Text;

namespace Backprop.Bench;

/// <summary>
/// SVG circuit diagrams of a 10,000-gate circuit: time to lay out and write, and file size, drawn whole and collapsed
/// (the default rule: chains of one-input gates as one node, at most 400 gate nodes nearest the output).
/// </summary>
public sealed class VizWorkload : IWorkload
{
    public string Name => "viz";

    public void Run(Report report)
    {
        var output = RecurrentCell(steps: 2000);
        output.Backward();
        int gates = output.Topological().Count(v => !v.IsLeaf);
        foreach (var (implementation, options) in new[]
                 {
                     ("whole", new VizOptions { CollapseAbove = int.MaxValue }),
                     ("collapsed", new VizOptions()),
                 })
        {
            string svg = "";
            var times = Harness.Time(() => svg = Viz.Svg(output, options), samples: 5, warmup: 1);
            string workload = $"svg {gates} gates";
            report.Add(Harness.Summarize(workload, implementation, "time", times, s => s * 1e3, "ms"));
            double kb = Encoding.UTF8.GetByteCount(svg) / 1024.0;
            report.Add(new Row(workload, implementation, "size", kb, kb, kb, "KiB", 1, implementation == "collapsed" ? "< 1024 KiB" : null));
        }
    }

    // A small recurrent cell unrolled: b <- σ(b), a <- 0.9 tanh(a b + a); five gates a step, deep and narrow.
    private static Value RecurrentCell(int steps)
    {
        Value a = new(0.5, "a"), b = new(0.3, "b");
        for (int i = 0; i < steps; i++)
        {
            b = b.Sigmoid();
            a = (a * b + a).Tanh() * 0.9;
        }
        return a;
    }
}
