using ILGPU.Algorithms;

namespace Backprop.Cuda.Kernels;

/// <summary>Functions the kernels need that GPUs do not provide directly, in double precision.</summary>
internal static class DeviceMath
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double InvSqrtPi = 0.5641895835477563;
    private const double InvSqrt2 = 0.7071067811865476;

    /// <summary>x^y with the sign and zero rules of Math.Pow, which exp(y·log x) alone would lose for x ≤ 0.</summary>
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

    /// <summary>Φ(x) = erfc(−x/√2)/2, accurate in the lower tail.</summary>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x * InvSqrt2);

    private static double Erfc(double x) => x >= 2 ? ErfcTail(x) : 1 - Erf(x);

    // erf by its Maclaurin series for |x| < 2; the tail from the continued fraction.
    private static double Erf(double x)
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
