namespace Backprop.Kernels.Cpu;

/// <summary>The error function and the standard normal CDF to double precision (.NET has no Math.Erf).</summary>
internal static class NormalDistribution
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double InvSqrtPi = 0.5641895835477563;
    private const double InvSqrt2 = 0.7071067811865476;

    /// <summary>erf(x): its Maclaurin series below 2 (little cancellation there), else 1 - erfc(|x|) with the
    /// sign.</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (double.IsNaN(x)) return x;
        if (ax >= 2) return Math.CopySign(1 - ErfcAtLeast2(ax), x);
        double sum = 0, term = x;
        for (int n = 0; n < 60; n++)
        {
            double t = term / (2 * n + 1);
            sum += t;
            if (Math.Abs(t) <= 1e-17 * Math.Abs(sum)) break;
            term *= -x * x / (n + 1);
        }
        return TwoOverSqrtPi * sum;
    }

    /// <summary>erfc(x) = 1 - erf(x), accurate in the far tail where 1 - erf would cancel.</summary>
    public static double Erfc(double x) => x >= 2 ? ErfcAtLeast2(x) : 1 - Erf(x);

    // Laplace's continued fraction erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
    // evaluated bottom-up; 60 levels reach full double precision for x ≥ 2.
    private static double ErfcAtLeast2(double x)
    {
        if (x > 27) return 0;
        double t = x;
        for (int k = 60; k >= 1; k--) t = x + 0.5 * k / t;
        return Math.Exp(-x * x) * InvSqrtPi / t;
    }

    /// <summary>Φ(x), the standard normal CDF, with full relative precision in the lower tail.</summary>
    public static double Cdf(double x) => 0.5 * Erfc(-x * InvSqrt2);
}
