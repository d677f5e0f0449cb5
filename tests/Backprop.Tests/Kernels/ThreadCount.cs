namespace Backprop.Tests.Kernels;

/// <summary>
/// Runs code with <see cref="Threads.Count"/> set, and puts the count back afterwards; and compares a kernel's results
/// with a reference.
/// </summary>
internal static class ThreadCount
{
    /// <summary>Each result within <paramref name="tol"/> of its reference, relative above 1 and absolute below.</summary>
    public static void AssertClose(double[][] reference, double[][] actual, double tol)
    {
        for (int k = 0; k < reference.Length; k++)
            for (int i = 0; i < reference[k].Length; i++)
                Assert.True(Math.Abs(actual[k][i] - reference[k][i]) <= tol * Math.Max(1, Math.Abs(reference[k][i])),
                    $"result {k} [{i}]: {actual[k][i]} vs {reference[k][i]}");
    }

    public static T With<T>(int threads, Func<T> body)
    {
        int before = Threads.Count;
        try
        {
            Threads.Count = threads;
            return body();
        }
        finally
        {
            Threads.Count = before;
        }
    }
}
