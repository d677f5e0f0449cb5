using CsCheck;

namespace Backprop.Tests.Scalar;

/// <summary>Random circuits over every gate: the backward sweep agrees with centered finite differences.</summary>
public class GradientPropertyTests
{
    private static readonly Gate[] Unary =
        [Gates.Neg, Gates.Reciprocal, Gates.Exp, Gates.Log, Gates.Sqrt, Gates.Sin, Gates.Cos, Gates.Tanh,
         Gates.Sigmoid, Gates.Relu, Gates.Abs];
    private static readonly Gate[] Binary = [Gates.Add, Gates.Sub, Gates.Mul, Gates.Div, Gates.PowWire, Gates.Max, Gates.Min];
    private static readonly Gate[] WithConstant = [Gates.AddConstant, Gates.Scale, Gates.SubtractFromConstant, Gates.Pow];
    private static readonly double[] Exponents = [2, 3, 0.5, -1, 1.5];
    private static readonly Func<Value, Value> Softsign = Value.Gate("softsign", x => x / (1 + Math.Abs(x)), (x, _) => 1 / Math.Pow(1 + Math.Abs(x), 2));

    // A random circuit over three inputs, as a function that builds it from the input wires.
    private static Func<Value[], Value> RandomCircuit(Random rng, int depth)
    {
        if (depth == 0 || rng.NextDouble() < 0.2)
        {
            int i = rng.Next(3);
            return v => v[i];
        }
        int kind = rng.Next(4);
        var a = RandomCircuit(rng, depth - 1);
        switch (kind)
        {
            case 0:
                var g1 = Unary[rng.Next(Unary.Length)];
                return v => Value.Apply(g1, a(v));
            case 1:
                var g2 = Binary[rng.Next(Binary.Length)];
                var b = RandomCircuit(rng, depth - 1);
                return v => Value.Apply(g2, a(v), b(v));
            case 2:
                var gc = WithConstant[rng.Next(WithConstant.Length)];
                double k = gc == Gates.Pow ? Exponents[rng.Next(Exponents.Length)] : Math.Round(rng.NextDouble() * 6 - 3, 2);
                return v => Value.Apply(gc, a(v), k);
            default:
                return v => Softsign(a(v));
        }
    }

    // Skips points on or near a kink or outside a gate's domain, where the derivative is not defined.
    private static bool Smooth(Value output)
    {
        foreach (var w in output.Topological())
        {
            if (!double.IsFinite(w.Data) || Math.Abs(w.Data) > 1e6) return false;
            if (w.Op is null) continue;
            double a = w.Inputs[0].Data, b = w.Inputs.Count > 1 ? w.Inputs[1].Data : 0;
            bool ok = w.Op.Name switch
            {
                "relu" or "abs" or "reciprocal" or "softsign" => Math.Abs(a) > 1e-3,
                "log" or "sqrt" => a > 1e-3,
                "pow_const" => a > 1e-3,
                "div" => Math.Abs(b) > 1e-3,
                "pow" => a > 1e-2,
                "max" or "min" => Math.Abs(a - b) > 1e-3,
                _ => true,
            };
            if (!ok) return false;
        }
        return true;
    }

    [Fact]
    public void AnalyticGradients_MatchCenteredDifferences()
    {
        var gen = Gen.Select(Gen.Int, Gen.Double[-2, 2], Gen.Double[-2, 2], Gen.Double[0.1, 2]);
        int checkedCount = 0;
        gen.Sample((seed, x, y, z) =>
        {
            var circuit = RandomCircuit(new Random(seed), 5);
            double[] at = [x, y, z];
            var inputs = at.Select(d => new Value(d)).ToArray();
            var f = circuit(inputs);
            if (!Smooth(f)) return true;
            f.Backward();
            for (int i = 0; i < 3; i++)
            {
                double Shifted(double delta)
                {
                    var shifted = at.Select((d, j) => new Value(j == i ? d + delta : d)).ToArray();
                    var g = circuit(shifted);
                    return Smooth(g) ? g.Data : double.NaN;
                }
                double Centered(double h) => (Shifted(h) - Shifted(-h)) / (2 * h);
                // Richardson extrapolation of two centered differences: error O(h^4) instead of O(h^2)
                double coarse = Centered(2e-5), fine = Centered(1e-5);
                if (double.IsNaN(coarse) || double.IsNaN(fine)) return true; // a step crossed a kink
                double numeric = (4 * fine - coarse) / 3, analytic = inputs[i].Grad;
                double scale = Math.Max(Math.Abs(numeric), Math.Abs(analytic));
                // where the two step sizes disagree, the point is too close to a singularity to check numerically
                if (Math.Abs(coarse - fine) > 1e-4 * Math.Max(scale, 1)) return true;
                bool close = scale < 1e-4 ? Math.Abs(numeric - analytic) <= 1e-8 : Math.Abs(numeric - analytic) / scale <= 1e-6;
                if (!close)
                    throw new Exception($"input {i}: analytic {analytic}, numeric {numeric}; gates " +
                                        string.Join(" ", f.Topological().Where(w => w.Op != null).Select(w => w.Op!.Describe(w.Constant))));
            }
            Interlocked.Increment(ref checkedCount);
            return true;
        }, iter: 3000, threads: 1);
        Assert.True(checkedCount > 1000, $"only {checkedCount} smooth circuits were checked");
    }
}
