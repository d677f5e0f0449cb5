namespace Backprop.Kernels.Cpu;

/// <summary>log1p, expm1 and the inverse error function to double precision (.NET has none of them exactly).</summary>
internal static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>ln(1 + u): the rounding of 1 + u is corrected by u/((1 + u) − 1), so a tiny u keeps its
    /// digits.</summary>
    public static double Log1p(double u)
    {
        double w = 1 + u;
        return w == 1 ? u : Math.Log(w) * u / (w - 1);
    }

    /// <summary>e^x − 1 by Kahan's correction (e^x − 1)·x / ln e^x, exact to a few ulps for tiny x.</summary>
    public static double Expm1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1) return x;
        double um1 = u - 1;
        return um1 == -1 ? -1 : double.IsInfinity(u) ? u : um1 * x / Math.Log(u);
    }

    /// <summary>
    /// erf⁻¹(y): Winitzki's closed form (about 2e-3 off) refined by three Halley steps on erf(x) − y, each of
    /// which cubes the relative error; ±1 give ±∞ and |y| &gt; 1 gives NaN, as in PyTorch.
    /// </summary>
    public static double Erfinv(double y)
    {
        if (double.IsNaN(y) || Math.Abs(y) > 1) return double.NaN;
        if (Math.Abs(y) == 1) return y * double.PositiveInfinity;
        if (y == 0) return y;
        const double a = 0.147;
        double ln = Math.Log((1 - y) * (1 + y));
        double t = 2 / (Math.PI * a) + ln / 2;
        double x = Math.CopySign(Math.Sqrt(Math.Sqrt(t * t - ln / a) - t), y);
        for (int step = 0; step < 3; step++)
        {
            double u = (NormalDistribution.Erf(x) - y) / (TwoOverSqrtPi * Math.Exp(-x * x));
            x -= u / (1 + x * u);
        }
        return x;
    }
}
