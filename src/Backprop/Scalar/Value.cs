namespace Backprop;

/// <summary>
/// A wire in a real-valued circuit: its forward value <see cref="Data"/>, and after <see cref="Backward()"/>
/// its gradient <see cref="Grad"/>, the sensitivity of the circuit's output to this wire.
/// Built from numbers with operators and gate methods; every intermediate wire keeps its gradient.
/// </summary>
public sealed partial class Value
{
    private readonly Value? _a, _b;
    private double _upstream; // the gradient arriving during the current backward sweep
    private int _visitMark;   // the sweep that last visited this wire (saves a hash set per sort)
    private static int s_sweeps;

    /// <summary>Creates an input wire (a leaf) holding <paramref name="data"/>.</summary>
    public Value(double data, string? label = null)
    {
        Data = data;
        Label = label;
        Constant = double.NaN;
    }

    private Value(double data, Gate op, Value a, Value? b, double constant)
    {
        Data = data;
        Op = op;
        _a = a;
        _b = b;
        Constant = constant;
    }

    /// <summary>The forward value on this wire.</summary>
    public double Data { get; set; }

    /// <summary>∂output/∂this wire, accumulated by <see cref="Backward()"/>.</summary>
    public double Grad { get; set; }

    /// <summary>An optional name shown in diagrams, staged code and errors.</summary>
    public string? Label { get; set; }

    /// <summary>The gate that produced this wire, or null for an input.</summary>
    public Gate? Op { get; }

    /// <summary>The gate's constant parameter (for add-constant, scale and constant power), else NaN.</summary>
    public double Constant { get; }

    /// <summary>True for an input wire (no gate produced it).</summary>
    public bool IsLeaf => Op is null;

    /// <summary>The wires that feed the gate that produced this one (empty for an input).</summary>
    public IReadOnlyList<Value> Inputs => _a is null ? [] : _b is null ? [_a] : [_a, _b];

    /// <summary>Applies a gate to one input wire.</summary>
    public static Value Apply(Gate gate, Value a, double constant = double.NaN)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(a);
        if (gate.Arity != 1) throw new ArgumentException($"gate '{gate.Name}' takes {gate.Arity} inputs, got 1",
            nameof(gate));
        return new Value(gate.Forward(a.Data, 0, constant), gate, a, null, constant);
    }

    /// <summary>Applies a gate to two input wires.</summary>
    public static Value Apply(Gate gate, Value a, Value b)
    {
        ArgumentNullException.ThrowIfNull(gate);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (gate.Arity != 2) throw new ArgumentException($"gate '{gate.Name}' takes {gate.Arity} input, got 2",
            nameof(gate));
        return new Value(gate.Forward(a.Data, b.Data, double.NaN), gate, a, b, double.NaN);
    }

    /// <summary>Makes a user-defined one-input gate from its forward function and its local derivative dy/dx at (x,
    /// y).</summary>
    public static Func<Value, Value> Gate(string name, Func<double, double> forward,
        Func<double, double, double> localGradient)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(localGradient);
        var gate = new Gate(name, name, 1, (a, _, _) => forward(a), (a, _, _, y) => (localGradient(a, y), 0));
        return x => Apply(gate, x);
    }

    /// <summary>Makes a user-defined two-input gate from its forward function and its local gradients (∂y/∂a,
    /// ∂y/∂b) at (a, b, y).</summary>
    public static Func<Value, Value, Value> Gate(string name, Func<double, double, double> forward,
        Func<double, double, double, (double, double)> localGradients)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(localGradients);
        var gate = new Gate(name, name, 2, (a, b, _) => forward(a, b), (a, b, _, y) => localGradients(a, b, y));
        return (a, b) => Apply(gate, a, b);
    }

    /// <summary>A number used where a wire is expected becomes an input wire (a leaf) holding it.</summary>
    public static implicit operator Value(double data) => new(data);

    /// <summary>The add gate a + b.</summary>
    public static Value operator +(Value a, Value b) => Apply(Gates.Add, a, b);
    /// <summary>The notes' translate gate a + c (constant c).</summary>
    public static Value operator +(Value a, double c) => Apply(Gates.AddConstant, a, c);
    /// <summary>The notes' translate gate c + a (constant c).</summary>
    public static Value operator +(double c, Value a) => Apply(Gates.AddConstant, a, c);
    /// <summary>The subtract gate a - b.</summary>
    public static Value operator -(Value a, Value b) => Apply(Gates.Sub, a, b);
    /// <summary>a - c, a translate gate by -c.</summary>
    public static Value operator -(Value a, double c) => Apply(Gates.AddConstant, a, -c);
    /// <summary>c - a (constant c): local gradient -1.</summary>
    public static Value operator -(double c, Value a) => Apply(Gates.SubtractFromConstant, a, c);
    /// <summary>The multiply gate a · b.</summary>
    public static Value operator *(Value a, Value b) => Apply(Gates.Mul, a, b);
    /// <summary>The notes' scale gate a · c (constant c).</summary>
    public static Value operator *(Value a, double c) => Apply(Gates.Scale, a, c);
    /// <summary>The notes' scale gate c · a (constant c).</summary>
    public static Value operator *(double c, Value a) => Apply(Gates.Scale, a, c);
    /// <summary>The divide gate a / b.</summary>
    public static Value operator /(Value a, Value b) => Apply(Gates.Div, a, b);
    /// <summary>a / c, a scale gate by 1/c.</summary>
    public static Value operator /(Value a, double c) => Apply(Gates.Scale, a, 1 / c);
    /// <summary>c / a: the 1/x gate, scaled by c unless c is 1.</summary>
    public static Value operator /(double c, Value a) =>
        c == 1 ? a.Reciprocal() : Apply(Gates.Scale, a.Reciprocal(), c);
    /// <summary>The negate gate -a.</summary>
    public static Value operator -(Value a) => Apply(Gates.Neg, a);

    /// <summary>this^k for a constant exponent.</summary>
    public Value Pow(double k) => Apply(Gates.Pow, this, k);
    /// <summary>this^e with the exponent a wire, so it gets a gradient too.</summary>
    public Value Pow(Value e) => Apply(Gates.PowWire, this, e);
    /// <summary>e^x; its local gradient is its own output.</summary>
    public Value Exp() => Apply(Gates.Exp, this);
    /// <summary>ln x; local gradient 1/x.</summary>
    public Value Log() => Apply(Gates.Log, this);
    /// <summary>√x; local gradient 1/(2√x).</summary>
    public Value Sqrt() => Apply(Gates.Sqrt, this);
    /// <summary>sin x; local gradient cos x.</summary>
    public Value Sin() => Apply(Gates.Sin, this);
    /// <summary>cos x; local gradient -sin x.</summary>
    public Value Cos() => Apply(Gates.Cos, this);
    /// <summary>tanh x; local gradient 1 - tanh² x.</summary>
    public Value Tanh() => Apply(Gates.Tanh, this);
    /// <summary>The fused sigmoid gate σ(x) = 1/(1+e^-x) with local gradient (1-σ)σ.</summary>
    public Value Sigmoid() => Apply(Gates.Sigmoid, this);
    /// <summary>max(0, x); passes the gradient where x &gt; 0.</summary>
    public Value Relu() => Apply(Gates.Relu, this);
    /// <summary>|x|; local gradient sign(x), 0 at 0.</summary>
    public Value Abs() => Apply(Gates.Abs, this);
    /// <summary>1/x, with local gradient -1/x².</summary>
    public Value Reciprocal() => Apply(Gates.Reciprocal, this);
    /// <summary>max(a, b); at a tie the gradient is split evenly between the inputs.</summary>
    public static Value Max(Value a, Value b) => Apply(Gates.Max, a, b);
    /// <summary>min(a, b); at a tie the gradient is split evenly between the inputs.</summary>
    public static Value Min(Value a, Value b) => Apply(Gates.Min, a, b);

    /// <summary>
    /// Every wire this one depends on, inputs before the gates that use them, each once, ending with this wire.
    /// Iterative, so a chain of millions of gates needs no deep stack.
    /// </summary>
    public List<Value> Topological()
    {
        var sweep = Sweep.Rent();
        try
        {
            int count = Sort(sweep, resetUpstream: false);
            return [.. sweep.Order.AsSpan(0, count)];
        }
        finally { sweep.Return(); }
    }

    // The backward sweep resets each wire's pass-local gradient as the sort reaches it, saving a pass over the graph.
    // Writes the order into sweep.Order and returns its length.
    private int Sort(Sweep sweep, bool resetUpstream)
    {
        int mark = Interlocked.Increment(ref s_sweeps);
        int count = 0, top = 0;
        sweep.Push(ref top, this, false);
        while (top > 0)
        {
            var (v, inputsDone) = sweep.Stack[--top];
            if (inputsDone)
            {
                if (resetUpstream) v._upstream = 0;
                sweep.Add(ref count, v);
                continue;
            }
            if (v._visitMark == mark) continue;
            v._visitMark = mark;
            sweep.Push(ref top, v, true);
            if (v._b is not null && v._b._visitMark != mark) sweep.Push(ref top, v._b, false);
            if (v._a is not null && v._a._visitMark != mark) sweep.Push(ref top, v._a, false);
        }
        return count;
    }

    /// <summary>
    /// Backpropagates from this wire with gradient 1: in reverse topological order each gate multiplies its
    /// local gradient by the upstream gradient and adds it into its inputs. Gradients accumulate across calls.
    /// </summary>
    public void Backward()
    {
        var sweep = Sweep.Rent();
        try
        {
            int count = Sort(sweep, resetUpstream: true);
            var order = sweep.Order;
            _upstream = 1;
            for (int i = count - 1; i >= 0; i--)
            {
                var v = order[i];
                double g = v._upstream;
                v.Grad += g;
                if (v.Op is null) continue;
                var (da, db) = v.Op.LocalGradient(v._a!.Data, v._b?.Data ?? 0, v.Constant, v.Data);
                v._a._upstream += da * g;
                if (v._b is not null) v._b._upstream += db * g;
            }
        }
        finally { sweep.Return(); }
    }

    /// <summary>
    /// The arrays of one sort, kept per thread between sweeps: a million-gate sweep would otherwise allocate tens of
    /// megabytes of large-object heap each time, and every such allocation invites a full collection of the graph.
    /// </summary>
    private sealed class Sweep
    {
        [ThreadStatic] private static Sweep? t_free;

        public Value[] Order = new Value[64];
        public (Value Wire, bool InputsDone)[] Stack = new (Value, bool)[64];
        private int _used, _stackUsed;

        public static Sweep Rent()
        {
            var sweep = t_free ?? new Sweep();
            t_free = null;  // a sweep started inside another (from a user gate) gets its own arrays
            return sweep;
        }

        public void Add(ref int count, Value v)
        {
            if (count == Order.Length) Array.Resize(ref Order, 2 * count);
            Order[count++] = v;
            _used = Math.Max(_used, count);
        }

        public void Push(ref int top, Value v, bool inputsDone)
        {
            if (top == Stack.Length) Array.Resize(ref Stack, 2 * top);
            Stack[top++] = (v, inputsDone);
            _stackUsed = Math.Max(_stackUsed, top);
        }

        // drops the references, so the arrays never keep a graph alive
        public void Return()
        {
            Array.Clear(Order, 0, _used);
            Array.Clear(Stack, 0, _stackUsed);
            _used = _stackUsed = 0;
            t_free = this;
        }
    }

    /// <summary>Sets the gradient of this wire and every wire it depends on to zero.</summary>
    public void ZeroGrad()
    {
        foreach (var v in Topological()) v.Grad = 0;
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"Value({(Label is null ? "" : Label + "=")}{Format.Number(Data)}, grad={Format.Number(Grad)})";
}
