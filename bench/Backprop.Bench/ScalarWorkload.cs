namespace Backprop.Bench;

/// <summary>
/// Forward and backward of a random 1,000,000-gate scalar circuit, in nanoseconds per gate.
/// Targets: backward ≤ 3× forward (the cheap-gradient principle), forward + backward ≤ 200 ns per gate.
/// </summary>
public sealed class ScalarWorkload : IWorkload
{
    private const int Gates = 1_000_000;

    public string Name => "scalar";

    public void Run(Report report)
    {
        Value output = null!;
        var forward = Harness.Time(() => output = RandomCircuit(Gates, seed: 1), samples: 9, warmup: 2);
        var backward = Harness.Time(() => output.Backward(), samples: 9, warmup: 2);
        var both = Harness.Time(() => RandomCircuit(Gates, seed: 1).Backward(), samples: 9, warmup: 1);
        double ns(double s) => s * 1e9 / Gates;
        report.Add(Harness.Summarize("scalar circuit 1M gates, forward", "Backprop", "time", forward, ns, "ns/gate"));
        report.Add(Harness.Summarize("scalar circuit 1M gates, backward", "Backprop", "time", backward, ns, "ns/gate"));
        report.Add(Harness.Summarize("scalar circuit 1M gates, forward+backward", "Backprop", "time", both, ns, "ns/gate", "<= 200"));
        var ratio = backward.Zip(forward, (b, f) => b / f).ToArray();
        report.Add(Harness.Summarize("scalar circuit, backward / forward", "Backprop", "ratio", ratio, r => r, "x", "<= 3"));
    }

    /// <summary>A random circuit: each gate takes one or two of the last few wires, so the graph forks and joins.</summary>
    public static Value RandomCircuit(int gates, int seed)
    {
        var rng = new Random(seed);
        var recent = new Value[16];
        for (int i = 0; i < recent.Length; i++) recent[i] = new Value(rng.NextDouble() - 0.5);
        Value last = recent[0];
        for (int i = 0; i < gates; i++)
        {
            var a = recent[rng.Next(recent.Length)];
            var b = recent[rng.Next(recent.Length)];
            last = rng.Next(6) switch
            {
                0 => a + b,
                1 => a * b,
                2 => a.Tanh(),
                3 => Value.Max(a, b),
                4 => a * 0.5 + 0.1,
                _ => a.Sigmoid(),
            };
            recent[i % recent.Length] = last;
        }
        return last;
    }
}
