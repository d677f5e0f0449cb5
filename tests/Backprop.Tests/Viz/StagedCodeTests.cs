using System.Text.RegularExpressions;
using CsCheck;

namespace Backprop.Tests.Viz;

public partial class StagedCodeTests
{
    [Fact]
    public void The_notes_staged_example_has_the_notes_stages_and_backward_lines()
    {
        string code = StagedCode.Generate(NotesExamples.Staged().Output);
        var lines = code.Split('\n');
        var forward = lines.TakeWhile(l => !l.Contains("// backward pass")).Where(l => Tag().IsMatch(l)).ToList();
        var backward = lines.SkipWhile(l => !l.Contains("// backward pass")).Where(l => Tag().IsMatch(l)).ToList();

        // the notes' forward pass, (1) to (8), one gate per line
        string[] stages =
        [
            "double sigy = 1 / (1 + Math.Exp(-y));", "double num = x + sigy;", "double sigx = 1 / (1 + Math.Exp(-x));",
            "double xpy = x + y;", "double xpysqr = Math.Pow(xpy, 2);", "double den = sigx + xpysqr;",
            "double invden = 1 / den;", "double f = num * invden;",
        ];
        Assert.Equal(stages.Length, forward.Count);
        for (int k = 0; k < stages.Length; k++)
        {
            Assert.StartsWith(stages[k], forward[k].Trim());
            Assert.EndsWith($"#({k + 1})", forward[k]);
        }
        // the notes' backward pass: the same lines in the same order, with the same #(k) tags and the same += at forks
        string[] expected =
        [
            "double dnum = invden * df; #(8)", "double dinvden = num * df; #(8)",
            "double dden = (-1 / (den * den)) * dinvden; #(7)",
            "double dsigx = 1 * dden; #(6)", "double dxpysqr = 1 * dden; #(6)",
            "double dxpy = (2 * xpy) * dxpysqr; #(5)",
            "double dx = 1 * dxpy; #(4)", "double dy = 1 * dxpy; #(4)",
            "dx += ((1 - sigx) * sigx) * dsigx; #(3)",
            "dx += 1 * dnum; #(2)", "double dsigy = 1 * dnum; #(2)",
            "dy += ((1 - sigy) * sigy) * dsigy; #(1)",
        ];
        Assert.Equal(expected, backward.Select(l => Regex.Replace(l.Trim(), @"\s+// ", " ")).ToArray());
    }

    [Fact]
    public void The_notes_staged_code_compiles_and_computes_the_engines_gradients()
    {
        var circuit = NotesExamples.Staged();
        var run = Roslyn.Run(Roslyn.Compile(StagedCode.Generate(circuit.Output)), "StagedCircuit", 3, -4);
        Assert.Equal([circuit.Output.Data, circuit.Inputs[0].Grad, circuit.Inputs[1].Grad], run);
    }

    [Fact]
    public void Names_that_would_clash_with_gradient_variables_or_keywords_are_renamed()
    {
        var x = new Value(1.5, "x");
        var dx = new Value(-2, "dx");
        var o = new Value(0.5, "o");               // "do" would be a keyword
        var f = new Value(2, "f");                 // an input called f, while the output is unlabelled
        var output = Value.Max(x * dx, o) + (f * x).Sigmoid() - new Value(3);
        output.Backward();
        string code = StagedCode.Generate(output);
        var run = Roslyn.Run(Roslyn.Compile(code), "StagedCircuit", 1.5, -2, 0.5, 2);
        Assert.Equal([output.Data, x.Grad, dx.Grad, o.Grad, f.Grad], run);
    }

    [Fact]
    public void A_user_defined_gate_has_no_staged_code()
    {
        var square = Value.Gate("square", v => v * v, (v, _) => 2 * v);
        var y = square(new Value(3, "x"));
        var e = Assert.Throws<ArgumentException>(() => StagedCode.Generate(y));
        Assert.Contains("'square'", e.Message);
    }

    [Fact]
    public void Random_expressions_compile_to_code_that_computes_the_engines_gradients()
    {
        var input = Gen.Double[-2, 2];
        Gen.Select(ExpressionGen(4).Array[12], input, input, input).Sample(sample =>
        {
            var (texts, x, y, z) = sample;
            var at = new Dictionary<string, double> { ["x"] = x, ["y"] = y, ["z"] = z };
            var built = texts.Select(t => Expression.Parse(t).Build(at)).ToList();
            foreach (var (output, _) in built) output.Backward();
            // one compilation for the whole batch: each circuit in its own class
            var sources = built.Select((b, i) => StagedCode.Generate(b.output).Replace("class StagedCircuit", $"class StagedCircuit{i}")).ToArray();
            var assembly = Roslyn.Compile(sources);
            for (int i = 0; i < built.Count; i++)
            {
                var (output, inputs) = built[i];
                // the method takes the inputs in order of first use in the circuit: pass each by its name
                var parameters = assembly.GetType($"StagedCircuit{i}")!.GetMethod("Run")!.GetParameters().Select(p => inputs[p.Name!]).ToList();
                Assert.Equal(inputs.Count, parameters.Count);
                var run = Roslyn.Run(assembly, $"StagedCircuit{i}", parameters.Select(v => v.Data).ToArray());
                double[] engine = [output.Data, .. parameters.Select(v => v.Grad)];
                Assert.True(engine.Length == run.Length && engine.Zip(run).All(p => p.First.Equals(p.Second) || p.First == p.Second),
                    $"{texts[i]} at x={x}, y={y}, z={z}: engine [{string.Join(", ", engine)}], staged code [{string.Join(", ", run)}]\n{sources[i]}");
            }
        }, iter: 4);
    }

    // expressions over x, y, z with every gate the parser makes, constants included
    private static Gen<string> ExpressionGen(int depth)
    {
        var leaf = Gen.OneOf("x", "y", "z", "x", "y", "2", "0.5");
        if (depth == 0) return leaf;
        var sub = ExpressionGen(depth - 1);
        return Gen.Frequency(
            (2, leaf),
            (4, Gen.Select(sub, Gen.OneOf("+", "-", "*", "/"), sub, (a, op, b) => $"({a} {op} {b})")),
            (2, Gen.Select(Gen.OneOf("exp", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "log", "sqrt"), sub, (fn, a) => $"{fn}({a})")),
            (1, Gen.Select(Gen.OneOf("max", "min"), sub, sub, (fn, a, b) => $"{fn}({a}, {b})")),
            (1, Gen.Select(sub, Gen.OneOf("2", "3", "0.5", "x"), (a, k) => $"({a})^{k}")),
            (1, sub.Select(a => $"-({a})")));
    }

    [GeneratedRegex(@"// #\(\d+\)\s*$")]
    private static partial Regex Tag();
}
