using Backprop.Kernels;

namespace Backprop;

// Elementwise arithmetic: each op's forward kernel and its gradient rule side by side.
public sealed partial class Tensor
{
    /// <summary>a + b with broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b) => Op.Binary("Add", a, b, BinaryKernel.Add,
        (g, a, b, y) => g, (g, a, b, y) => g);                          // add routes the gradient unchanged

    /// <summary>a - b with broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b) => Op.Binary("Sub", a, b, BinaryKernel.Sub,
        (g, a, b, y) => g, (g, a, b, y) => -g);

    /// <summary>a · b elementwise with broadcasting.</summary>
    public static Tensor Mul(Tensor a, Tensor b) => Op.Binary("Mul", a, b, BinaryKernel.Mul,
        (g, a, b, y) => g * b, (g, a, b, y) => g * a);                  // mul swaps its inputs, scaled by g

    /// <summary>a / b elementwise with broadcasting (floating point only).</summary>
    public static Tensor Div(Tensor a, Tensor b) => Op.Binary("Div", a, b, BinaryKernel.Div,
        (g, a, b, y) => g / b, (g, a, b, y) => -g * (a / b / b), intAllowed: false);   // PyTorch's order: its bits

    /// <summary>a ^ b elementwise with broadcasting.</summary>
    public static Tensor Pow(Tensor a, Tensor b) => Op.Binary("Pow", a, b, BinaryKernel.Pow,
        (g, a, b, y) => g * b * Pow(a, b - 1),
        (g, a, b, y) => Where(a.Eq(0), Op.Scalar(0, g), g * y * Log(a)),  // 0^b has no log; PyTorch also gives 0 there
        intAllowed: false);

    /// <summary>max(a, b) elementwise; where they tie the gradient is split evenly, as in PyTorch.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Op.Binary("Maximum", a, b, BinaryKernel.Maximum,
        (g, a, b, y) => g * WinnerShare(a, b), (g, a, b, y) => g * WinnerShare(b, a));

    /// <summary>min(a, b) elementwise; where they tie the gradient is split evenly.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Op.Binary("Minimum", a, b, BinaryKernel.Minimum,
        (g, a, b, y) => g * WinnerShare(b, a), (g, a, b, y) => g * WinnerShare(a, b));

    // 1 where a beats b, 1/2 where they tie, 0 where it loses
    private static Tensor WinnerShare(Tensor a, Tensor b) => a.Gt(b) + 0.5 * a.Eq(b);

    /// <summary>x + s.</summary>
    public static Tensor Add(Tensor x, double s) => Op.Scaled("Add", x, UnaryKernel.AddScalar, s, 1);

    /// <summary>x · s.</summary>
    public static Tensor Mul(Tensor x, double s) => Op.Scaled("Mul", x, UnaryKernel.MulScalar, s, s);

    /// <summary>s - x.</summary>
    public static Tensor Sub(double s, Tensor x) => Op.Scaled("Sub", x, UnaryKernel.RSubScalar, s, -1);

    /// <summary>x / s: a true division, not x · (1/s).</summary>
    public static Tensor Div(Tensor x, double s) =>
        Op.Record("Div", Op.Unary("Div", x, UnaryKernel.DivScalar, null, s), x, g => g / s);  // PyTorch's rule, g / s

    /// <summary>s / x.</summary>
    public static Tensor Div(double s, Tensor x) => Op.Unary("Div", x, UnaryKernel.RDivScalar, (g, x, y) => -g * y / x, s);

    /// <summary>x ^ p for a constant exponent.</summary>
    public static Tensor Pow(Tensor x, double p) => Op.Unary("Pow", x, UnaryKernel.PowScalar,
        (g, x, y) => p == 0 ? ZerosLike(g) : g * p * Pow(x, p - 1), p);  // d/dx x^p = p·x^(p-1)

    /// <summary>-x.</summary>
    public static Tensor Neg(Tensor x) => Op.Unary("Neg", x, UnaryKernel.Neg, (g, x, y) => -g, intAllowed: true);

    /// <summary>e^x.</summary>
    public static Tensor Exp(Tensor x) => Op.Unary("Exp", x, UnaryKernel.Exp, (g, x, y) => g * y);  // d/dx e^x = e^x: reuse the output

    /// <summary>Natural logarithm.</summary>
    public static Tensor Log(Tensor x) => Op.Unary("Log", x, UnaryKernel.Log, (g, x, y) => g / x);

    /// <summary>Square root.</summary>
    public static Tensor Sqrt(Tensor x) => Op.Unary("Sqrt", x, UnaryKernel.Sqrt, (g, x, y) => g * 0.5 / y);

    /// <summary>|x|; its gradient at 0 is 0, as in PyTorch.</summary>
    public static Tensor Abs(Tensor x) => Op.Unary("Abs", x, UnaryKernel.Abs, (g, x, y) => g * Sign(x), intAllowed: true);

    /// <summary>The sign of each element (-1, 0 or 1); not differentiable, so it records nothing.</summary>
    public static Tensor Sign(Tensor x) => Op.Unary("Sign", x, UnaryKernel.Sign, null, intAllowed: true);

    /// <summary>Limits each element to [min, max]; the gradient passes where min ≤ x ≤ max.</summary>
    public static Tensor Clamp(Tensor x, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (min > max) throw new ArgumentException($"Clamp: min {min} is greater than max {max}");
        return Op.Unary("Clamp", x, UnaryKernel.Clamp, (g, x, y) => g * InRange(x, min, max), min, max, intAllowed: true);
    }

    // 1 where min ≤ x ≤ max, else 0 (a constant mask: no gradient)
    private static Tensor InRange(Tensor x, double min, double max) => Op.Unary("InRange", x, UnaryKernel.InRange, null, min, max, intAllowed: true);

    /// <summary>Chooses a where <paramref name="condition"/> is nonzero, else b; all three broadcast together.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        Op.RequireSame("Where", a, b);
        var shape = Shapes.Broadcast("Where", Shapes.Broadcast("Where", condition.shape, a.shape), b.shape);
        var cond = condition.To(a.DType).Detach();
        var y = Empty(shape, a.DType, a.Device);
        a.Backend.Where(cond, a, b, y);
        var zero = Op.Scalar(0, a);
        return Op.RecordBinary("Where", a, b, y,
            (g, a, b, y) => Where(cond, g, zero), (g, a, b, y) => Where(cond, zero, g));
    }

    /// <summary>1 where a &gt; b, else 0, in the inputs' dtype (no gradient).</summary>
    public static Tensor Gt(Tensor a, Tensor b) => Op.Binary("Gt", a, b, BinaryKernel.Gt, null, null);
    /// <summary>1 where a ≥ b, else 0.</summary>
    public static Tensor Ge(Tensor a, Tensor b) => Op.Binary("Ge", a, b, BinaryKernel.Ge, null, null);
    /// <summary>1 where a &lt; b, else 0.</summary>
    public static Tensor Lt(Tensor a, Tensor b) => Op.Binary("Lt", a, b, BinaryKernel.Lt, null, null);
    /// <summary>1 where a ≤ b, else 0.</summary>
    public static Tensor Le(Tensor a, Tensor b) => Op.Binary("Le", a, b, BinaryKernel.Le, null, null);
    /// <summary>1 where a = b, else 0.</summary>
    public static Tensor Eq(Tensor a, Tensor b) => Op.Binary("Eq", a, b, BinaryKernel.Eq, null, null);

    /// <summary>1 where this &gt; other, else 0.</summary>
    public Tensor Gt(Tensor other) => Gt(this, other);
    /// <summary>1 where this &gt; s, else 0.</summary>
    public Tensor Gt(double s) => Gt(this, Op.Scalar(s, this));
    /// <summary>1 where this ≥ s, else 0.</summary>
    public Tensor Ge(double s) => Ge(this, Op.Scalar(s, this));
    /// <summary>1 where this &lt; s, else 0.</summary>
    public Tensor Lt(double s) => Lt(this, Op.Scalar(s, this));
    /// <summary>1 where this ≤ s, else 0.</summary>
    public Tensor Le(double s) => Le(this, Op.Scalar(s, this));
    /// <summary>1 where this = other, else 0.</summary>
    public Tensor Eq(Tensor other) => Eq(this, other);
    /// <summary>1 where this = s, else 0.</summary>
    public Tensor Eq(double s) => Eq(this, Op.Scalar(s, this));

    /// <summary>a + b.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);
    /// <summary>x + s.</summary>
    public static Tensor operator +(Tensor x, double s) => Add(x, s);
    /// <summary>s + x.</summary>
    public static Tensor operator +(double s, Tensor x) => Add(x, s);
    /// <summary>a - b.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Sub(a, b);
    /// <summary>x - s.</summary>
    public static Tensor operator -(Tensor x, double s) => Add(x, -s);
    /// <summary>s - x.</summary>
    public static Tensor operator -(double s, Tensor x) => Sub(s, x);
    /// <summary>a · b elementwise.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Mul(a, b);
    /// <summary>x · s.</summary>
    public static Tensor operator *(Tensor x, double s) => Mul(x, s);
    /// <summary>s · x.</summary>
    public static Tensor operator *(double s, Tensor x) => Mul(x, s);
    /// <summary>a / b elementwise.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Div(a, b);
    /// <summary>x / s.</summary>
    public static Tensor operator /(Tensor x, double s) => Div(x, s);
    /// <summary>s / x.</summary>
    public static Tensor operator /(double s, Tensor x) => Div(s, x);
    /// <summary>-x.</summary>
    public static Tensor operator -(Tensor x) => Neg(x);

    /// <summary>this ^ exponent elementwise.</summary>
    public Tensor Pow(Tensor exponent) => Pow(this, exponent);
    /// <summary>this ^ p.</summary>
    public Tensor Pow(double p) => Pow(this, p);
    /// <summary>e^this.</summary>
    public Tensor Exp() => Exp(this);
    /// <summary>ln this.</summary>
    public Tensor Log() => Log(this);
    /// <summary>√this.</summary>
    public Tensor Sqrt() => Sqrt(this);
    /// <summary>|this|.</summary>
    public Tensor Abs() => Abs(this);
    /// <summary>-this.</summary>
    public Tensor Neg() => Neg(this);
    /// <summary>this limited to [min, max].</summary>
    public Tensor Clamp(double min = double.NegativeInfinity, double max = double.PositiveInfinity) => Clamp(this, min, max);
    /// <summary>max(this, other) elementwise.</summary>
    public Tensor Maximum(Tensor other) => Maximum(this, other);
    /// <summary>min(this, other) elementwise.</summary>
    public Tensor Minimum(Tensor other) => Minimum(this, other);
}
