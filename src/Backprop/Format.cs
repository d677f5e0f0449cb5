using System.Globalization;

namespace Backprop;

/// <summary>How numbers are written for people (diagrams, tables) and for machines (JSON).</summary>
public static class Format
{
    /// <summary>A short, culture-invariant form: up to <paramref name="significantDigits"/> significant
    /// digits.</summary>
    public static string Number(double x, int significantDigits = 6) =>
        x.ToString("G" + significantDigits, CultureInfo.InvariantCulture);

    /// <summary>The shortest text that reads back as the same double (culture-invariant).</summary>
    public static string RoundTrip(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A C# double literal that reads back as the same value, as in <c>2</c>, <c>-0.5</c> or
    /// <c>double.NaN</c>.</summary>
    public static string CSharp(double x) =>
        double.IsNaN(x) ? "double.NaN" : double.IsPositiveInfinity(x) ? "double.PositiveInfinity"
        : double.IsNegativeInfinity(x) ? "double.NegativeInfinity" : RoundTrip(x);
}
