using System.Numerics;

namespace Backprop;

/// <summary>
/// A seeded source of random numbers for tensor creation (xoshiro256** seeded through SplitMix64), so that
/// the same seed gives the same tensors on every machine.
/// </summary>
public sealed class Generator
{
    [ThreadStatic] private static Generator? t_default;
    private ulong _s0, _s1, _s2, _s3;
    private double _spareGaussian = double.NaN;

    /// <summary>Creates a generator from a seed.</summary>
    public Generator(long seed = 0) => ManualSeed(seed);

    /// <summary>The calling thread's default generator, used when no generator is passed (seed 0 until
    /// reseeded).</summary>
    public static Generator Default => t_default ??= new Generator();

    /// <summary>Restarts the sequence from <paramref name="seed"/>.</summary>
    public void ManualSeed(long seed)
    {
        ulong x = unchecked((ulong)seed);
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
        _spareGaussian = double.NaN;
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal sample (Marsaglia's polar method, keeping the second sample for the next
    /// call).</summary>
    public double NextGaussian()
    {
        if (!double.IsNaN(_spareGaussian)) { double spare = _spareGaussian; _spareGaussian = double.NaN; return spare; }
        double u, v, s;
        do { u = 2 * NextDouble() - 1; v = 2 * NextDouble() - 1; s = u * u + v * v; } while (s >= 1 || s == 0);
        double scale = Math.Sqrt(-2 * Math.Log(s) / s);
        _spareGaussian = v * scale;
        return u * scale;
    }
}
