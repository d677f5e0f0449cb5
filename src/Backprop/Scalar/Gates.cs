namespace Backprop;

/// <summary>
/// Every built-in gate of the scalar engine in one table: its output and its local gradient side by side.
/// Arguments are the inputs a, b, the gate's constant k, and its output y (reused where the derivative
/// is cheapest in terms of the output, as for exp, tanh and sigmoid).
/// </summary>
public static class Gates
{
    /// <summary>a + b: distributes the gradient unchanged to both inputs.</summary>
    public static readonly Gate Add = new("add", "+", 2, (a, b, _) => a + b, (_, _, _, _) => (1, 1), "{a} + {b}",
        "{a} + {b}", (_, _, _, _) => ("1", "1"));

    /// <summary>a - b.</summary>
    public static readonly Gate Sub = new("sub", "-", 2, (a, b, _) => a - b, (_, _, _, _) => (1, -1), "{a} - {b}",
        "{a} - {b}", (_, _, _, _) => ("1", "-1"));

    /// <summary>a · b: each input's gradient is the other input's value (the inputs swap).</summary>
    public static readonly Gate Mul = new("mul", "*", 2, (a, b, _) => a * b, (a, b, _, _) => (b, a), "{a} * {b}",
        "{a} * {b}", (a, b, _, _) => (b, a));

    /// <summary>a / b.</summary>
    public static readonly Gate Div = new("div", "/", 2, (a, b, _) => a / b, (a, b, _, _) => (1 / b, -a / (b * b)), "{a} / {b}",
        "{a} / {b}", (a, b, _, _) => ($"1 / {b}", $"-{a} / ({b} * {b})"));

    /// <summary>a^b with a wire as exponent; ∂/∂b = a^b ln a, taken as 0 where a = 0 and b ≥ 0 (as PyTorch does).</summary>
    public static readonly Gate PowWire = new("pow", "^", 2, (a, b, _) => Math.Pow(a, b),
        (a, b, _, y) => (b * Math.Pow(a, b - 1), a == 0 && b >= 0 ? 0 : y * Math.Log(a)), "{a}^{b}",
        "Math.Pow({a}, {b})", (a, b, _, y) => ($"{b} * Math.Pow({a}, {b} - 1)", $"({a} == 0 && {b} >= 0 ? 0 : {y} * Math.Log({a}))"));

    /// <summary>max(a, b): routes the gradient to the larger input; at a tie it is split evenly (a valid subgradient).</summary>
    public static readonly Gate Max = new("max", "max", 2, (a, b, _) => Math.Max(a, b),
        (a, b, _, _) => a > b ? (1, 0) : a < b ? (0, 1) : (0.5, 0.5), null,
        "Math.Max({a}, {b})", (a, b, _, _) => ($"({a} > {b} ? 1 : {a} < {b} ? 0 : 0.5)", $"({a} > {b} ? 0 : {a} < {b} ? 1 : 0.5)"));

    /// <summary>min(a, b): routes the gradient to the smaller input; at a tie it is split evenly.</summary>
    public static readonly Gate Min = new("min", "min", 2, (a, b, _) => Math.Min(a, b),
        (a, b, _, _) => a < b ? (1, 0) : a > b ? (0, 1) : (0.5, 0.5), null,
        "Math.Min({a}, {b})", (a, b, _, _) => ($"({a} < {b} ? 1 : {a} > {b} ? 0 : 0.5)", $"({a} < {b} ? 0 : {a} > {b} ? 1 : 0.5)"));

    /// <summary>c + x, the notes' translate-by-a-constant gate f_c.</summary>
    public static readonly Gate AddConstant = new("add_const", "+c", 1, (a, _, k) => a + k, (_, _, _, _) => (1, 0), "{a} + {k}",
        "{a} + {k}", (_, _, _, _) => ("1", ""));

    /// <summary>a · x, the notes' scale-by-a-constant gate f_a.</summary>
    public static readonly Gate Scale = new("scale", "*a", 1, (a, _, k) => a * k, (_, _, k, _) => (k, 0), "{a} * {k}",
        "{a} * {k}", (_, _, k, _) => (Format.CSharp(k), ""));

    /// <summary>c - x.</summary>
    public static readonly Gate SubtractFromConstant = new("rsub_const", "c-", 1, (a, _, k) => k - a, (_, _, _, _) => (-1, 0), "{k} - {a}",
        "{k} - {a}", (_, _, _, _) => ("-1", ""));

    /// <summary>x^k for a constant k.</summary>
    public static readonly Gate Pow = new("pow_const", "^k", 1, (a, _, k) => Math.Pow(a, k), (a, _, k, _) => (k * Math.Pow(a, k - 1), 0), "{a}^{k}",
        "Math.Pow({a}, {k})", (a, _, k, _) => (k == 2 ? $"2 * {a}" : $"{Format.CSharp(k)} * Math.Pow({a}, {Format.CSharp(k - 1)})", ""));

    /// <summary>-x.</summary>
    public static readonly Gate Neg = new("neg", "-", 1, (a, _, _) => -a, (_, _, _, _) => (-1, 0), "-{a}",
        "-{a}", (_, _, _, _) => ("-1", ""));

    /// <summary>1/x: local gradient -1/x².</summary>
    public static readonly Gate Reciprocal = new("reciprocal", "1/x", 1, (a, _, _) => 1 / a, (a, _, _, _) => (-1 / (a * a), 0), "1/{a}",
        "1 / {a}", (a, _, _, _) => ($"-1 / ({a} * {a})", ""));

    /// <summary>e^x: its own derivative, so the output is reused.</summary>
    public static readonly Gate Exp = new("exp", "exp", 1, (a, _, _) => Math.Exp(a), (_, _, _, y) => (y, 0), null,
        "Math.Exp({a})", (_, _, _, y) => (y, ""));

    /// <summary>ln x.</summary>
    public static readonly Gate Log = new("log", "log", 1, (a, _, _) => Math.Log(a), (a, _, _, _) => (1 / a, 0), null,
        "Math.Log({a})", (a, _, _, _) => ($"1 / {a}", ""));

    /// <summary>√x: local gradient 1/(2√x), from the output.</summary>
    public static readonly Gate Sqrt = new("sqrt", "sqrt", 1, (a, _, _) => Math.Sqrt(a), (_, _, _, y) => (0.5 / y, 0), null,
        "Math.Sqrt({a})", (_, _, _, y) => ($"0.5 / {y}", ""));

    /// <summary>sin x.</summary>
    public static readonly Gate Sin = new("sin", "sin", 1, (a, _, _) => Math.Sin(a), (a, _, _, _) => (Math.Cos(a), 0), null,
        "Math.Sin({a})", (a, _, _, _) => ($"Math.Cos({a})", ""));

    /// <summary>cos x.</summary>
    public static readonly Gate Cos = new("cos", "cos", 1, (a, _, _) => Math.Cos(a), (a, _, _, _) => (-Math.Sin(a), 0), null,
        "Math.Cos({a})", (a, _, _, _) => ($"-Math.Sin({a})", ""));

    /// <summary>tanh x: local gradient 1 - y².</summary>
    public static readonly Gate Tanh = new("tanh", "tanh", 1, (a, _, _) => Math.Tanh(a), (_, _, _, y) => (1 - y * y, 0), null,
        "Math.Tanh({a})", (_, _, _, y) => ($"1 - {y} * {y}", ""));

    /// <summary>σ(x) = 1/(1+e^-x), one fused gate with the notes' simplified local gradient (1-σ)σ.</summary>
    public static readonly Gate Sigmoid = new("sigmoid", "σ", 1, (a, _, _) => 1 / (1 + Math.Exp(-a)), (_, _, _, y) => ((1 - y) * y, 0), null,
        "1 / (1 + Math.Exp(-{a}))", (_, _, _, y) => ($"(1 - {y}) * {y}", ""));

    /// <summary>max(0, x): passes the gradient where the input was positive.</summary>
    public static readonly Gate Relu = new("relu", "relu", 1, (a, _, _) => a > 0 ? a : 0, (a, _, _, _) => (a > 0 ? 1 : 0, 0), null,
        "({a} > 0 ? {a} : 0)", (a, _, _, _) => ($"({a} > 0 ? 1 : 0)", ""));

    /// <summary>|x|: local gradient sign(x), 0 at 0, NaN at NaN (Math.Sign would throw there).</summary>
    public static readonly Gate Abs = new("abs", "abs", 1, (a, _, _) => Math.Abs(a),
        (a, _, _, _) => (a > 0 ? 1 : a < 0 ? -1 : a == 0 ? 0 : double.NaN, 0), null,
        "Math.Abs({a})", (a, _, _, _) => ($"({a} > 0 ? 1 : {a} < 0 ? -1 : {a} == 0 ? 0 : double.NaN)", ""));
}
