using System.Globalization;

namespace Backprop;

/// <summary>
/// How many threads the CPU kernels split their work across. The default is the number of processors, or the
/// value of the environment variable <c>BACKPROP_NUM_THREADS</c> when it is set to a positive integer at startup.
/// Results of a kernel do not depend on this count: work is split at fixed boundaries, never along a sum.
/// </summary>
public static class Threads
{
    /// <summary>The environment variable read once at startup to override the default thread count.</summary>
    public const string EnvironmentVariable = "BACKPROP_NUM_THREADS";

    private static int s_count = ParseCount(Environment.GetEnvironmentVariable(EnvironmentVariable))
        ?? Environment.ProcessorCount;

    /// <summary>The number of threads kernels may use (at least 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value set is less than 1.</exception>
    public static int Count
    {
        get => Volatile.Read(ref s_count);
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value,
                $"Threads.Count must be at least 1; got {value}.");
            Volatile.Write(ref s_count, value);
        }
    }

    /// <summary>The thread count an environment value asks for, or null when it is missing or not a positive
    /// integer.</summary>
    internal static int? ParseCount(string? text) =>
        int.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int count)
            && count >= 1 ? count : null;
}
