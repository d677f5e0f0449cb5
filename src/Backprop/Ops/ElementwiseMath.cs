using Backprop.Kernels;

namespace Backprop;

// The math functions of torch's elementwise ops: trigonometric, hyperbolic, logarithms, the error function,
// rounding, and the two-input atan2, hypot, fmod, remainder and lerp. Each forward is a kernel of the op table or
// a composition of ops that computes PyTorch's formula exactly; each rule is written in tensor ops, so it
// differentiates again. Integer and Bool inputs run in the default float dtype, as in PyTorch.
public sealed partial class Tensor
{
    private const double Ln2 = 0.6931471805599453;
    private const double Ln10 = 2.302585092994046;
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double HalfSqrtPi = 0.886226925452758;

    /// <summary>sin x.</summary>
    public static Tensor Sin(Tensor x) => Op.Unary("Sin", x, UnaryKernel.Sin, (g, x, y) => g * Cos(x), Reads.X);

    /// <summary>cos x.</summary>
    public static Tensor Cos(Tensor x) => Op.Unary("Cos", x, UnaryKernel.Cos, (g, x, y) => g * -Sin(x), Reads.X);

    /// <summary>tan x; its derivative 1 + tan² x reuses the output.</summary>
    public static Tensor Tan(Tensor x) => Op.Unary("Tan", x, UnaryKernel.Tan, (g, x, y) => g * (1 + y * y), Reads.Y);

    /// <summary>arcsin x, NaN outside [−1, 1].</summary>
    public static Tensor Asin(Tensor x) =>
        Op.Unary("Asin", x, UnaryKernel.Asin, (g, x, y) => g / Sqrt(1 - x * x), Reads.X);

    /// <summary>arccos x, NaN outside [−1, 1].</summary>
    public static Tensor Acos(Tensor x) =>
        Op.Unary("Acos", x, UnaryKernel.Acos, (g, x, y) => -g / Sqrt(1 - x * x), Reads.X);

    /// <summary>arctan x.</summary>
    public static Tensor Atan(Tensor x) => Op.Unary("Atan", x, UnaryKernel.Atan, (g, x, y) => g / (x * x + 1), Reads.X);

    /// <summary>sinh x.</summary>
    public static Tensor Sinh(Tensor x) => Op.Unary("Sinh", x, UnaryKernel.Sinh, (g, x, y) => g * Cosh(x), Reads.X);

    /// <summary>cosh x.</summary>
    public static Tensor Cosh(Tensor x) => Op.Unary("Cosh", x, UnaryKernel.Cosh, (g, x, y) => g * Sinh(x), Reads.X);

    /// <summary>ln(1 + x), accurate for tiny x.</summary>
    public static Tensor Log1p(Tensor x) => Op.Unary("Log1p", x, UnaryKernel.Log1p, (g, x, y) => g / (x + 1), Reads.X);

    /// <summary>e^x − 1, accurate for tiny x; its derivative e^x is the output plus one.</summary>
    public static Tensor Expm1(Tensor x) => Op.Unary("Expm1", x, UnaryKernel.Expm1, (g, x, y) => g * (y + 1), Reads.Y);

    /// <summary>log₂ x.</summary>
    public static Tensor Log2(Tensor x) => Op.Unary("Log2", x, UnaryKernel.Log2, (g, x, y) => g / (x * Ln2), Reads.X);

    /// <summary>log₁₀ x.</summary>
    public static Tensor Log10(Tensor x) =>
        Op.Unary("Log10", x, UnaryKernel.Log10, (g, x, y) => g / (x * Ln10), Reads.X);

    /// <summary>The error function erf x = (2/√π)∫₀ˣ e^(−t²) dt.</summary>
    public static Tensor Erf(Tensor x) =>
        Op.Unary("Erf", x, UnaryKernel.Erf, (g, x, y) => TwoOverSqrtPi * Exp(-(x * x)) * g, Reads.X);

    /// <summary>The inverse of erf on (−1, 1): ±∞ at ±1, NaN beyond.</summary>
    public static Tensor Erfinv(Tensor x) =>
        Op.Unary("Erfinv", x, UnaryKernel.Erfinv, (g, x, y) => HalfSqrtPi * Exp(y * y) * g, Reads.Y);

    /// <summary>⌊x⌋; its gradient is zero, as in PyTorch. Integer tensors come back as a copy.</summary>
    public static Tensor Floor(Tensor x) => Rounding("Floor", x, UnaryKernel.Floor);

    /// <summary>⌈x⌉; its gradient is zero. Integer tensors come back as a copy.</summary>
    public static Tensor Ceil(Tensor x) => Rounding("Ceil", x, UnaryKernel.Ceil);

    /// <summary>x rounded to the nearest integer, halves to the even one (torch.round); its gradient is zero.</summary>
    public static Tensor Round(Tensor x) => Rounding("Round", x, UnaryKernel.Round);

    /// <summary>x rounded toward zero; its gradient is zero. Integer tensors come back as a copy.</summary>
    public static Tensor Trunc(Tensor x) => Rounding("Trunc", x, UnaryKernel.Trunc);

    // a step function: integers are already whole, and the gradient is zero almost everywhere
    private static Tensor Rounding(string name, Tensor x, UnaryKernel k)
    {
        Op.RequireNotBool(name, x);
        return x.DType.IsFloatingPoint()
            ? Op.Unary(name, x, k, (g, x, y) => ZerosLike(g), Reads.Nothing)
            : x.Clone();
    }

    /// <summary>x − trunc(x), the fractional part with x's sign (floating-point tensors only).</summary>
    public static Tensor Frac(Tensor x)
    {
        Op.RequireFloat("Frac", x);
        return x - Trunc(x);
    }

    /// <summary>1/x (an integer or Bool x gives the default float dtype).</summary>
    public static Tensor Reciprocal(Tensor x) => Div(1.0, x);

    /// <summary>1/√x.</summary>
    public static Tensor Rsqrt(Tensor x) => Div(1.0, Sqrt(x));

    /// <summary>x²; integers stay Int64 and Bool becomes Int64, as in PyTorch.</summary>
    public static Tensor Square(Tensor x) => Pow(x, 2L);

    /// <summary>True where x is NaN (Bool; never for integers).</summary>
    public static Tensor IsNan(Tensor x) => x.Ne(x);

    /// <summary>True where x is +∞ or −∞ (Bool; never for integers).</summary>
    public static Tensor IsInf(Tensor x)
    {
        if (!x.DType.IsFloatingPoint()) return Full(x.shape, 0, DType.Bool, x.Device);
        using (Autograd.NoGrad()) return Abs(x).Eq(double.PositiveInfinity);
    }

    /// <summary>True where x is neither NaN nor infinite (Bool; always for integers).</summary>
    public static Tensor IsFinite(Tensor x)
    {
        if (!x.DType.IsFloatingPoint()) return Full(x.shape, 1, DType.Bool, x.Device);
        using (Autograd.NoGrad()) return Abs(x).Lt(double.PositiveInfinity);
    }

    /// <summary>
    /// x with NaN replaced by <paramref name="nan"/>, +∞ by <paramref name="posinf"/> and −∞ by
    /// <paramref name="neginf"/> (by default the dtype's largest and smallest finite values); the gradient passes
    /// where x was finite. Integer tensors come back as a copy.
    /// </summary>
    public static Tensor NanToNum(Tensor x, double nan = 0, double? posinf = null, double? neginf = null)
    {
        if (!x.DType.IsFloatingPoint()) return x.Clone();
        double largest = x.DType == DType.Float32 ? float.MaxValue : double.MaxValue;
        var y = Where(IsNan(x), Op.Scalar(nan, x), x);
        y = Where(x.Eq(double.PositiveInfinity), Op.Scalar(posinf ?? largest, x), y);
        return Where(x.Eq(double.NegativeInfinity), Op.Scalar(neginf ?? -largest, x), y);
    }

    /// <summary>The angle of the point (b, a) in (−π, π], elementwise with broadcasting.</summary>
    public static Tensor Atan2(Tensor a, Tensor b) => Op.Binary("Atan2", a, b, BinaryKernel.Atan2,
        (g, a, b, y) => g * b / (a * a + b * b), Reads.A | Reads.B,
        (g, a, b, y) => g * -a / (a * a + b * b), Reads.A | Reads.B, floatResult: true);

    /// <summary>√(a² + b²) elementwise with broadcasting, without overflow in the squares.</summary>
    public static Tensor Hypot(Tensor a, Tensor b) => Op.Binary("Hypot", a, b, BinaryKernel.Hypot,
        (g, a, b, y) => g * a / y, Reads.A | Reads.Y,
        (g, a, b, y) => g * b / y, Reads.B | Reads.Y, floatResult: true);

    /// <summary>
    /// a − trunc(a/b)·b, C's fmod: the result has a's sign. Int64 stays Int64 (a zero divisor is refused).
    /// </summary>
    public static Tensor Fmod(Tensor a, Tensor b) => Op.Binary("Fmod", a, RequireNoIntegerZero("Fmod", a, b),
        BinaryKernel.Fmod, (g, a, b, y) => g, Reads.Nothing, (g, a, b, y) => -g * Trunc(a / b), Reads.A | Reads.B);

    /// <summary>
    /// a − ⌊a/b⌋·b, Python's %: the result has b's sign. Int64 stays Int64 (a zero divisor is refused).
    /// </summary>
    public static Tensor Remainder(Tensor a, Tensor b) => Op.Binary("Remainder", a,
        RequireNoIntegerZero("Remainder", a, b), BinaryKernel.Remainder, (g, a, b, y) => g, Reads.Nothing,
        (g, a, b, y) => -g * Floor(a / b), Reads.A | Reads.B);

    // integers have no remainder by zero (floats give NaN, as in PyTorch): refused here, as PyTorch raises
    private static Tensor RequireNoIntegerZero(string name, Tensor a, Tensor b)
    {
        if (!Promotion.ResultType(a, b).IsFloatingPoint() && b.Eq(0L).Any().ToArray<bool>()[0])
            throw new ArgumentException($"{name}: integer division by zero (divisor {Op.Describe(b)})");
        return b;
    }

    /// <summary>fmod(x, s).</summary>
    public static Tensor Fmod(Tensor x, double s) => Fmod(x, Op.Scalar(s, Op.WithScalar(x, true)));

    /// <summary>remainder(x, s), Python's x % s.</summary>
    public static Tensor Remainder(Tensor x, double s) => Remainder(x, Op.Scalar(s, Op.WithScalar(x, true)));

    /// <summary>
    /// start + weight·(end − start), with broadcasting, computed as PyTorch does: from the end,
    /// end − (end − start)·(1 − weight), where |weight| ≥ 1/2, so that weight 1 gives end exactly.
    /// </summary>
    public static Tensor Lerp(Tensor start, Tensor end, Tensor weight)
    {
        Op.RequireFloat("Lerp", start);
        var diff = end - start;
        return Where(Abs(weight).Lt(0.5), start + weight * diff, end - diff * (1 - weight));
    }

    /// <summary>start + weight·(end − start) for a constant weight, computed as PyTorch does.</summary>
    public static Tensor Lerp(Tensor start, Tensor end, double weight)
    {
        Op.RequireFloat("Lerp", start);
        var diff = end - start;
        return Math.Abs(weight) < 0.5 ? start + weight * diff : end - diff * (1 - weight);
    }

    /// <summary>sin this.</summary>
    public Tensor Sin() => Sin(this);
    /// <summary>cos this.</summary>
    public Tensor Cos() => Cos(this);
    /// <summary>tan this.</summary>
    public Tensor Tan() => Tan(this);
    /// <summary>arcsin this.</summary>
    public Tensor Asin() => Asin(this);
    /// <summary>arccos this.</summary>
    public Tensor Acos() => Acos(this);
    /// <summary>arctan this.</summary>
    public Tensor Atan() => Atan(this);
    /// <summary>sinh this.</summary>
    public Tensor Sinh() => Sinh(this);
    /// <summary>cosh this.</summary>
    public Tensor Cosh() => Cosh(this);
    /// <summary>ln(1 + this).</summary>
    public Tensor Log1p() => Log1p(this);
    /// <summary>e^this − 1.</summary>
    public Tensor Expm1() => Expm1(this);
    /// <summary>log₂ this.</summary>
    public Tensor Log2() => Log2(this);
    /// <summary>log₁₀ this.</summary>
    public Tensor Log10() => Log10(this);
    /// <summary>erf this.</summary>
    public Tensor Erf() => Erf(this);
    /// <summary>erf⁻¹ this.</summary>
    public Tensor Erfinv() => Erfinv(this);
    /// <summary>⌊this⌋.</summary>
    public Tensor Floor() => Floor(this);
    /// <summary>⌈this⌉.</summary>
    public Tensor Ceil() => Ceil(this);
    /// <summary>this rounded, halves to even.</summary>
    public Tensor Round() => Round(this);
    /// <summary>this rounded toward zero.</summary>
    public Tensor Trunc() => Trunc(this);
    /// <summary>this − trunc(this).</summary>
    public Tensor Frac() => Frac(this);
    /// <summary>1/this.</summary>
    public Tensor Reciprocal() => Reciprocal(this);
    /// <summary>1/√this.</summary>
    public Tensor Rsqrt() => Rsqrt(this);
    /// <summary>this².</summary>
    public Tensor Square() => Square(this);
    /// <summary>True where this is NaN.</summary>
    public Tensor IsNan() => IsNan(this);
    /// <summary>True where this is infinite.</summary>
    public Tensor IsInf() => IsInf(this);
    /// <summary>True where this is finite.</summary>
    public Tensor IsFinite() => IsFinite(this);
    /// <summary>This with NaN and infinities replaced.</summary>
    public Tensor NanToNum(double nan = 0, double? posinf = null, double? neginf = null) =>
        NanToNum(this, nan, posinf, neginf);
    /// <summary>atan2(this, other).</summary>
    public Tensor Atan2(Tensor other) => Atan2(this, other);
    /// <summary>hypot(this, other).</summary>
    public Tensor Hypot(Tensor other) => Hypot(this, other);
    /// <summary>fmod(this, other).</summary>
    public Tensor Fmod(Tensor other) => Fmod(this, other);
    /// <summary>fmod(this, s).</summary>
    public Tensor Fmod(double s) => Fmod(this, s);
    /// <summary>remainder(this, other).</summary>
    public Tensor Remainder(Tensor other) => Remainder(this, other);
    /// <summary>remainder(this, s).</summary>
    public Tensor Remainder(double s) => Remainder(this, s);
    /// <summary>this + weight·(end − this).</summary>
    public Tensor Lerp(Tensor end, Tensor weight) => Lerp(this, end, weight);
    /// <summary>this + weight·(end − this).</summary>
    public Tensor Lerp(Tensor end, double weight) => Lerp(this, end, weight);
}
