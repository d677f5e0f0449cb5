namespace Backprop.Tests.Scalar;

public class CompileTests
{
    [Fact]
    public void CompiledStagedExample_GivesTheEngineGradientsAtNewPoints()
    {
        var e = Expression.Parse("(x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)");
        var (f, inputs) = e.Build(new Dictionary<string, double> { ["x"] = 3, ["y"] = -4 });
        var run = Value.Compile(f, inputs["x"], inputs["y"]);
        var grads = new double[2];
        Assert.Equal(1.5456448841066441, run([3, -4], grads), 1e-15);
        Assert.Equal(2.0595697955721649, grads[0], 1e-12);
        Assert.Equal(1.5922327514838093, grads[1], 1e-15);

        foreach (var (x, y) in new[] { (0.5, 1.5), (-2.0, 0.25), (10.0, -3.0) })
        {
            var (g, fresh) = e.Build(new Dictionary<string, double> { ["x"] = x, ["y"] = y });
            g.Backward();
            Assert.Equal(g.Data, run([x, y], grads));
            Assert.Equal(fresh["x"].Grad, grads[0], 1e-14);
            Assert.Equal(fresh["y"].Grad, grads[1], 1e-14);
        }
    }

    [Fact]
    public void ForksConstantsAndUserGates_Compile()
    {
        var cube = Value.Gate("cube", v => v * v * v, (v, _) => 3 * v * v);
        var x = new Value(2, "x");
        var c = new Value(5, "c"); // a leaf not listed as an input: a constant
        var f = cube(x) * c + x * x;
        var run = Value.Compile(f, x);
        var grads = new double[1];
        Assert.Equal(3 * 3 * 3 * 5 + 9, run([3], grads));
        Assert.Equal(3 * 9 * 5 + 6, grads[0]);
    }

    [Fact]
    public void LargeCircuits_RunFromATape_WithTheSameResults()
    {
        var x = new Value(0.3, "x");
        var y = x;
        for (int i = 0; i < 12_000; i++) y = (y * 0.999).Tanh() + x * 0.001;
        y.Backward();
        var run = Value.Compile(y, x);
        var grads = new double[1];
        Assert.Equal(y.Data, run([0.3], grads), 1e-15);
        Assert.Equal(x.Grad, grads[0], 1e-12);
    }

    [Fact]
    public void BadInputs_AreRefused()
    {
        var x = new Value(1, "x");
        var q = x * 2;
        var f = q + 1;
        Assert.Contains("must be leaves", Assert.Throws<ArgumentException>(() => Value.Compile(f, q)).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => Value.Compile(f, x, x)).Message);
        var run = Value.Compile(f, x);
        Assert.Contains("1 inputs", Assert.Throws<ArgumentException>(() => run([1, 2], new double[1])).Message);
    }
}
