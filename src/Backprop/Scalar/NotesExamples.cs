namespace Backprop;

/// <summary>A named circuit, already run forward and backward: its output wire and its input wires.</summary>
public sealed record Circuit(string Name, string Formula, Value Output, IReadOnlyList<Value> Inputs)
{
    /// <summary>Every wire of the circuit, inputs before the gates that use them.</summary>
    public IReadOnlyList<Value> Wires => Output.Topological();
}

/// <summary>
/// The circuits of the CS231n backpropagation notes, built with the notes' values and gate choices,
/// wires labelled with the notes' variable names, and backpropagated.
/// </summary>
public static class NotesExamples
{
    /// <summary>f(x, y) = xy at x = 4, y = -3: f = -12, ∂f/∂x = y = -3, ∂f/∂y = x = 4.</summary>
    public static Circuit Multiply()
    {
        var x = new Value(4, "x");
        var y = new Value(-3, "y");
        return Run("multiply", "f = x * y", Name(x * y, "f"), x, y);
    }

    /// <summary>f(x, y, z) = (x + y)z at x = -2, y = 5, z = -4: q = 3, f = -12; gradients -4, -4, 3.</summary>
    public static Circuit AddThenMultiply()
    {
        var x = new Value(-2, "x");
        var y = new Value(5, "y");
        var z = new Value(-4, "z");
        var q = Name(x + y, "q");
        return Run("add-multiply", "f = (x + y) * z", Name(q * z, "f"), x, y, z);
    }

    /// <summary>
    /// The 2-D sigmoid neuron f = 1/(1 + e^-(w0·x0 + w1·x1 + w2)) at w = [2, -3, -3], x = [-1, -2], built
    /// from the notes' elementary gates: *, +, *-1, exp, +1 and 1/x.
    /// </summary>
    public static Circuit NeuronGateByGate()
    {
        var (w0, w1, w2, x0, x1) = NeuronInputs();
        var dot = Name(Name(Name(w0 * x0, "w0x0") + Name(w1 * x1, "w1x1"), "s") + w2, "dot");
        var neg = Name(dot * -1.0, "neg");
        var e = Name(neg.Exp(), "e");
        var den = Name(e + 1.0, "den");
        return Run("neuron", "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", Name(den.Reciprocal(), "f"),
            w0, x0, w1, x1, w2);
    }

    /// <summary>The same neuron with one fused sigmoid gate, whose local gradient is (1 - σ)σ.</summary>
    public static Circuit NeuronFused()
    {
        var (w0, w1, w2, x0, x1) = NeuronInputs();
        var dot = Name(Name(Name(w0 * x0, "w0x0") + Name(w1 * x1, "w1x1"), "s") + w2, "dot");
        return Run("neuron-fused", "f = sigmoid(w0*x0 + w1*x1 + w2)", Name(dot.Sigmoid(), "f"), w0, x0, w1, x1, w2);
    }

    /// <summary>The staged example f(x, y) = (x + σ(y)) / (σ(x) + (x + y)²) at x = 3, y = -4, with the notes'
    /// stages.</summary>
    public static Circuit Staged()
    {
        var x = new Value(3, "x");
        var y = new Value(-4, "y");
        var sigy = Name(y.Sigmoid(), "sigy");       // (1)
        var num = Name(x + sigy, "num");             // (2)
        var sigx = Name(x.Sigmoid(), "sigx");       // (3)
        var xpy = Name(x + y, "xpy");                // (4)
        var xpysqr = Name(xpy.Pow(2), "xpysqr");     // (5)
        var den = Name(sigx + xpysqr, "den");        // (6)
        var invden = Name(den.Reciprocal(), "invden"); // (7)
        return Run("staged", "f = (x + sigmoid(y)) / (sigmoid(x) + (x + y)^2)", Name(num * invden, "f"), x, y); // (8)
    }

    /// <summary>The patterns circuit f = 2·(x·y + max(z, w)) at x = 3, y = -4, z = 2, w = -1.</summary>
    public static Circuit Patterns()
    {
        var x = new Value(3, "x");
        var y = new Value(-4, "y");
        var z = new Value(2, "z");
        var w = new Value(-1, "w");
        var sum = Name(Name(x * y, "xy") + Name(Value.Max(z, w), "m"), "s");
        return Run("patterns", "f = 2 * (x*y + max(z, w))", Name(sum * 2.0, "f"), x, y, z, w);
    }

    /// <summary>All of the notes' circuits, in the order the notes present them.</summary>
    public static IReadOnlyList<Circuit> All() =>
        [Multiply(), AddThenMultiply(), NeuronGateByGate(), NeuronFused(), Staged(), Patterns()];

    private static (Value w0, Value w1, Value w2, Value x0, Value x1) NeuronInputs() =>
        (new Value(2, "w0"), new Value(-3, "w1"), new Value(-3, "w2"), new Value(-1, "x0"), new Value(-2, "x1"));

    private static Value Name(Value v, string label)
    {
        v.Label = label;
        return v;
    }

    private static Circuit Run(string name, string formula, Value output, params Value[] inputs)
    {
        output.Backward();
        return new Circuit(name, formula, output, inputs);
    }
}
