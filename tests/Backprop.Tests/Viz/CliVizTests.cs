using Backprop.Cli;

namespace Backprop.Tests.Viz;

public sealed class CliVizTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("backprop-viz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int code, string stdout, string stderr) Run(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        int code = Backprop.Cli.Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Grad_writes_svg_and_dot_and_prints_code_and_explanation()
    {
        string svg = Path.Combine(_dir, "f.svg"), dot = Path.Combine(_dir, "f.dot");
        var (code, stdout, _) = Run("grad", "x*y + max(x, y)", "--at", "x=3,y=-4", "--svg", svg, "--dot", dot, "--code", "--explain");
        Assert.Equal(0, code);
        Assert.Contains(">f = x*y + max(x, y)</text>", File.ReadAllText(svg));
        Assert.StartsWith("digraph circuit {", File.ReadAllText(dot));
        Assert.Contains("public static class StagedCircuit", stdout);
        Assert.Contains("max routed its gradient 1 to x, the larger input (3 vs -4); y gets 0", stdout);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Explain_names_each_wire_as_the_expression_wrote_it()
    {
        var (code, stdout, _) = Run("grad", "(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)", "--at", "x=3,y=-4",
            "--explain");
        Assert.Equal(0, code);
        var lines = stdout.Split('\n');
        Assert.Contains("#(7) f = (x + σ(y)) / (σ(x) + (x + y)^2): div multiplied", stdout);
        Assert.Contains("#(6) σ(x) + (x + y)^2: add distributed its gradient -0.7916 unchanged to σ(x) and (x + y)^2",
            lines);
        Assert.Contains(
            "#(5) (x + y)^2: ^2 multiplied its gradient by its local gradient: d(x + y) += -2 × -0.7916 = 1.583",
            lines);
        foreach (var madeUp in new[] { "add1", "add2", "sigmoid1", "sigmoid2", "pow_const" })
            Assert.DoesNotContain(madeUp, stdout);
        // a power's operands and a gradient's name are bracketed where they are more than a name, number or call
        (_, stdout, _) = Run("grad", "(x*y)^2^x", "--at", "x=1,y=2", "--explain");
        Assert.Contains("#(3) f = (x * y)^(2^x): pow multiplied its gradient by its local gradients: d(x * y) += ",
            stdout);
        Assert.Contains(", d(2^x) += ", stdout);
    }

    [Fact]
    public void Bad_viz_options_are_refused_with_a_clear_message_and_no_file()
    {
        var (code, _, stderr) = Run("grad", "x", "--at", "x=1", "--digits", "0");
        Assert.Equal(2, code);
        Assert.Contains("--digits: '0' is not a whole number from 1 to 17", stderr);
        (code, _, stderr) = Run("grad", "x", "--at", "x=1", "--json", "--code");
        Assert.Equal(2, code);
        Assert.Contains("cannot be combined", stderr);
        string missing = Path.Combine(_dir, "no-such-folder", "f.svg");
        (code, _, stderr) = Run("grad", "x", "--at", "x=1", "--svg", missing);
        Assert.Equal(2, code);
        Assert.Contains("does not exist", stderr);
        Assert.False(File.Exists(missing));
    }

    [Fact]
    public void Demo_prints_diagrams_and_staged_code_and_writes_one_svg_per_example()
    {
        var (code, stdout, _) = Run("demo", "--out", _dir);
        Assert.Equal(0, code);
        Assert.Contains("dx += ((1 - sigx) * sigx) * dsigx;", stdout);
        Assert.Contains("├*", stdout);
        var names = NotesExamples.All().Select(c => c.Name + ".svg").Concat(["matmul-gate.svg", "two-layer-net.svg"]).Order();
        Assert.Equal(names, Directory.GetFiles(_dir).Select(Path.GetFileName).Order());
    }
}
