using ILGPU.Algorithms;

namespace Backprop.Cuda.Kernels;

/// <summary>Functions the kernels need that GPUs do not provide directly, in double precision.</summary>
internal static class DeviceMath
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double InvSqrtPi = 0.5641895835477563;
    private const double InvSqrt2 = 0.7071067811865476;

    /// <summary>x^y with the sign and zero rules of Math.Pow, which exp(y·log x) alone would lose for x ≤
    /// 0.</summary>
    public static double Pow(double x, double y)
    {
        if (y == 0) return 1;
        if (XMath.IsNaN(x) || XMath.IsNaN(y)) return double.NaN;
        if (x > 0) return XMath.Pow(x, y);
        if (x == 0) return y > 0 ? 0 : double.PositiveInfinity;
        double whole = XMath.Floor(y);
        if (whole != y) return double.NaN;
        double magnitude = XMath.Pow(-x, y);
        return whole * 0.5 == XMath.Floor(whole * 0.5) ? magnitude : -magnitude;
    }

    /// <summary>log(1 + u), keeping u's digits when u is tiny by correcting the rounding of 1 + u.</summary>
    public static double Log1p(double u)
    {
        double w = 1 + u;
        return w == 1 ? u : XMath.Log(w) * u / (w - 1);
    }

    /// <summary>e^x − 1 by Kahan's correction, as the CPU's SpecialFunctions.Expm1.</summary>
    public static double Expm1(double x)
    {
        double u = XMath.Exp(x);
        if (u == 1) return x;
        double um1 = u - 1;
        return um1 == -1 ? -1 : XMath.IsInfinity(u) ? u : um1 * x / XMath.Log(u);
    }

    /// <summary>√(a² + b²) scaled by the larger magnitude, so that neither square overflows.</summary>
    public static double Hypot(double a, double b)
    {
        double big = XMath.Max(XMath.Abs(a), XMath.Abs(b)), small = XMath.Min(XMath.Abs(a), XMath.Abs(b));
        if (XMath.IsInfinity(big)) return double.PositiveInfinity;
        if (big == 0 || XMath.IsNaN(big) || XMath.IsNaN(small)) return big + small;
        double r = small / big;
        return big * XMath.Sqrt(1 + r * r);
    }

    /// <summary>Python's % from fmod's result r: moved by one b where the signs of r and b differ.</summary>
    public static double FloorRemainder(double r, double b) => r != 0 && (r < 0) != (b < 0) ? r + b : r;

    /// <summary>erf⁻¹(y) as the CPU's SpecialFunctions.Erfinv: Winitzki's closed form and three Halley
    /// steps.</summary>
    public static double Erfinv(double y)
    {
        if (XMath.IsNaN(y) || XMath.Abs(y) > 1) return double.NaN;
        if (XMath.Abs(y) == 1) return y > 0 ? double.PositiveInfinity : double.NegativeInfinity;
        if (y == 0) return y;
        const double a = 0.147;
        double ln = XMath.Log((1 - y) * (1 + y));
        double t = 2 / (XMath.PI * a) + ln / 2;
        double x = XMath.Sqrt(XMath.Sqrt(t * t - ln / a) - t);
        if (y < 0) x = -x;
        for (int step = 0; step < 3; step++)
        {
            double u = (Erf(x) - y) / (TwoOverSqrtPi * XMath.Exp(-x * x));
            x -= u / (1 + x * u);
        }
        return x;
    }

    /// <summary>Φ(x) = erfc(−x/√2)/2, accurate in the lower tail.</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x * InvSqrt2);

    private static double Erfc(double x) => x >= 2 ? ErfcTail(x) : 1 - Erf(x);

    /// <summary>erf by its Maclaurin series for |x| &lt; 2; the tail from the continued fraction.</summary>
    public static double Erf(double x)
    {
        if (XMath.IsNaN(x)) return x;
        double ax = XMath.Abs(x);
        if (ax >= 2) return x > 0 ? 1 - ErfcTail(ax) : ErfcTail(ax) - 1;
        double sum = 0, term = x;
        for (int n = 0; n < 60; n++)
        {
            double t = term / (2 * n + 1);
            sum += t;
            if (XMath.Abs(t) <= 1e-17 * XMath.Abs(sum)) break;
            term *= -x * x / (n + 1);
        }
        return TwoOverSqrtPi * sum;
    }

    // erfc(x) for x ≥ 2 by Laplace's continued fraction, evaluated from its 60th level up.
    private static double ErfcTail(double x)
    {
        if (x > 27) return 0;
        double t = x;
        for (int k = 60; k >= 1; k--) t = x + 0.5 * k / t;
        return XMath.Exp(-x * x) * InvSqrtPi / t;
    }
}
