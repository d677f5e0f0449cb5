using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels.Cpu;

// Each kernel is a struct whose static methods the JIT specializes per element type: no virtual call or
// delegate per element. TryApply runs the whole span through TensorPrimitives where it has the operation.

/// <summary>An elementwise function of one element and the op's parameters p, q.</summary>
internal interface IUnaryOperator<T> where T : unmanaged
{
    static abstract T Apply(T x, T p, T q);
    static virtual bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) => false;
}

/// <summary>A unary operator whose Vector256 form takes p in every lane; <see cref="VectorUnary.Run"/> sweeps a span
/// with it.</summary>
internal interface IVectorUnary<T> : IUnaryOperator<T> where T : unmanaged
{
    static abstract Vector256<T> Apply(Vector256<T> x, Vector256<T> p);
}

internal static class VectorUnary
{
    /// <summary>y = op(x; p) by whole vectors, the tail by the scalar rule.</summary>
    public static bool Run<TOp, T>(ReadOnlySpan<T> x, Span<T> y, T p, T q)
        where TOp : IVectorUnary<T> where T : unmanaged
    {
        ref T xs = ref MemoryMarshal.GetReference(x);
        ref T ys = ref MemoryMarshal.GetReference(y);
        var lanes = Vector256.Create(p);
        int w = Vector256<T>.Count, i = 0;
        for (; i <= x.Length - w; i += w)
            TOp.Apply(Vector256.LoadUnsafe(ref xs, (nuint)i), lanes).StoreUnsafe(ref ys, (nuint)i);
        for (; i < x.Length; i++) y[i] = TOp.Apply(x[i], p, q);
        return true;
    }
}

/// <summary>An elementwise function of two elements.</summary>
internal interface IBinaryOperator<T> where T : unmanaged
{
    static abstract T Apply(T a, T b);

    /// <summary>Whether the Vector256 form exists: the scalar rule lane by lane, with the same bits.</summary>
    static virtual bool HasVectorForm => false;
    static virtual Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => throw new NotSupportedException();

    static virtual bool TryApply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => false;
    static virtual bool TryApply(ReadOnlySpan<T> a, T b, Span<T> y) => false;
    static virtual bool TryApply(T a, ReadOnlySpan<T> b, Span<T> y) => false;
}

/// <summary>
/// A reduction: a run reduced to one element, two partial results combined, and runs folded elementwise into a
/// running result (a reduction over leading dims, as a bias gradient, adds whole rows).
/// </summary>
internal interface IReduceOperator<T> where T : unmanaged
{
    static abstract T Reduce(ReadOnlySpan<T> run);
    static abstract T Combine(T a, T b);
    static abstract void Fold(ReadOnlySpan<T> acc, ReadOnlySpan<T> run, Span<T> into);
}

internal struct SumReduce<T> : IReduceOperator<T> where T : unmanaged, INumber<T>
{
    public static T Reduce(ReadOnlySpan<T> run) => TensorPrimitives.Sum(run);
    public static T Combine(T a, T b) => a + b;
    public static void Fold(ReadOnlySpan<T> acc, ReadOnlySpan<T> run, Span<T> into) =>
        TensorPrimitives.Add(acc, run, into);
}
internal struct MaxReduce<T> : IReduceOperator<T> where T : unmanaged, INumber<T>
{
    public static T Reduce(ReadOnlySpan<T> run) => TensorPrimitives.Max(run);
    public static T Combine(T a, T b) => T.Max(a, b);
    public static void Fold(ReadOnlySpan<T> acc, ReadOnlySpan<T> run, Span<T> into) =>
        TensorPrimitives.Max(acc, run, into);
}
internal struct MinReduce<T> : IReduceOperator<T> where T : unmanaged, INumber<T>
{
    public static T Reduce(ReadOnlySpan<T> run) => TensorPrimitives.Min(run);
    public static T Combine(T a, T b) => T.Min(a, b);
    public static void Fold(ReadOnlySpan<T> acc, ReadOnlySpan<T> run, Span<T> into) =>
        TensorPrimitives.Min(acc, run, into);
}

/// <summary>A comparison of two elements, whose result a Bool tensor stores.</summary>
internal interface IComparison<T> where T : unmanaged
{
    static abstract bool Apply(T a, T b);
}

internal struct NegOp<T> : IUnaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T x, T p, T q) => -x;
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) { TensorPrimitives.Negate(x, y); return true; }
}
internal struct AbsOp<T> : IUnaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T x, T p, T q) => T.Abs(x);
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) { TensorPrimitives.Abs(x, y); return true; }
}
internal struct SignOp<T> : IUnaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T x, T p, T q) => x > T.Zero ? T.One : x < T.Zero ? -T.One : x;
}
internal struct AddScalarOp<T> : IUnaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T x, T p, T q) => x + p;
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) { TensorPrimitives.Add(x, p, y); return true; }
}
internal struct MulScalarOp<T> : IUnaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T x, T p, T q) => x * p;
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q)
    {
        TensorPrimitives.Multiply(x, p, y);
        return true;
    }
}
internal struct RSubScalarOp<T> : IUnaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T x, T p, T q) => p - x;
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q)
    {
        TensorPrimitives.Subtract(p, x, y);
        return true;
    }
}
internal struct ClampOp<T> : IUnaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T x, T p, T q) => x < p ? p : x > q ? q : x;
}
internal struct InRangeOp<T> : IUnaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T x, T p, T q) => x >= p && x <= q ? T.One : T.Zero;
}

internal struct ExpOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Exp(x);
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) { TensorPrimitives.Exp(x, y); return true; }
}
internal struct LogOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Log(x);
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) { TensorPrimitives.Log(x, y); return true; }
}
internal struct SqrtOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Sqrt(x);
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) { TensorPrimitives.Sqrt(x, y); return true; }
}
internal struct TanhOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Tanh(x);
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) { TensorPrimitives.Tanh(x, y); return true; }
}
internal struct SigmoidOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.One / (T.One + T.Exp(-x));
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) { TensorPrimitives.Sigmoid(x, y); return true; }
}
internal struct ReluOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => x > T.Zero || T.IsNaN(x) ? x : T.Zero;

    /// <summary>x with its lanes at or below zero cleared: NaN compares false, so it passes, as in the scalar
    /// rule.</summary>
    public static Vector256<T> Apply(Vector256<T> x) =>
        Vector256.AndNot(x, Vector256.LessThanOrEqual(x, Vector256<T>.Zero));

    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q)
    {
        ref T xs = ref MemoryMarshal.GetReference(x);
        ref T ys = ref MemoryMarshal.GetReference(y);
        int w = Vector256<T>.Count, i = 0;
        for (; i <= x.Length - w; i += w) Apply(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        for (; i < x.Length; i++) y[i] = Apply(x[i], p, q);
        return true;
    }
}
internal struct PassIfPositiveOp<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b) => b > T.Zero ? a : T.Zero;
    public static bool HasVectorForm => true;

    /// <summary>The lanes of a where b &gt; 0, else 0, as the scalar rule.</summary>
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a & Vector256.GreaterThan(b, Vector256<T>.Zero);

    public static bool TryApply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
    {
        ref T @as = ref MemoryMarshal.GetReference(a);
        ref T bs = ref MemoryMarshal.GetReference(b);
        ref T ys = ref MemoryMarshal.GetReference(y);
        int w = Vector256<T>.Count, i = 0;
        for (; i <= a.Length - w; i += w)
            Apply(Vector256.LoadUnsafe(ref @as, (nuint)i), Vector256.LoadUnsafe(ref bs, (nuint)i))
                .StoreUnsafe(ref ys, (nuint)i);
        for (; i < a.Length; i++) y[i] = Apply(a[i], b[i]);
        return true;
    }
}
internal struct LeakyReluOp<T> : IVectorUnary<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => x > T.Zero ? x : p * x;

    public static Vector256<T> Apply(Vector256<T> x, Vector256<T> p) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), x, x * p);

    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) =>
        VectorUnary.Run<LeakyReluOp<T>, T>(x, y, p, q);
}
internal struct LeakyReluSlopeOp<T> : IVectorUnary<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => x > T.Zero ? T.One : p;

    public static Vector256<T> Apply(Vector256<T> x, Vector256<T> p) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), Vector256<T>.One, p);

    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) =>
        VectorUnary.Run<LeakyReluSlopeOp<T>, T>(x, y, p, q);
}
internal struct NormalCdfOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.CreateTruncating(NormalDistribution.Cdf(double.CreateTruncating(x)));
}
internal struct GeluOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) =>
        T.CreateTruncating(double.CreateTruncating(x) * NormalDistribution.Cdf(double.CreateTruncating(x)));
}
internal struct GeluTanhOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q)
    {
        double v = double.CreateTruncating(x);
        return T.CreateTruncating(0.5 * v * (1 + Math.Tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))));
    }
}
internal struct SiluOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => x / (T.One + T.Exp(-x));
}
/// <summary>ln(1 + e^(βx))/β with β = p, equal to x where βx exceeds the threshold q, as in PyTorch.</summary>
internal struct SoftplusOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => x * p > q ? x : Log1p(T.Exp(x * p)) / p;

    // log(1+u) without losing u's digits when u is tiny: the rounding of 1+u is corrected by u/((1+u)-1).
    private static T Log1p(T u)
    {
        T w = T.One + u;
        return w == T.One ? u : T.Log(w) * u / (w - T.One);
    }
}
internal struct RDivScalarOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => p / x;
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q)
    {
        TensorPrimitives.Divide(p, x, y);
        return true;
    }
}
internal struct PowScalarOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    // x¹ (what a square's backward reads) and x² with pow's exact results, without its cost
    public static T Apply(T x, T p, T q) => p == T.One ? x : p == T.CreateTruncating(2) ? x * x : T.Pow(x, p);
}
internal struct DivScalarOp<T> : IUnaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T x, T p, T q) => x / p;
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q)
    {
        TensorPrimitives.Divide(x, p, y);
        return true;
    }
}
internal struct IntPowScalarOp<T> : IUnaryOperator<T> where T : unmanaged, IBinaryInteger<T>
{
    public static T Apply(T x, T p, T q) => IntPowOp<T>.Apply(x, p);
}

internal struct AddOp<T> : IBinaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => a + b;
    public static bool HasVectorForm => Vector256<T>.IsSupported;
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a + b;
    public static bool TryApply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
    {
        TensorPrimitives.Add(a, b, y);
        return true;
    }
    public static bool TryApply(ReadOnlySpan<T> a, T b, Span<T> y) { TensorPrimitives.Add(a, b, y); return true; }
    public static bool TryApply(T a, ReadOnlySpan<T> b, Span<T> y) { TensorPrimitives.Add(b, a, y); return true; }
}
internal struct SubOp<T> : IBinaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => a - b;
    public static bool HasVectorForm => Vector256<T>.IsSupported;
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a - b;
    public static bool TryApply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
    {
        TensorPrimitives.Subtract(a, b, y);
        return true;
    }
    public static bool TryApply(ReadOnlySpan<T> a, T b, Span<T> y) { TensorPrimitives.Subtract(a, b, y); return true; }
    public static bool TryApply(T a, ReadOnlySpan<T> b, Span<T> y) { TensorPrimitives.Subtract(a, b, y); return true; }
}
internal struct MulOp<T> : IBinaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => a * b;
    public static bool HasVectorForm => Vector256<T>.IsSupported;
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a * b;
    public static bool TryApply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
    {
        TensorPrimitives.Multiply(a, b, y);
        return true;
    }
    public static bool TryApply(ReadOnlySpan<T> a, T b, Span<T> y) { TensorPrimitives.Multiply(a, b, y); return true; }
    public static bool TryApply(T a, ReadOnlySpan<T> b, Span<T> y) { TensorPrimitives.Multiply(b, a, y); return true; }
}
internal struct DivOp<T> : IBinaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => a / b;
    // integer lanes have no division instruction
    public static bool HasVectorForm => typeof(T) == typeof(float) || typeof(T) == typeof(double);
    public static Vector256<T> Apply(Vector256<T> a, Vector256<T> b) => a / b;
    public static bool TryApply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
    {
        TensorPrimitives.Divide(a, b, y);
        return true;
    }
    public static bool TryApply(ReadOnlySpan<T> a, T b, Span<T> y) { TensorPrimitives.Divide(a, b, y); return true; }
    public static bool TryApply(T a, ReadOnlySpan<T> b, Span<T> y) { TensorPrimitives.Divide(a, b, y); return true; }
}
internal struct PowOp<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b) => T.Pow(a, b);
}

/// <summary>
/// a^b in integers, as PyTorch computes it: by squaring for b ≥ 0 (wrapping on overflow); for b &lt; 0 the integer
/// part of 1/a^|b|, which is 0 unless a is 1 or -1.
/// </summary>
internal struct IntPowOp<T> : IBinaryOperator<T> where T : unmanaged, IBinaryInteger<T>
{
    public static T Apply(T a, T b)
    {
        if (b < T.Zero) return a == T.One ? T.One : a == -T.One ? (T.IsEvenInteger(b) ? T.One : -T.One) : T.Zero;
        T result = T.One;
        for (; b != T.Zero; b >>= 1, a *= a)
            if (T.IsOddInteger(b)) result *= a;
        return result;
    }
}
internal struct MaximumOp<T> : IBinaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => T.Max(a, b);
}
internal struct MinimumOp<T> : IBinaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => T.Min(a, b);
}
internal struct GtOp<T> : IComparison<T> where T : unmanaged, INumber<T>
{
    public static bool Apply(T a, T b) => a > b;
}
internal struct GeOp<T> : IComparison<T> where T : unmanaged, INumber<T>
{
    public static bool Apply(T a, T b) => a >= b;
}
internal struct LtOp<T> : IComparison<T> where T : unmanaged, INumber<T>
{
    public static bool Apply(T a, T b) => a < b;
}
internal struct LeOp<T> : IComparison<T> where T : unmanaged, INumber<T>
{
    public static bool Apply(T a, T b) => a <= b;
}
internal struct EqOp<T> : IComparison<T> where T : unmanaged, INumber<T>
{
    public static bool Apply(T a, T b) => a == b;
}
internal struct NeOp<T> : IComparison<T> where T : unmanaged, INumber<T>
{
    public static bool Apply(T a, T b) => a != b;
}

// The logical kernels run on Bool's bytes, 0 and 1, which the bitwise operators keep 0 and 1.
internal struct AndOp<T> : IBinaryOperator<T> where T : unmanaged, IBitwiseOperators<T, T, T>
{
    public static T Apply(T a, T b) => a & b;
    public static bool TryApply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
    {
        TensorPrimitives.BitwiseAnd(a, b, y);
        return true;
    }
}
internal struct OrOp<T> : IBinaryOperator<T> where T : unmanaged, IBitwiseOperators<T, T, T>
{
    public static T Apply(T a, T b) => a | b;
    public static bool TryApply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
    {
        TensorPrimitives.BitwiseOr(a, b, y);
        return true;
    }
}
internal struct XorOp<T> : IBinaryOperator<T> where T : unmanaged, IBitwiseOperators<T, T, T>
{
    public static T Apply(T a, T b) => a ^ b;
    public static bool TryApply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
    {
        TensorPrimitives.Xor(a, b, y);
        return true;
    }
}

// The functions PyTorch's elementwise ops compute: TensorPrimitives' vector paths where it has the function.
internal struct SinOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Sin(x);
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) { TensorPrimitives.Sin(x, y); return true; }
}
internal struct CosOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Cos(x);
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) { TensorPrimitives.Cos(x, y); return true; }
}
internal struct TanOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Tan(x);
}
internal struct AsinOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Asin(x);
}
internal struct AcosOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Acos(x);
}
internal struct AtanOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Atan(x);
}
internal struct SinhOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Sinh(x);
}
internal struct CoshOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Cosh(x);
}
internal struct Log2Op<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Log2(x);
}
internal struct Log10Op<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Log10(x);
}

// .NET's LogP1 and ExpM1 are log(1 + x) and e^x - 1 as written, which lose a tiny x's digits: these do not
internal struct Log1pOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.CreateTruncating(SpecialFunctions.Log1p(double.CreateTruncating(x)));
}
internal struct Expm1Op<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.CreateTruncating(SpecialFunctions.Expm1(double.CreateTruncating(x)));
}
internal struct ErfOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.CreateTruncating(NormalDistribution.Erf(double.CreateTruncating(x)));
}
internal struct ErfinvOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.CreateTruncating(SpecialFunctions.Erfinv(double.CreateTruncating(x)));
}
internal struct FloorOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Floor(x);
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) { TensorPrimitives.Floor(x, y); return true; }
}
internal struct CeilOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Ceiling(x);
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q) { TensorPrimitives.Ceiling(x, y); return true; }
}
internal struct RoundOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Round(x, MidpointRounding.ToEven);
}
internal struct TruncOp<T> : IUnaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T x, T p, T q) => T.Truncate(x);
    public static bool TryApply(ReadOnlySpan<T> x, Span<T> y, T p, T q)
    {
        TensorPrimitives.Truncate(x, y);
        return true;
    }
}
internal struct Atan2Op<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b) => T.Atan2(a, b);
}
internal struct HypotOp<T> : IBinaryOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static T Apply(T a, T b) => T.Hypot(a, b);
}

/// <summary>C's fmod for floats (C#'s % on floating point is fmod) and truncating % for integers: a's sign.</summary>
internal struct FmodOp<T> : IBinaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b) => a % b;
}

/// <summary>Python's %: fmod moved by one b where its sign differs from b's, as PyTorch computes remainder.</summary>
internal struct RemainderOp<T> : IBinaryOperator<T> where T : unmanaged, INumber<T>
{
    public static T Apply(T a, T b)
    {
        T r = a % b;
        return r != T.Zero && (r < T.Zero) != (b < T.Zero) ? r + b : r;
    }
}
