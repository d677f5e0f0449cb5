using System.Linq.Expressions;
using LinqExpression = System.Linq.Expressions.Expression;

namespace Backprop;

/// <summary>Computes a gate's output from its input wires (b is 0 for one-input gates) and its constant k.</summary>
public delegate double GateForward(double a, double b, double k);

/// <summary>
/// The local gradients of a gate: ∂y/∂a and ∂y/∂b at inputs a, b, constant k and output y.
/// The backward sweep multiplies them by the upstream gradient (the chain rule).
/// </summary>
public delegate (double da, double db) LocalGradient(double a, double b, double k, double y);

/// <summary>
/// A kind of gate in a scalar circuit: a name, a symbol for diagrams, how it computes its output, and its local
/// gradient. Built-in gates (<see cref="Gates"/>) declare their rules as expressions, from which the engine's
/// functions, staged C# code and compiled circuits are all derived; a user-defined gate gives plain functions.
/// </summary>
public sealed class Gate
{
    /// <summary>
    /// Creates a user-defined gate kind from functions; <paramref name="arity"/> is 1 or 2 input wires;
    /// <paramref name="notation"/> is how the gate reads in an expression, with {a}, {b} for the inputs and {k} for a
    /// constant (as in <c>"{a} * {k}"</c>); by default a function call, <c>symbol({a})</c>.
    /// </summary>
    public Gate(string name, string symbol, int arity, GateForward forward, LocalGradient localGradient,
        string? notation = null)
    {
        if (arity is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(arity), arity,
            "a gate has one or two input wires");
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentNullException.ThrowIfNull(localGradient);
        Name = name;
        Symbol = symbol;
        Arity = arity;
        Forward = forward;
        LocalGradient = localGradient;
        _notation = notation ?? (arity == 1 ? symbol + "({a})" : symbol + "({a}, {b})");
    }

    private Gate(string name, string symbol, int arity, GateRules rules, string? notation)
        : this(name, symbol, arity,
            LinqExpression.Lambda<GateForward>(rules.Forward, GateRules.A, GateRules.B, GateRules.K).Compile(),
            LinqExpression.Lambda<LocalGradient>(LinqExpression.New(
                typeof((double, double)).GetConstructor([typeof(double), typeof(double)])!,
                rules.Da, rules.Db), GateRules.A, GateRules.B, GateRules.K, GateRules.Y).Compile(),
            notation)
    {
        Rules = rules;
    }

    /// <summary>A one-input gate from its rules: output y = forward(x, k), local gradient dy/dx = local(x, k,
    /// y).</summary>
    internal static Gate Unary(string name, string symbol, Expression<Func<double, double, double>> forward,
        Expression<Func<double, double, double, double>> local, string? notation = null) =>
        new(name, symbol, 1, GateRules.FromUnary(forward, local), notation);

    /// <summary>A two-input gate from its rules: y = forward(a, b), ∂y/∂a = da(a, b, y), ∂y/∂b = db(a, b,
    /// y).</summary>
    internal static Gate Binary(string name, string symbol, Expression<Func<double, double, double>> forward,
        Expression<Func<double, double, double, double>> da, Expression<Func<double, double, double, double>> db,
        string? notation = null) =>
        new(name, symbol, 2, GateRules.FromBinary(forward, da, db), notation);

    /// <summary>The rules as expressions over (a, b, k, y), or null for a user-defined gate.</summary>
    internal GateRules? Rules { get; }

    /// <summary>True when the gate can be printed as C# (staged code): a built-in gate with rules as
    /// expressions.</summary>
    public bool HasCode => Rules is not null;

    /// <summary>The gate's output as a C# expression of the named inputs, as in
    /// <c>1 / (1 + Math.Exp(-y))</c>.</summary>
    public string ForwardCode(string a, string b = "", double constant = double.NaN) =>
        ForwardCode(a, b, constant, CodeLanguage.CSharp);

    internal string ForwardCode(string a, string b, double constant, CodeLanguage language) =>
        RuleCode.Print(CodeRules.Forward, a, b, constant, "", language);

    /// <summary>The local gradients as C# expressions of the named inputs and output, as in
    /// <c>(1 - sigy) * sigy</c>.</summary>
    public (string da, string db) LocalGradientCode(string a, string b, double constant, string y) =>
        LocalGradientCode(a, b, constant, y, CodeLanguage.CSharp);

    internal (string da, string db) LocalGradientCode(string a, string b, double constant, string y,
        CodeLanguage language) =>
        (RuleCode.Print(CodeRules.Da, a, b, constant, y, language),
            Arity == 2 ? RuleCode.Print(CodeRules.Db, a, b, constant, y, language) : "");

    private GateRules CodeRules =>
        Rules ?? throw new InvalidOperationException($"gate '{Name}' has no C# form (a user-defined gate)");

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

    /// <summary>How the gate reads applied to the named inputs, as in <c>q * z</c>, <c>1/den</c> or
    /// <c>σ(y)</c>.</summary>
    public string Notation(string a, string b = "", double constant = double.NaN) =>
        _notation.Replace("{a}", a).Replace("{b}", b).Replace("{k}", Format.Number(constant));

    /// <summary>The label drawn on the gate: its symbol, with the constant filled in (as in <c>*-1</c>, <c>+1</c>,
    /// <c>^2</c>).</summary>
    public string Describe(double constant) => HasConstant ? Notation("", "", constant).Replace(" ", "") : Symbol;

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>A built-in gate's rules as expression bodies over the shared parameters a, b, k (constant) and y
/// (output).</summary>
internal sealed record GateRules(LinqExpression Forward, LinqExpression Da, LinqExpression Db)
{
    public static readonly ParameterExpression A = LinqExpression.Parameter(typeof(double), "a");
    public static readonly ParameterExpression B = LinqExpression.Parameter(typeof(double), "b");
    public static readonly ParameterExpression K = LinqExpression.Parameter(typeof(double), "k");
    public static readonly ParameterExpression Y = LinqExpression.Parameter(typeof(double), "y");

    public static GateRules FromUnary(Expression<Func<double, double, double>> forward,
        Expression<Func<double, double, double, double>> local) =>
        new(Rebind(forward, A, K), Rebind(local, A, K, Y), LinqExpression.Constant(0.0));

    public static GateRules FromBinary(Expression<Func<double, double, double>> forward,
        Expression<Func<double, double, double, double>> da, Expression<Func<double, double, double, double>> db) =>
        new(Rebind(forward, A, B), Rebind(da, A, B, Y), Rebind(db, A, B, Y));

    /// <summary>The body of <paramref name="rule"/> with its parameters replaced, in order, by
    /// <paramref name="with"/>.</summary>
    public static LinqExpression Rebind(LambdaExpression rule, params LinqExpression[] with) =>
        new Substitution(rule.Parameters.Zip(with).ToDictionary(p => (LinqExpression)p.First,
            p => p.Second)).Visit(rule.Body);

    /// <summary>Replaces parameters by other expressions.</summary>
    public sealed class Substitution(Dictionary<LinqExpression, LinqExpression> map) : ExpressionVisitor
    {
        protected override LinqExpression VisitParameter(ParameterExpression node) =>
            map.TryGetValue(node, out var e) ? e : node;
    }

    /// <summary>
    /// A rule with the gate's constant k filled in and folded: arithmetic on constants is done, and x^1 = x, 1·x =
    /// x·1 = x, so a constant gate's rule reads (and runs) simply; with <paramref name="squareAsProduct"/>, x^2
    /// becomes x·x.
    /// </summary>
    public static LinqExpression WithConstant(LinqExpression rule, double k, bool squareAsProduct) =>
        new Folder(squareAsProduct).Visit(new Substitution(new() { [K] = LinqExpression.Constant(k) }).Visit(rule));

    private sealed class Folder(bool squareAsProduct) : ExpressionVisitor
    {
        protected override LinqExpression VisitBinary(BinaryExpression node)
        {
            var left = Visit(node.Left);
            var right = Visit(node.Right);
            if (left is ConstantExpression { Value: double l } && right is ConstantExpression { Value: double r })
            {
                double? v = node.NodeType switch
                {
                    ExpressionType.Add => l + r, ExpressionType.Subtract => l - r,
                    ExpressionType.Multiply => l * r, ExpressionType.Divide => l / r, _ => null,
                };
                if (v is double folded) return LinqExpression.Constant(folded);
            }
            if (node.NodeType == ExpressionType.Multiply && left is ConstantExpression { Value: 1.0 }) return right;
            if (node.NodeType == ExpressionType.Multiply && right is ConstantExpression { Value: 1.0 }) return left;
            return node.Update(left, node.Conversion, right);
        }

        protected override LinqExpression VisitMethodCall(MethodCallExpression node)
        {
            var call = (MethodCallExpression)base.VisitMethodCall(node);
            if (call.Method.Name != nameof(Math.Pow)
                || call.Arguments[1] is not ConstantExpression { Value: double exponent }) return call;
            if (exponent == 1) return call.Arguments[0];
            // x·x is exactly rounded like pow(x, 2) and much cheaper to run
            return squareAsProduct && exponent == 2 && call.Arguments[0] is ParameterExpression x
                ? LinqExpression.Multiply(x, x) : call;
        }
    }
}
