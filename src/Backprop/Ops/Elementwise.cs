using Backprop.Kernels;

namespace Backprop;

// Elementwise arithmetic: each op's forward kernel and its gradient rule side by side.
public sealed partial class Tensor
{
    /// <summary>a + b with broadcasting; mixed dtypes promote as in PyTorch (for Bool, or).</summary>
    public static Tensor Add(Tensor a, Tensor b) => Op.Binary("Add", a, b, BinaryKernel.Add,
        (g, a, b, y) => g, Reads.Nothing, (g, a, b, y) => g, Reads.Nothing);   // add routes the gradient unchanged

    /// <summary>a - b with broadcasting (not for Bool, as in PyTorch).</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        Op.RequireNotBool("Sub", a);
        Op.RequireNotBool("Sub", b);
        return Op.Binary("Sub", a, b, BinaryKernel.Sub, (g, a, b, y) => g, Reads.Nothing, (g, a, b, y) => -g,
            Reads.Nothing);
    }

    /// <summary>a · b elementwise with broadcasting (for Bool, and).</summary>
    public static Tensor Mul(Tensor a, Tensor b) => Op.Binary("Mul", a, b, BinaryKernel.Mul,
        (g, a, b, y) => g * b, Reads.B, (g, a, b, y) => g * a, Reads.A);   // mul swaps its inputs, scaled by g

    /// <summary>
    /// a / b elementwise with broadcasting: true division, so integers and Bool give the default float dtype.
    /// </summary>
    public static Tensor Div(Tensor a, Tensor b) => Op.Binary("Div", a, b, BinaryKernel.Div,
        (g, a, b, y) => g / b, Reads.B,
        (g, a, b, y) => -g * (a / b / b), Reads.A | Reads.B, floatResult: true);   // PyTorch's order: its bits

    /// <summary>a ^ b elementwise with broadcasting; Int64 powers stay Int64, as in PyTorch.</summary>
    public static Tensor Pow(Tensor a, Tensor b) => Op.Binary("Pow", a, b, BinaryKernel.Pow,
        (g, a, b, y) => g * b * Pow(a, b - 1), Reads.A | Reads.B,
        // 0^b has no log; PyTorch also gives 0 there
        (g, a, b, y) => Where(a.Eq(0), Op.Scalar(0, g), g * y * Log(a)), Reads.A | Reads.Y);

    /// <summary>max(a, b) elementwise; where they tie the gradient is split evenly, as in PyTorch.</summary>
    public static Tensor Maximum(Tensor a, Tensor b) => Op.Binary("Maximum", a, b, BinaryKernel.Maximum,
        (g, a, b, y) => g * WinnerShare(a, b), Reads.A | Reads.B,
        (g, a, b, y) => g * WinnerShare(b, a), Reads.A | Reads.B);

    /// <summary>min(a, b) elementwise; where they tie the gradient is split evenly.</summary>
    public static Tensor Minimum(Tensor a, Tensor b) => Op.Binary("Minimum", a, b, BinaryKernel.Minimum,
        (g, a, b, y) => g * WinnerShare(b, a), Reads.A | Reads.B,
        (g, a, b, y) => g * WinnerShare(a, b), Reads.A | Reads.B);

    // 1 where a beats b, 1/2 where they tie, 0 where it loses, in a's (floating) dtype
    private static Tensor WinnerShare(Tensor a, Tensor b) => a.Gt(b).To(a.DType) + a.Eq(b).To(a.DType) * 0.5;

    // The ops with a C# number follow PyTorch's rule for Python numbers: a double with an Int64 or Bool tensor
    // gives the default float dtype, a long keeps an Int64 tensor Int64 (and makes a Bool one Int64), and neither
    // changes a float tensor's dtype; the number is converted to that dtype, and the op runs in it.

    /// <summary>x + s.</summary>
    public static Tensor Add(Tensor x, double s) => AddScalar(Op.WithScalar(x, true), s);
    /// <summary>x + s.</summary>
    public static Tensor Add(Tensor x, long s) => AddScalar(Op.WithScalar(x, false), s);

    private static Tensor AddScalar(Tensor x, double s) => Op.Scaled("Add", x, UnaryKernel.AddScalar, s, 1);

    /// <summary>x - s (not for Bool).</summary>
    public static Tensor Sub(Tensor x, double s)
    {
        Op.RequireNotBool("Sub", x);
        return Add(x, -s);   // x + (-s) rounds as x - s does
    }

    /// <summary>x - s (not for Bool).</summary>
    public static Tensor Sub(Tensor x, long s)
    {
        Op.RequireNotBool("Sub", x);
        return Add(x, -s);
    }

    /// <summary>s - x (not for Bool).</summary>
    public static Tensor Sub(double s, Tensor x) => RSub(s, x, true);
    /// <summary>s - x (not for Bool).</summary>
    public static Tensor Sub(long s, Tensor x) => RSub(s, x, false);

    private static Tensor RSub(double s, Tensor x, bool floatScalar)
    {
        Op.RequireNotBool("Sub", x);
        return Op.Scaled("Sub", Op.WithScalar(x, floatScalar), UnaryKernel.RSubScalar, s, -1);
    }

    /// <summary>x · s.</summary>
    public static Tensor Mul(Tensor x, double s) => MulScalar(Op.WithScalar(x, true), s);
    /// <summary>x · s.</summary>
    public static Tensor Mul(Tensor x, long s) => MulScalar(Op.WithScalar(x, false), s);

    private static Tensor MulScalar(Tensor x, double s) => Op.Scaled("Mul", x, UnaryKernel.MulScalar, s, s);

    /// <summary>x / s: true division (an integer or Bool x gives the default float dtype), not x · (1/s).</summary>
    public static Tensor Div(Tensor x, double s) => DivideBy(Op.Floating(x), s);
    /// <summary>x / s: true division (an integer or Bool x gives the default float dtype), not x · (1/s).</summary>
    public static Tensor Div(Tensor x, long s) => DivideBy(Op.Floating(x), s);

    // the gradient divides too, g / s, which is PyTorch's rule and rounds as it does
    private static Tensor DivideBy(Tensor x, double s) =>
        Op.Record("Div", Op.Unary("Div", x, UnaryKernel.DivScalar, null, Reads.Nothing, s), x, g => g / s, saved: []);

    /// <summary>s / x (an integer or Bool x gives the default float dtype).</summary>
    public static Tensor Div(double s, Tensor x) => RDiv(s, x);
    /// <summary>s / x (an integer or Bool x gives the default float dtype).</summary>
    public static Tensor Div(long s, Tensor x) => RDiv(s, x);

    private static Tensor RDiv(double s, Tensor x) =>
        Op.Unary("Div", Op.Floating(x), UnaryKernel.RDivScalar, (g, x, y) => -g * y / x, Reads.X | Reads.Y, s);

    /// <summary>x ^ p for a constant exponent.</summary>
    public static Tensor Pow(Tensor x, double p) => PowScalar(Op.WithScalar(x, true), p);

    /// <summary>x ^ p for a constant exponent; an Int64 x stays Int64, and then p must not be negative.</summary>
    public static Tensor Pow(Tensor x, long p)
    {
        x = Op.WithScalar(x, false);
        if (x.DType == DType.Int64 && p < 0)
            throw new ArgumentException($"Pow: an Int64 tensor ({Op.Describe(x)}) to the negative power {p}: " +
                "integers to negative integer powers are not allowed, as in PyTorch; convert with To(DType.Float32)");
        return PowScalar(x, p);
    }

    private static Tensor PowScalar(Tensor x, double p) => Op.Unary("Pow", x, UnaryKernel.PowScalar,
        (g, x, y) => p == 0 ? ZerosLike(g) : g * p * Pow(x, p - 1), Reads.X, p, intAllowed: true);  // p·x^(p-1)

    /// <summary>-x (not for Bool: invert a mask with LogicalNot).</summary>
    public static Tensor Neg(Tensor x)
    {
        Op.RequireNotBool("Neg", x);
        return Op.Unary("Neg", x, UnaryKernel.Neg, (g, x, y) => -g, Reads.Nothing, intAllowed: true);
    }

    /// <summary>e^x.</summary>
    public static Tensor Exp(Tensor x) =>
        Op.Unary("Exp", x, UnaryKernel.Exp, (g, x, y) => g * y, Reads.Y);  // d/dx e^x = e^x: reuse the output

    /// <summary>Natural logarithm.</summary>
    public static Tensor Log(Tensor x) => Op.Unary("Log", x, UnaryKernel.Log, (g, x, y) => g / x, Reads.X);

    /// <summary>Square root.</summary>
    public static Tensor Sqrt(Tensor x) => Op.Unary("Sqrt", x, UnaryKernel.Sqrt, (g, x, y) => g * 0.5 / y, Reads.Y);

    /// <summary>|x|; its gradient at 0 is 0, as in PyTorch.</summary>
    public static Tensor Abs(Tensor x) =>
        Op.Unary("Abs", x, UnaryKernel.Abs, (g, x, y) => g * Sign(x), Reads.X, intAllowed: true);

    /// <summary>The sign of each element (-1, 0 or 1); not differentiable, so it records nothing.</summary>
    public static Tensor Sign(Tensor x) => Op.Unary("Sign", x, UnaryKernel.Sign, null, Reads.Nothing, intAllowed: true);

    /// <summary>Limits each element to [min, max]; the gradient passes where min ≤ x ≤ max.</summary>
    public static Tensor Clamp(Tensor x, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (min > max) throw new ArgumentException($"Clamp: min {min} is greater than max {max}");
        return Op.Unary("Clamp", x, UnaryKernel.Clamp, (g, x, y) => g * InRange(x, min, max), Reads.X, min, max,
            intAllowed: true);
    }

    // 1 where min ≤ x ≤ max, else 0 (a constant mask: no gradient)
    private static Tensor InRange(Tensor x, double min, double max) =>
        Op.Unary("InRange", x, UnaryKernel.InRange, null, Reads.Nothing, min, max, intAllowed: true);

    /// <summary>
    /// Chooses a where the Bool <paramref name="condition"/> is true, else b; all three broadcast together, and a and
    /// b promote to one dtype as in PyTorch.
    /// </summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        if (condition.DType != DType.Bool)
            throw new ArgumentException($"Where: the condition must be Bool, got {Op.Describe(condition)} " +
                "(make one with a comparison, such as x.Ne(0))");
        Op.RequireSameDevice("Where", condition, a);
        Op.RequireSameDevice("Where", a, b);
        var shape = Shapes.Broadcast("Where", Shapes.Broadcast("Where", condition.shape, a.shape), b.shape);
        var dtype = Promotion.ResultType(a, b);
        a = a.To(dtype);
        b = b.To(dtype);
        var y = Empty(shape, dtype, a.Device);
        a.Backend.Where(condition, a, b, y);
        var zero = Op.Scalar(0, a);
        int[] aShape = a.shape, bShape = b.shape;
        bool needA = a.RequiresGrad, needB = b.RequiresGrad;
        // the rule reads the condition, which is the caller's tensor: saved with its version
        return Op.Record("Where", y, [a, b], g =>
        [
            needA ? Op.SumTo(Where(condition, g, zero), aShape) : null,
            needB ? Op.SumTo(Where(condition, zero, g), bShape) : null,
        ], saved: [condition]);
    }

    /// <summary>True where a &gt; b (Bool; no gradient); mixed dtypes compare in their promoted dtype.</summary>
    public static Tensor Gt(Tensor a, Tensor b) => Op.Binary("Gt", a, b, BinaryKernel.Gt);
    /// <summary>True where a ≥ b.</summary>
    public static Tensor Ge(Tensor a, Tensor b) => Op.Binary("Ge", a, b, BinaryKernel.Ge);
    /// <summary>True where a &lt; b.</summary>
    public static Tensor Lt(Tensor a, Tensor b) => Op.Binary("Lt", a, b, BinaryKernel.Lt);
    /// <summary>True where a ≤ b.</summary>
    public static Tensor Le(Tensor a, Tensor b) => Op.Binary("Le", a, b, BinaryKernel.Le);
    /// <summary>True where a = b.</summary>
    public static Tensor Eq(Tensor a, Tensor b) => Op.Binary("Eq", a, b, BinaryKernel.Eq);
    /// <summary>True where a ≠ b (NaN differs from everything, itself included).</summary>
    public static Tensor Ne(Tensor a, Tensor b) => Op.Binary("Ne", a, b, BinaryKernel.Ne);

    // this ∘ s in the dtype the pair promotes to (an Int64 tensor with a double compares as floats)
    private Tensor CompareWith(string name, BinaryKernel k, double s, bool floatScalar)
    {
        var x = Op.WithScalar(this, floatScalar);
        return Op.Binary(name, x, Op.Scalar(s, x), k);
    }

    /// <summary>True where this &gt; other.</summary>
    public Tensor Gt(Tensor other) => Gt(this, other);
    /// <summary>True where this &gt; s.</summary>
    public Tensor Gt(double s) => CompareWith("Gt", BinaryKernel.Gt, s, true);
    /// <summary>True where this &gt; s.</summary>
    public Tensor Gt(long s) => CompareWith("Gt", BinaryKernel.Gt, s, false);
    /// <summary>True where this ≥ other.</summary>
    public Tensor Ge(Tensor other) => Ge(this, other);
    /// <summary>True where this ≥ s.</summary>
    public Tensor Ge(double s) => CompareWith("Ge", BinaryKernel.Ge, s, true);
    /// <summary>True where this ≥ s.</summary>
    public Tensor Ge(long s) => CompareWith("Ge", BinaryKernel.Ge, s, false);
    /// <summary>True where this &lt; other.</summary>
    public Tensor Lt(Tensor other) => Lt(this, other);
    /// <summary>True where this &lt; s.</summary>
    public Tensor Lt(double s) => CompareWith("Lt", BinaryKernel.Lt, s, true);
    /// <summary>True where this &lt; s.</summary>
    public Tensor Lt(long s) => CompareWith("Lt", BinaryKernel.Lt, s, false);
    /// <summary>True where this ≤ other.</summary>
    public Tensor Le(Tensor other) => Le(this, other);
    /// <summary>True where this ≤ s.</summary>
    public Tensor Le(double s) => CompareWith("Le", BinaryKernel.Le, s, true);
    /// <summary>True where this ≤ s.</summary>
    public Tensor Le(long s) => CompareWith("Le", BinaryKernel.Le, s, false);
    /// <summary>True where this = other.</summary>
    public Tensor Eq(Tensor other) => Eq(this, other);
    /// <summary>True where this = s.</summary>
    public Tensor Eq(double s) => CompareWith("Eq", BinaryKernel.Eq, s, true);
    /// <summary>True where this = s.</summary>
    public Tensor Eq(long s) => CompareWith("Eq", BinaryKernel.Eq, s, false);
    /// <summary>True where this ≠ other.</summary>
    public Tensor Ne(Tensor other) => Ne(this, other);
    /// <summary>True where this ≠ s.</summary>
    public Tensor Ne(double s) => CompareWith("Ne", BinaryKernel.Ne, s, true);
    /// <summary>True where this ≠ s.</summary>
    public Tensor Ne(long s) => CompareWith("Ne", BinaryKernel.Ne, s, false);

    /// <summary>True where x is false or zero (Bool), as torch.logical_not.</summary>
    public static Tensor LogicalNot(Tensor x) =>
        Op.Binary("LogicalNot", x, Op.Scalar(0, x), BinaryKernel.Eq);
    /// <summary>True where both are true or nonzero (Bool), with broadcasting.</summary>
    public static Tensor LogicalAnd(Tensor a, Tensor b) => Logical("LogicalAnd", a, b, BinaryKernel.LogicalAnd);
    /// <summary>True where either is true or nonzero (Bool), with broadcasting.</summary>
    public static Tensor LogicalOr(Tensor a, Tensor b) => Logical("LogicalOr", a, b, BinaryKernel.LogicalOr);
    /// <summary>True where exactly one is true or nonzero (Bool), with broadcasting.</summary>
    public static Tensor LogicalXor(Tensor a, Tensor b) => Logical("LogicalXor", a, b, BinaryKernel.LogicalXor);

    // numbers count as true where nonzero, as in PyTorch's logical ops
    private static Tensor Logical(string name, Tensor a, Tensor b, BinaryKernel k)
    {
        Op.RequireSameDevice(name, a, b);
        return Op.Binary(name, a.To(DType.Bool), b.To(DType.Bool), k);
    }

    /// <summary>Not this (Bool).</summary>
    public Tensor LogicalNot() => LogicalNot(this);
    /// <summary>This and other (Bool).</summary>
    public Tensor LogicalAnd(Tensor other) => LogicalAnd(this, other);
    /// <summary>This or other (Bool).</summary>
    public Tensor LogicalOr(Tensor other) => LogicalOr(this, other);
    /// <summary>This xor other (Bool).</summary>
    public Tensor LogicalXor(Tensor other) => LogicalXor(this, other);

    /// <summary>a + b.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);
    /// <summary>x + s.</summary>
    public static Tensor operator +(Tensor x, double s) => Add(x, s);
    /// <summary>x + s.</summary>
    public static Tensor operator +(Tensor x, long s) => Add(x, s);
    /// <summary>s + x.</summary>
    public static Tensor operator +(double s, Tensor x) => Add(x, s);
    /// <summary>s + x.</summary>
    public static Tensor operator +(long s, Tensor x) => Add(x, s);
    /// <summary>a - b.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Sub(a, b);
    /// <summary>x - s.</summary>
    public static Tensor operator -(Tensor x, double s) => Sub(x, s);
    /// <summary>x - s.</summary>
    public static Tensor operator -(Tensor x, long s) => Sub(x, s);
    /// <summary>s - x.</summary>
    public static Tensor operator -(double s, Tensor x) => Sub(s, x);
    /// <summary>s - x.</summary>
    public static Tensor operator -(long s, Tensor x) => Sub(s, x);
    /// <summary>a · b elementwise.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Mul(a, b);
    /// <summary>x · s.</summary>
    public static Tensor operator *(Tensor x, double s) => Mul(x, s);
    /// <summary>x · s.</summary>
    public static Tensor operator *(Tensor x, long s) => Mul(x, s);
    /// <summary>s · x.</summary>
    public static Tensor operator *(double s, Tensor x) => Mul(x, s);
    /// <summary>s · x.</summary>
    public static Tensor operator *(long s, Tensor x) => Mul(x, s);
    /// <summary>a / b elementwise.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Div(a, b);
    /// <summary>x / s.</summary>
    public static Tensor operator /(Tensor x, double s) => Div(x, s);
    /// <summary>x / s.</summary>
    public static Tensor operator /(Tensor x, long s) => Div(x, s);
    /// <summary>s / x.</summary>
    public static Tensor operator /(double s, Tensor x) => Div(s, x);
    /// <summary>s / x.</summary>
    public static Tensor operator /(long s, Tensor x) => Div(s, x);
    /// <summary>-x.</summary>
    public static Tensor operator -(Tensor x) => Neg(x);

    /// <summary>this ^ exponent elementwise.</summary>
    public Tensor Pow(Tensor exponent) => Pow(this, exponent);
    /// <summary>this ^ p.</summary>
    public Tensor Pow(double p) => Pow(this, p);
    /// <summary>this ^ p; an Int64 tensor stays Int64.</summary>
    public Tensor Pow(long p) => Pow(this, p);
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
    public Tensor Clamp(double min = double.NegativeInfinity, double max = double.PositiveInfinity) =>
        Clamp(this, min, max);
    /// <summary>max(this, other) elementwise.</summary>
    public Tensor Maximum(Tensor other) => Maximum(this, other);
    /// <summary>min(this, other) elementwise.</summary>
    public Tensor Minimum(Tensor other) => Minimum(this, other);
}
