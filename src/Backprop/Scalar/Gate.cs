namespace Backprop;

/// <summary>Computes a gate's output from its input wires (b is 0 for one-input gates) and its constant k.</summary>
public delegate double GateForward(double a, double b, double k);

/// <summary>
/// The local gradients of a gate: ∂y/∂a and ∂y/∂b at inputs a, b, constant k and output y.
/// The backward sweep multiplies them by the upstream gradient (the chain rule).
/// </summary>
public delegate (double da, double db) LocalGradient(double a, double b, double k, double y);

/// <summary>
/// The local gradients of a gate as C# expression text, given the C# text of its inputs a, b, its constant k
/// and its output y; used to print staged backward code. The text must compute what <see cref="LocalGradient"/> does.
/// </summary>
public delegate (string da, string db) LocalGradientCode(string a, string b, double k, string y);

/// <summary>
/// A kind of gate in a scalar circuit: a name, a symbol for diagrams, how it computes its output,
/// and its local gradient. The built-in gates are listed, with their rules, in <see cref="Gates"/>.
/// </summary>
public sealed class Gate
{
    /// <summary>
    /// Creates a gate kind; <paramref name="arity"/> is 1 or 2 input wires; <paramref name="notation"/> is how
    /// the gate reads in an expression, with {a}, {b} for the inputs and {k} for a constant (as in <c>"{a} * {k}"</c>);
    /// by default a function call, <c>symbol({a})</c>. <paramref name="forwardCode"/> (C#, same placeholders) and
    /// <paramref name="localGradientCode"/> let staged code be printed for the gate; without them it cannot be.
    /// </summary>
    public Gate(string name, string symbol, int arity, GateForward forward, LocalGradient localGradient, string? notation = null,
        string? forwardCode = null, LocalGradientCode? localGradientCode = null)
    {
        if (arity is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(arity), arity, "a gate has one or two input wires");
        Name = name;
        Symbol = symbol;
        Arity = arity;
        Forward = forward;
        LocalGradient = localGradient;
        _notation = notation ?? (arity == 1 ? symbol + "({a})" : symbol + "({a}, {b})");
        _forwardCode = forwardCode;
        LocalGradientCode = localGradientCode;
    }

    private readonly string? _forwardCode;

    /// <summary>True when the gate can be printed as C# (staged code): it has forward and local-gradient code.</summary>
    public bool HasCode => _forwardCode is not null && LocalGradientCode is not null;

    /// <summary>The local gradients as C# text, or null for a gate without code.</summary>
    public LocalGradientCode? LocalGradientCode { get; }

    /// <summary>The gate's output as a C# expression of the named inputs, as in <c>1.0 / (1 + Math.Exp(-y))</c>.</summary>
    public string ForwardCode(string a, string b = "", double constant = double.NaN) =>
        (_forwardCode ?? throw new InvalidOperationException($"gate '{Name}' has no C# form (a user-defined gate)"))
            .Replace("{a}", a).Replace("{b}", b).Replace("{k}", Format.CSharp(constant));

    /// <summary>The gate's name, as in <c>mul</c> or <c>sigmoid</c>.</summary>
    public string Name { get; }

    /// <summary>The symbol drawn on the gate in a diagram, as in <c>*</c> or <c>σ</c>.</summary>
    public string Symbol { get; }

    /// <summary>How many input wires the gate has (1 or 2).</summary>
    public int Arity { get; }

    private readonly string _notation;

    /// <summary>True for gates with a constant parameter (add c, scale by a, pow k).</summary>
    public bool HasConstant => _notation.Contains("{k}", StringComparison.Ordinal);

    /// <summary>The forward function.</summary>
    public GateForward Forward { get; }

    /// <summary>The local gradient with respect to each input.</summary>
    public LocalGradient LocalGradient { get; }

    /// <summary>How the gate reads applied to the named inputs, as in <c>q * z</c>, <c>1/den</c> or <c>σ(y)</c>.</summary>
    public string Notation(string a, string b = "", double constant = double.NaN) =>
        _notation.Replace("{a}", a).Replace("{b}", b).Replace("{k}", Format.Number(constant));

    /// <summary>The label drawn on the gate: its symbol, with the constant filled in (as in <c>*-1</c>, <c>+1</c>, <c>^2</c>).</summary>
    public string Describe(double constant) => HasConstant ? Notation("", "", constant).Replace(" ", "") : Symbol;

    /// <inheritdoc />
    public override string ToString() => Name;
}
