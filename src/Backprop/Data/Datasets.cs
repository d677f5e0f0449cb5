using System.IO.Compression;

namespace Backprop.Data;

/// <summary>
/// Data sets: the course's spiral and the usual 2-D toy sets, generated from a seed, and the real handwritten
/// digits set shipped with the library.
/// </summary>
public static class Datasets
{
    /// <summary>
    /// The CS231n spiral: <paramref name="classes"/> arms of <paramref name="pointsPerClass"/> points, radius rising
    /// from 0 to 1 along each arm, angle spread over 4 radians per arm plus Gaussian noise.
    /// </summary>
    public static Dataset Spiral(int pointsPerClass = 100, int classes = 3, double noise = 0.2, int seed = 0)
    {
        Positive(pointsPerClass, nameof(pointsPerClass));
        Positive(classes, nameof(classes));
        var rng = new Random(seed);
        var x = new float[pointsPerClass * classes * 2];
        var y = new long[pointsPerClass * classes];
        for (int c = 0; c < classes; c++)
            for (int i = 0; i < pointsPerClass; i++)
            {
                double fraction = pointsPerClass == 1 ? 0 : (double)i / (pointsPerClass - 1);
                double r = fraction, t = c * 4 + 4 * fraction + Gaussian(rng) * noise;
                int row = c * pointsPerClass + i;
                x[2 * row] = (float)(r * Math.Sin(t));
                x[2 * row + 1] = (float)(r * Math.Cos(t));
                y[row] = c;
            }
        return new Dataset("spiral", x, 2, y, classes);
    }

    /// <summary>Two interleaving half circles, with Gaussian noise.</summary>
    public static Dataset Moons(int points = 300, double noise = 0.1, int seed = 0) =>
        TwoCurves("moons", points, noise, seed, (isOuter, k, n) =>
        {
            double t = Math.PI * (n == 1 ? 0 : (double)k / (n - 1));
            return isOuter ? (Math.Cos(t), Math.Sin(t)) : (1 - Math.Cos(t), 0.5 - Math.Sin(t));
        });

    /// <summary>A circle of radius 1 around a circle of radius <paramref name="factor"/>, with Gaussian
    /// noise.</summary>
    public static Dataset Circles(int points = 300, double noise = 0.05, double factor = 0.5, int seed = 0)
    {
        if (factor is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(factor), factor,
            "the inner circle's radius must be between 0 and 1");
        return TwoCurves("circles", points, noise, seed, (isOuter, k, n) =>
        {
            double t = 2 * Math.PI * k / n, r = isOuter ? 1 : factor;
            return (r * Math.Cos(t), r * Math.Sin(t));
        });
    }

    // Two classes of points along two curves: the first half (class 0) on the outer curve, the rest (class 1) on the
    // inner one; point(isOuter, k, n) places the k-th of the curve's n points, then Gaussian noise is added.
    private static Dataset TwoCurves(string name, int points, double noise, int seed,
        Func<bool, int, int, (double x, double y)> point)
    {
        Positive(points, nameof(points));
        var rng = new Random(seed);
        var x = new float[points * 2];
        var y = new long[points];
        int outer = points / 2 + points % 2;
        for (int i = 0; i < points; i++)
        {
            bool isOuter = i < outer;
            var (px, py) = isOuter ? point(true, i, outer) : point(false, i - outer, points - outer);
            x[2 * i] = (float)(px + Gaussian(rng) * noise);
            x[2 * i + 1] = (float)(py + Gaussian(rng) * noise);
            y[i] = isOuter ? 0 : 1;
        }
        return new Dataset(name, x, 2, y, 2);
    }

    /// <summary>Isotropic Gaussian blobs around centres drawn uniformly in [-10, 10]².</summary>
    public static Dataset Blobs(int points = 300, int centers = 3, double std = 1.0, int seed = 0)
    {
        Positive(points, nameof(points));
        Positive(centers, nameof(centers));
        var rng = new Random(seed);
        var c = new double[centers * 2];
        for (int i = 0; i < c.Length; i++) c[i] = rng.NextDouble() * 20 - 10;
        var x = new float[points * 2];
        var y = new long[points];
        for (int i = 0; i < points; i++)
        {
            int k = i % centers;
            x[2 * i] = (float)(c[2 * k] + Gaussian(rng) * std);
            x[2 * i + 1] = (float)(c[2 * k + 1] + Gaussian(rng) * std);
            y[i] = k;
        }
        return new Dataset("blobs", x, 2, y, centers);
    }

    /// <summary>
    /// The Optical Recognition of Handwritten Digits test set (E. Alpaydin, C. Kaynak, 1998, UCI Machine Learning
    /// Repository, CC BY 4.0): 1,797 8×8 images, pixels 0..16, labels 0..9. Pixels are returned as given.
    /// </summary>
    public static Dataset Digits()
    {
        using var resource = typeof(Datasets).Assembly.GetManifestResourceStream("Backprop.Data.digits.csv.gz")
            ?? throw new InvalidOperationException("the digits data set is missing from the Backprop assembly");
        using var reader = new StreamReader(new GZipStream(resource, CompressionMode.Decompress));
        var x = new List<float>(1797 * 64);
        var y = new List<long>(1797);
        string? line;
        int row = 0;
        while ((line = reader.ReadLine()) is not null)
        {
            row++;
            if (line.Length == 0) continue;
            var fields = line.Split(',');
            if (fields.Length != 65) throw new InvalidDataException($"digits row {row} has {fields.Length} fields, " +
                "expected 65");
            for (int j = 0; j < 64; j++) x.Add(float.Parse(fields[j],
                System.Globalization.CultureInfo.InvariantCulture));
            y.Add(long.Parse(fields[64], System.Globalization.CultureInfo.InvariantCulture));
        }
        return new Dataset("digits", x.ToArray(), 64, y.ToArray(), 10);
    }

    /// <summary>
    /// The 32,033 most common US baby names of 2018 (the US Social Security Administration's data, a public-domain
    /// work of the US government, as collected in the makemore repository's names.txt): lower-case a..z, one a
    /// line, in the file's order.
    /// </summary>
    public static string[] Names()
    {
        using var resource = typeof(Datasets).Assembly.GetManifestResourceStream("Backprop.Data.names.txt.gz")
            ?? throw new InvalidOperationException("the names data set is missing from the Backprop assembly");
        using var reader = new StreamReader(new GZipStream(resource, CompressionMode.Decompress));
        var names = new List<string>(32_033);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) names.Add(line);
        return [.. names];
    }

    // Box-Muller: a standard normal from two uniforms, so the stream depends only on the seed.
    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static void Positive(int n, string name)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(name, n, "must be positive");
    }
}
