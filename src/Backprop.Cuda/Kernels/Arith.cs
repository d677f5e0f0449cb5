using Backprop.Kernels;
using ILGPU;
using ILGPU.Algorithms;

namespace Backprop.Cuda.Kernels;

/// <summary>
/// The arithmetic of one element type, as a struct whose methods ILGPU inlines into generic kernels: one kernel
/// source serves float, double, long and Bool's bytes. Op codes are the values of <see cref="UnaryKernel"/> and
/// <see cref="BinaryKernel"/>, each case the CUDA expression of a row of the op table
/// (<c>Backprop/Kernels/OpTable.cs</c>), whose dtypes the host checks before launching; comparisons go to
/// <see cref="Compare"/>.
/// </summary>
internal interface IArith<T> where T : unmanaged
{
    T Unary(int op, T x, T p, T q);
    T Binary(int op, T a, T b);
    bool Compare(int op, T a, T b);
    T FromDouble(double v);
    double ToDouble(T v);
    T Add(T a, T b);
    /// <summary>True when a should replace the running best b of a max (or min) reduction; NaN wins, as on the
    /// CPU.</summary>
    bool Beats(bool max, T a, T b);
    T Lowest(bool max);
    bool IsFinite(T v);
    void AtomicAdd(ArrayView<T> view, int index, T value);
}

internal struct FloatArith : IArith<float>
{
    public float Unary(int op, float x, float p, float q) => (float)DoubleArith.UnaryFloat(op, x, p, q, single: true);
    public float Binary(int op, float a, float b) => op switch
    {
        (int)BinaryKernel.Add => a + b,
        (int)BinaryKernel.Sub => a - b,
        (int)BinaryKernel.Mul => a * b,
        (int)BinaryKernel.Div => a / b,
        (int)BinaryKernel.Pow => (float)DeviceMath.Pow(a, b),
        (int)BinaryKernel.Maximum => XMath.IsNaN(a) || XMath.IsNaN(b) ? float.NaN : XMath.Max(a, b),
        (int)BinaryKernel.Minimum => XMath.IsNaN(a) || XMath.IsNaN(b) ? float.NaN : XMath.Min(a, b),
        (int)BinaryKernel.Atan2 => XMath.Atan2(a, b),
        (int)BinaryKernel.Hypot => (float)DeviceMath.Hypot(a, b),
        (int)BinaryKernel.Fmod => XMath.Rem(a, b),
        (int)BinaryKernel.Remainder => (float)DeviceMath.FloorRemainder(XMath.Rem(a, b), b),
        _ => b > 0 ? a : 0f,   // PassIfPositive
    };
    public bool Compare(int op, float a, float b) => DoubleArith.Compare(op, a, b);
    public float FromDouble(double v) => (float)v;
    public double ToDouble(float v) => v;
    public float Add(float a, float b) => a + b;
    public bool Beats(bool max, float a, float b) => !XMath.IsNaN(b) && (XMath.IsNaN(a) || (max ? a > b : a < b));
    public float Lowest(bool max) => max ? float.NegativeInfinity : float.PositiveInfinity;
    public bool IsFinite(float v) => !XMath.IsNaN(v) && !XMath.IsInfinity(v);
    public void AtomicAdd(ArrayView<float> view, int index, float value) => Atomic.Add(ref view[index], value);
}

internal struct DoubleArith : IArith<double>
{
    public double Unary(int op, double x, double p, double q) => UnaryFloat(op, x, p, q, single: false);
    public double Binary(int op, double a, double b) => op switch
    {
        (int)BinaryKernel.Add => a + b,
        (int)BinaryKernel.Sub => a - b,
        (int)BinaryKernel.Mul => a * b,
        (int)BinaryKernel.Div => a / b,
        (int)BinaryKernel.Pow => DeviceMath.Pow(a, b),
        (int)BinaryKernel.Maximum => XMath.IsNaN(a) || XMath.IsNaN(b) ? double.NaN : XMath.Max(a, b),
        (int)BinaryKernel.Minimum => XMath.IsNaN(a) || XMath.IsNaN(b) ? double.NaN : XMath.Min(a, b),
        (int)BinaryKernel.Atan2 => XMath.Atan2(a, b),
        (int)BinaryKernel.Hypot => DeviceMath.Hypot(a, b),
        (int)BinaryKernel.Fmod => XMath.Rem(a, b),
        (int)BinaryKernel.Remainder => DeviceMath.FloorRemainder(XMath.Rem(a, b), b),
        _ => b > 0 ? a : 0.0,   // PassIfPositive
    };
    bool IArith<double>.Compare(int op, double a, double b) => Compare(op, a, b);
    public double FromDouble(double v) => v;
    public double ToDouble(double v) => v;
    public double Add(double a, double b) => a + b;
    public bool Beats(bool max, double a, double b) => !XMath.IsNaN(b) && (XMath.IsNaN(a) || (max ? a > b : a < b));
    public double Lowest(bool max) => max ? double.NegativeInfinity : double.PositiveInfinity;
    public bool IsFinite(double v) => !XMath.IsNaN(v) && !XMath.IsInfinity(v);
    public void AtomicAdd(ArrayView<double> view, int index, double value) => Atomic.Add(ref view[index], value);

    /// <summary>The comparison kernels (Gt, Ge, Lt, Le, Eq, Ne).</summary>
    public static bool Compare(int op, double a, double b) => op switch
    {
        (int)BinaryKernel.Gt => a > b,
        (int)BinaryKernel.Ge => a >= b,
        (int)BinaryKernel.Lt => a < b,
        (int)BinaryKernel.Le => a <= b,
        (int)BinaryKernel.Eq => a == b,
        _ => a != b,
    };

    /// <summary>
    /// The floating-point unary kernels. Float inputs are computed in float where the CPU backend computes in the
    /// element type (exp, log, tanh …) and in double where it does (the GELU family), so both round alike.
    /// </summary>
    public static double UnaryFloat(int op, double x, double p, double q, bool single)
    {
        switch (op)
        {
            case (int)UnaryKernel.Neg: return -x;
            case (int)UnaryKernel.Abs: return XMath.Abs(x);
            case (int)UnaryKernel.Sign: return x > 0 ? 1 : x < 0 ? -1 : x;
            case (int)UnaryKernel.Exp: return single ? XMath.Exp((float)x) : XMath.Exp(x);
            case (int)UnaryKernel.Log: return single ? XMath.Log((float)x) : XMath.Log(x);
            case (int)UnaryKernel.Sqrt: return single ? XMath.Sqrt((float)x) : XMath.Sqrt(x);
            case (int)UnaryKernel.Tanh: return single ? XMath.Tanh((float)x) : XMath.Tanh(x);
            case (int)UnaryKernel.Sigmoid: return single ? 1f / (1f + XMath.Exp(-(float)x)) : 1 / (1 + XMath.Exp(-x));
            case (int)UnaryKernel.Relu: return x > 0 || XMath.IsNaN(x) ? x : 0;
            case (int)UnaryKernel.LeakyRelu: return x > 0 ? x : (single ? (float)p * (float)x : p * x);
            case (int)UnaryKernel.LeakyReluSlope: return x > 0 ? 1 : p;
            case (int)UnaryKernel.Gelu: return x * DeviceMath.NormalCdf(x);
            case (int)UnaryKernel.GeluTanh:
                return 0.5 * x * (1 + XMath.Tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
            case (int)UnaryKernel.NormalCdf: return DeviceMath.NormalCdf(x);
            case (int)UnaryKernel.Silu:
                return single ? (float)x / (1f + XMath.Exp(-(float)x)) : x / (1 + XMath.Exp(-x));
            case (int)UnaryKernel.Softplus:
                if (single)
                {
                    float bx = (float)x * (float)p;
                    return bx > (float)q ? x : (float)DeviceMath.Log1p(XMath.Exp(bx)) / (float)p;
                }
                return x * p > q ? x : DeviceMath.Log1p(XMath.Exp(x * p)) / p;
            case (int)UnaryKernel.AddScalar: return single ? (float)x + (float)p : x + p;
            case (int)UnaryKernel.MulScalar: return single ? (float)x * (float)p : x * p;
            case (int)UnaryKernel.RSubScalar: return single ? (float)p - (float)x : p - x;
            case (int)UnaryKernel.RDivScalar: return single ? (float)p / (float)x : p / x;
            case (int)UnaryKernel.PowScalar:
                if (p == 2) return single ? (float)x * (float)x : x * x;
                return single ? (float)DeviceMath.Pow((float)x, (float)p) : DeviceMath.Pow(x, p);
            case (int)UnaryKernel.Clamp: return x < p ? p : x > q ? q : x;
            case (int)UnaryKernel.DivScalar: return single ? (float)x / (float)p : x / p;
            case (int)UnaryKernel.Sin: return single ? XMath.Sin((float)x) : XMath.Sin(x);
            case (int)UnaryKernel.Cos: return single ? XMath.Cos((float)x) : XMath.Cos(x);
            case (int)UnaryKernel.Tan: return single ? XMath.Tan((float)x) : XMath.Tan(x);
            case (int)UnaryKernel.Asin: return single ? XMath.Asin((float)x) : XMath.Asin(x);
            case (int)UnaryKernel.Acos: return single ? XMath.Acos((float)x) : XMath.Acos(x);
            case (int)UnaryKernel.Atan: return single ? XMath.Atan((float)x) : XMath.Atan(x);
            case (int)UnaryKernel.Sinh: return single ? XMath.Sinh((float)x) : XMath.Sinh(x);
            case (int)UnaryKernel.Cosh: return single ? XMath.Cosh((float)x) : XMath.Cosh(x);
            case (int)UnaryKernel.Log1p: return DeviceMath.Log1p(x);
            case (int)UnaryKernel.Expm1: return DeviceMath.Expm1(x);
            case (int)UnaryKernel.Log2: return single ? XMath.Log2((float)x) : XMath.Log2(x);
            case (int)UnaryKernel.Log10: return single ? XMath.Log10((float)x) : XMath.Log10(x);
            case (int)UnaryKernel.Erf: return DeviceMath.Erf(x);
            case (int)UnaryKernel.Erfinv: return DeviceMath.Erfinv(x);
            // rounding is exact, so float and double agree
            case (int)UnaryKernel.Floor: return XMath.Floor(x);
            case (int)UnaryKernel.Ceil: return XMath.Ceiling(x);
            case (int)UnaryKernel.Round: return XMath.RoundToEven(x);
            case (int)UnaryKernel.Trunc: return XMath.Truncate(x);
            default: return x >= p && x <= q ? 1 : 0;   // InRange
        }
    }
}

internal struct LongArith : IArith<long>
{
    public long Unary(int op, long x, long p, long q) => op switch
    {
        (int)UnaryKernel.Neg => -x,
        (int)UnaryKernel.Abs => x < 0 ? -x : x,
        (int)UnaryKernel.Sign => x > 0 ? 1 : x < 0 ? -1 : 0,
        (int)UnaryKernel.AddScalar => x + p,
        (int)UnaryKernel.MulScalar => x * p,
        (int)UnaryKernel.RSubScalar => p - x,
        (int)UnaryKernel.PowScalar => IntPow(x, p),
        (int)UnaryKernel.Clamp => x < p ? p : x > q ? q : x,
        _ => x >= p && x <= q ? 1 : 0,   // InRange
    };
    public long Binary(int op, long a, long b) => op switch
    {
        (int)BinaryKernel.Add => a + b,
        (int)BinaryKernel.Sub => a - b,
        (int)BinaryKernel.Mul => a * b,
        (int)BinaryKernel.Div => a / b,
        (int)BinaryKernel.Pow => IntPow(a, b),
        (int)BinaryKernel.Maximum => a > b ? a : b,
        (int)BinaryKernel.Fmod => a % b,
        (int)BinaryKernel.Remainder => a % b != 0 && (a % b < 0) != (b < 0) ? a % b + b : a % b,
        _ => a < b ? a : b,   // Minimum
    };
    public bool Compare(int op, long a, long b) => op switch
    {
        (int)BinaryKernel.Gt => a > b,
        (int)BinaryKernel.Ge => a >= b,
        (int)BinaryKernel.Lt => a < b,
        (int)BinaryKernel.Le => a <= b,
        (int)BinaryKernel.Eq => a == b,
        _ => a != b,
    };
    public long FromDouble(double v) => (long)v;
    public double ToDouble(long v) => v;
    public long Add(long a, long b) => a + b;
    public bool Beats(bool max, long a, long b) => max ? a > b : a < b;
    public long Lowest(bool max) => max ? long.MinValue : long.MaxValue;
    public bool IsFinite(long v) => true;
    public void AtomicAdd(ArrayView<long> view, int index, long value) => Atomic.Add(ref view[index], value);

    /// <summary>a^b as the CPU's IntPowOp: by squaring for b ≥ 0, else the integer part of 1/a^|b|.</summary>
    public static long IntPow(long a, long b)
    {
        if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) == 0 ? 1 : -1) : 0;
        long result = 1;
        for (; b != 0; b >>= 1, a *= a)
            if ((b & 1) != 0) result *= a;
        return result;
    }
}

/// <summary>
/// Bool's bytes, 0 and 1: the logical kernels, comparisons, conversions, and max and min as any and all. Bool has
/// no arithmetic: the host launches no unary kernel and no sum on it, and the op layer refuses its ScatterAdd.
/// </summary>
internal struct BoolArith : IArith<byte>
{
    public byte Unary(int op, byte x, byte p, byte q) => x;
    public byte Binary(int op, byte a, byte b) => op switch
    {
        (int)BinaryKernel.LogicalAnd => (byte)(a & b),
        (int)BinaryKernel.LogicalOr => (byte)(a | b),
        _ => (byte)(a ^ b),   // LogicalXor
    };
    public bool Compare(int op, byte a, byte b) => default(LongArith).Compare(op, a, b);
    public byte FromDouble(double v) => v != 0 ? (byte)1 : (byte)0;   // nonzero is true, NaN included
    public double ToDouble(byte v) => v;
    public byte Add(byte a, byte b) => (byte)(a | b);
    public bool Beats(bool max, byte a, byte b) => max ? a > b : a < b;
    public byte Lowest(bool max) => max ? (byte)0 : (byte)1;
    public bool IsFinite(byte v) => true;
    // an or: every writer stores the same 1, so no atomic is needed
    public void AtomicAdd(ArrayView<byte> view, int index, byte value)
    {
        if (value != 0) view[index] = 1;
    }
}
