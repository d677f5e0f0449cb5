namespace Backprop.Tests.Scalar;

public class ValueTests
{
    [Fact]
    public void GradientsAddUpAtForks()
    {
        var x = new Value(3);
        var f = x * x + x; // df/dx = 2x + 1
        f.Backward();
        Assert.Equal(7, x.Grad);
    }

    [Fact]
    public void SecondBackwardAccumulates_AndZeroGradResets()
    {
        var x = new Value(-2); var y = new Value(5); var z = new Value(-4);
        var q = x + y;
        var f = q * z;
        f.Backward();
        f.Backward();
        Assert.Equal(-8, x.Grad);
        Assert.Equal(6, z.Grad);
        Assert.Equal(-8, q.Grad);
        Assert.Equal(2, f.Grad);
        f.ZeroGrad();
        Assert.All(f.Topological(), v => Assert.Equal(0, v.Grad));
        f.Backward();
        Assert.Equal(-4, x.Grad);
    }

    [Fact]
    public void MaxAndMin_SplitTheGradientEvenlyAtATie()
    {
        var a = new Value(2); var b = new Value(2);
        Value.Max(a, b).Backward();
        Assert.Equal(0.5, a.Grad);
        Assert.Equal(0.5, b.Grad);
        var c = new Value(1); var d = new Value(1);
        Value.Min(c, d).Backward();
        Assert.Equal(0.5, c.Grad);
        Assert.Equal(0.5, d.Grad);
    }

    [Fact]
    public void ConstantGates_OnEitherSide()
    {
        var x = new Value(4);
        var wires = new[] { x + 1, 1 + x, x - 1, 10 - x, x * 3, 3 * x, x / 2, 8 / x, 1 / x, -x };
        double[] values = [5, 5, 3, 6, 12, 12, 2, 2, 0.25, -4];
        double[] grads = [1, 1, 1, -1, 3, 3, 0.5, -0.5, -1.0 / 16, -1];
        for (int i = 0; i < wires.Length; i++)
        {
            x.Grad = 0;
            wires[i].Backward();
            Assert.Equal(values[i], wires[i].Data, 1e-15);
            Assert.Equal(grads[i], x.Grad, 1e-15);
        }
    }

    [Fact]
    public void PowWithAWireExponent_GivesBothGradients()
    {
        var a = new Value(2); var b = new Value(3);
        var y = a.Pow(b);
        y.Backward();
        Assert.Equal(8, y.Data);
        Assert.Equal(12, a.Grad, 1e-12);            // b a^(b-1)
        Assert.Equal(8 * Math.Log(2), b.Grad, 1e-12); // a^b ln a
    }

    [Fact]
    public void UserDefinedGates_OneAndTwoInputs()
    {
        var square = Value.Gate("square", x => x * x, (x, _) => 2 * x);
        var hypot = Value.Gate("hypot", (a, b) => Math.Sqrt(a * a + b * b), (a, b, y) => (a / y, b / y));
        var u = new Value(3); var v = new Value(4);
        var h = hypot(u, v);
        var s = square(h);
        s.Backward();
        Assert.Equal(25, s.Data, 1e-12);
        Assert.Equal(6, u.Grad, 1e-12); // d(u²+v²)/du
        Assert.Equal(8, v.Grad, 1e-12);
        Assert.Equal("hypot", h.Op!.Name);
        Assert.Same(h, s.Inputs[0]);
    }

    [Fact]
    public void MillionGateChain_BackpropagatesWithoutRecursion()
    {
        const int n = 1_000_000;
        var x = new Value(1, "x");
        var y = x;
        for (int i = 0; i < n; i++) y = y * 1.0000001 + 0;
        y.Backward();
        Assert.Equal(Math.Pow(1.0000001, n), x.Grad, 1e-9);
        Assert.Equal(2 * n + 1, y.Topological().Count);
    }

    [Fact]
    public void MillionGateChain_UsesMemoryLinearInItsSize()
    {
        // Memory of the graph plus one backward sweep, per gate, must not grow with the chain length.
        static double BytesPerGate(int n)
        {
            GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
            long before = GC.GetTotalMemory(true);
            var y = new Value(1);
            for (int i = 0; i < n; i++) y = y.Tanh();
            y.Backward();
            long after = GC.GetTotalMemory(false);
            GC.KeepAlive(y);
            return (double)(after - before) / n;
        }
        double small = BytesPerGate(100_000), large = BytesPerGate(1_000_000);
        Assert.InRange(large, 0, Math.Max(small * 2, 400));
    }

    [Fact]
    public void ApplyRefusesAGateWithTheWrongNumberOfInputs()
    {
        var ex = Assert.Throws<ArgumentException>(() => Value.Apply(Gates.Mul, new Value(1)));
        Assert.Contains("mul", ex.Message);
    }
}
