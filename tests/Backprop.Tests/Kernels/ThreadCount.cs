namespace Backprop.Tests.Kernels;

/// <summary>Runs code with <see cref="Threads.Count"/> set, and puts the count back afterwards.</summary>
internal static class ThreadCount
{
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
