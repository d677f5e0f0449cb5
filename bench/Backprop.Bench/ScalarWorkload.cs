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
        CompiledVersusHandWritten(report);
    }

    // The notes' staged example: value and gradient by a compiled circuit, against its value alone in plain C#.
    private static void CompiledVersusHandWritten(Report report)
    {
        const int points = 100_000;
        var xs = new double[points];
        var ys = new double[points];
        var rng = new Random(2);
        for (int i = 0; i < points; i++) { xs[i] = rng.NextDouble() * 6 - 3; ys[i] = rng.NextDouble() * 6 - 3; }
        var (f, inputs) = Expression.Parse("(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)")
            .Build(new Dictionary<string, double> { ["x"] = 3, ["y"] = -4 });
        var run = Value.Compile(f, inputs["x"], inputs["y"]);
        double sink = 0;
        var args = new double[2];
        var grads = new double[2];
        var handWritten = Harness.Time(() => { for (int i = 0; i < points; i++) sink += Staged(xs[i], ys[i]); }, samples: 15);
        var compiled = Harness.Time(() =>
        {
            for (int i = 0; i < points; i++) { args[0] = xs[i]; args[1] = ys[i]; sink += run(args, grads) + grads[0]; }
        }, samples: 15);
        GC.KeepAlive(sink);
        double ns(double s) => s * 1e9 / points;
        report.Add(Harness.Summarize("staged example, hand-written C# value", "C#", "time", handWritten, ns, "ns/eval"));
        report.Add(Harness.Summarize("staged example, compiled value + gradient", "Backprop", "time", compiled, ns, "ns/eval"));
        var ratio = compiled.Zip(handWritten, (c, h) => c / h).ToArray();
        report.Add(Harness.Summarize("staged example, compiled gradient / hand-written", "Backprop", "ratio", ratio, r => r, "x", "<= 4"));
    }

    private static double Staged(double x, double y)
    {
        double sigy = 1 / (1 + Math.Exp(-y));
        double num = x + sigy;
        double sigx = 1 / (1 + Math.Exp(-x));
        double xpy = x + y;
        double den = sigx + xpy * xpy;
        return num / den;
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
