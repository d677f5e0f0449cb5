namespace Backprop;

/// <summary>
/// Every built-in gate of the scalar engine in one table, each rule written once, as math: a gate's output, then its
/// local gradient with respect to each input. One-input gates see their input x, the gate's constant k and their
/// output y; two-input gates see a, b and y. The output is reused where the derivative is cheapest in its terms
/// (exp, sqrt, tanh, sigmoid). The engine, staged code and compiled circuits are all derived from these rules.
/// </summary>
public static class Gates
{
    /// <summary>a + b: distributes the gradient unchanged to both inputs.</summary>
    public static readonly Gate Add = Gate.Binary("add", "+", (a, b) => a + b,
        da: (a, b, y) => 1, db: (a, b, y) => 1, "{a} + {b}");

    /// <summary>a - b.</summary>
    public static readonly Gate Sub = Gate.Binary("sub", "-", (a, b) => a - b,
        da: (a, b, y) => 1, db: (a, b, y) => -1, "{a} - {b}");

    /// <summary>a · b: each input's gradient is the other input's value (the inputs swap).</summary>
    public static readonly Gate Mul = Gate.Binary("mul", "*", (a, b) => a * b,
        da: (a, b, y) => b, db: (a, b, y) => a, "{a} * {b}");

    /// <summary>a / b.</summary>
    public static readonly Gate Div = Gate.Binary("div", "/", (a, b) => a / b,
        da: (a, b, y) => 1 / b, db: (a, b, y) => -a / (b * b), "{a} / {b}");

    /// <summary>a^b with a wire as exponent; ∂/∂b = a^b ln a, taken as 0 where a = 0 and b ≥ 0 (as PyTorch
    /// does).</summary>
    public static readonly Gate PowWire = Gate.Binary("pow", "^", (a, b) => Math.Pow(a, b),
        da: (a, b, y) => b * Math.Pow(a, b - 1), db: (a, b, y) => a == 0 && b >= 0 ? 0 : y * Math.Log(a), "{a}^{b}");

    /// <summary>max(a, b): routes the gradient to the larger input; at a tie it is split evenly (a valid
    /// subgradient).</summary>
    public static readonly Gate Max = Gate.Binary("max", "max", (a, b) => Math.Max(a, b),
        da: (a, b, y) => a > b ? 1 : a < b ? 0 : 0.5, db: (a, b, y) => a > b ? 0 : a < b ? 1 : 0.5);

    /// <summary>min(a, b): routes the gradient to the smaller input; at a tie it is split evenly.</summary>
    public static readonly Gate Min = Gate.Binary("min", "min", (a, b) => Math.Min(a, b),
        da: (a, b, y) => a < b ? 1 : a > b ? 0 : 0.5, db: (a, b, y) => a < b ? 0 : a > b ? 1 : 0.5);

    /// <summary>x + c, the notes' translate-by-a-constant gate f_c.</summary>
    public static readonly Gate AddConstant = Gate.Unary("add_const", "+c", (x, k) => x + k, (x, k, y) => 1,
        "{a} + {k}");

    /// <summary>a · x, the notes' scale-by-a-constant gate f_a.</summary>
    public static readonly Gate Scale = Gate.Unary("scale", "*a", (x, k) => x * k, (x, k, y) => k, "{a} * {k}");

    /// <summary>c - x.</summary>
    public static readonly Gate SubtractFromConstant = Gate.Unary("rsub_const", "c-", (x, k) => k - x, (x, k, y) => -1,
        "{k} - {a}");

    /// <summary>x^k for a constant k.</summary>
    public static readonly Gate Pow = Gate.Unary("pow_const", "^k", (x, k) => Math.Pow(x, k),
        (x, k, y) => k * Math.Pow(x, k - 1), "{a}^{k}");

    /// <summary>-x.</summary>
    public static readonly Gate Neg = Gate.Unary("neg", "-", (x, k) => -x, (x, k, y) => -1, "-{a}");

    /// <summary>1/x: local gradient -1/x².</summary>
    public static readonly Gate Reciprocal = Gate.Unary("reciprocal", "1/x", (x, k) => 1 / x, (x, k, y) => -1 / (x * x),
        "1/{a}");

    /// <summary>e^x: its own derivative, so the output is reused.</summary>
    public static readonly Gate Exp = Gate.Unary("exp", "exp", (x, k) => Math.Exp(x), (x, k, y) => y);

    /// <summary>ln x.</summary>
    public static readonly Gate Log = Gate.Unary("log", "log", (x, k) => Math.Log(x), (x, k, y) => 1 / x);

    /// <summary>√x: local gradient 1/(2√x), from the output.</summary>
    public static readonly Gate Sqrt = Gate.Unary("sqrt", "sqrt", (x, k) => Math.Sqrt(x), (x, k, y) => 0.5 / y);

    /// <summary>sin x.</summary>
    public static readonly Gate Sin = Gate.Unary("sin", "sin", (x, k) => Math.Sin(x), (x, k, y) => Math.Cos(x));

    /// <summary>cos x.</summary>
    public static readonly Gate Cos = Gate.Unary("cos", "cos", (x, k) => Math.Cos(x), (x, k, y) => -Math.Sin(x));

    /// <summary>tanh x: local gradient 1 - y².</summary>
    public static readonly Gate Tanh = Gate.Unary("tanh", "tanh", (x, k) => Math.Tanh(x), (x, k, y) => 1 - y * y);

    /// <summary>σ(x) = 1/(1+e^-x), one fused gate with the notes' simplified local gradient (1-σ)σ.</summary>
    public static readonly Gate Sigmoid = Gate.Unary("sigmoid", "σ", (x, k) => 1 / (1 + Math.Exp(-x)),
        (x, k, y) => (1 - y) * y);

    /// <summary>max(0, x): passes the gradient where the input was positive.</summary>
    public static readonly Gate Relu = Gate.Unary("relu", "relu", (x, k) => x > 0 ? x : 0, (x, k, y) => x > 0 ? 1 : 0);

    /// <summary>|x|: local gradient sign(x), 0 at 0, NaN at NaN.</summary>
    public static readonly Gate Abs = Gate.Unary("abs", "abs", (x, k) => Math.Abs(x),
        (x, k, y) => x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : double.NaN);
}
