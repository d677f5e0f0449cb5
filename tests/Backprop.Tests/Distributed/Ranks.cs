using Backprop.Distributed;

namespace Backprop.Tests.Distributed;

/// <summary>Runs a body on each rank of an in-process group, a thread per rank; returns each rank's result.</summary>
internal static class Ranks
{
    public static T[] Run<T>(int size, Func<Communicator, T> body)
    {
        var group = Communicator.InProcess(size);
        var results = new T[size];
        var errors = new Exception?[size];
        var threads = group.Select((comm, rank) => new Thread(() =>
        {
            try { results[rank] = body(comm); }
            catch (Exception e)
            {
                errors[rank] = e;
                // a failed rank stops the others, as MPI_Abort does; this rank's own abort throws, and is expected
                try { if (e is not DistributedAbortException) comm.Abort(e.Message); }
                catch (DistributedAbortException) { }
            }
        }, maxStackSize: 16 << 20)).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        var first = errors.FirstOrDefault(e => e is not null and not DistributedAbortException)
            ?? errors.FirstOrDefault(e => e is not null);
        if (first is not null) throw new AggregateException($"a rank failed: {first.Message}", first);
        return results;
    }
}
