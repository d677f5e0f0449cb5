using System.Diagnostics;

namespace Backprop.Kernels.Cpu;

/// <summary>A piece of work split into numbered parts; each part must touch only its own slice of the output.</summary>
internal interface IPartBody
{
    /// <summary>Runs part <paramref name="part"/> of the work.</summary>
    void Invoke(int part);
}

/// <summary>
/// Runs the parts of a job on the calling thread and a small pool of long-lived worker threads. Parts are handed out
/// one at a time to whichever thread asks first, so a thread slowed by another process on its core takes fewer of
/// them and the call does not wait on it; what a part computes is fixed by its number, never by the thread, so the
/// results do not depend on the threads. The body is passed by reference and stays on the caller's stack, so a
/// call allocates nothing. Concurrent or nested calls run their parts one after another on the calling thread.
/// </summary>
internal static unsafe class ParallelFor
{
    private static readonly Lock PoolLock = new();
    private static Worker[] s_workers = [];
    private static int s_busy;

    // The running call: its body, its part count, and a claim word holding the call's generation (high half) and the
    // next unclaimed part (low half). A worker that wakes late can only claim a part of the call it read the body of:
    // a claim is a compare-and-swap on the whole word, and a call never ends while one of its parts is unclaimed.
    private static long s_claim;
    private static int s_parts, s_finished;
    private static Exception? s_error;
    private static delegate*<void*, int, void> s_invoke;
    private static void* s_body;

    /// <summary>
    /// How many parts a job of independent pieces is cut into on <paramref name="threads"/> threads: four per thread,
    /// so a thread slowed by another process hands most of its share to the others, while each part stays long beside
    /// the cost of claiming it.
    /// </summary>
    public static int PartsFor(int threads) => threads > 1 ? 4 * threads : 1;

    /// <summary>
    /// Runs <c>body.Invoke(part)</c> for every part in [0, <paramref name="parts"/>) on at most
    /// <paramref name="threads"/> threads (one per part when not given) and returns when all are done.
    /// </summary>
    public static void Run<TBody>(int parts, ref TBody body, int threads = int.MaxValue)
        where TBody : unmanaged, IPartBody
    {
        int helpers = Math.Min(parts, threads) - 1;
        if (helpers <= 0 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int part = 0; part < parts; part++) body.Invoke(part);
            return;
        }
        try
        {
            var workers = EnsureWorkers(helpers);
            fixed (TBody* bodyPointer = &body)
            {
                s_body = bodyPointer;
                s_invoke = &InvokePart<TBody>;
                s_parts = parts;
                s_error = null;
                Volatile.Write(ref s_finished, 0);
                // a new generation with part 0 next; the fence of the exchange publishes the fields above with it
                Interlocked.Exchange(ref s_claim, (s_claim >> 32) + 1 << 32);
                for (int i = 0; i < helpers; i++) workers[i].Wake();
                RunClaimedParts();
                var spin = new SpinWait();
                while (Volatile.Read(ref s_finished) < parts) spin.SpinOnce(sleep1Threshold: -1);
                s_body = null;
                if (s_error is { } error) throw new AggregateException("A parallel kernel part failed.", error);
            }
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>Claims and runs parts of the current call until none is left.</summary>
    private static void RunClaimedParts()
    {
        while (true)
        {
            long claim = Volatile.Read(ref s_claim);
            int part = (int)claim;
            // read after the claim word: these belong to its generation, or the swap below fails
            var invoke = s_invoke;
            void* body = s_body;
            if (part >= Volatile.Read(ref s_parts)) return;
            if (Interlocked.CompareExchange(ref s_claim, claim + 1, claim) != claim) continue;
            try { invoke(body, part); }
            catch (Exception e) { Interlocked.CompareExchange(ref s_error, e, null); }
            Interlocked.Increment(ref s_finished);
        }
    }

    private static void InvokePart<TBody>(void* body, int part) where TBody : unmanaged, IPartBody =>
        ((TBody*)body)->Invoke(part);

    private static Worker[] EnsureWorkers(int count)
    {
        var workers = s_workers;
        if (workers.Length >= count) return workers;
        lock (PoolLock)
        {
            if (s_workers.Length < count)
            {
                var grown = new Worker[count];
                s_workers.CopyTo(grown, 0);
                for (int i = s_workers.Length; i < count; i++) grown[i] = new Worker(i + 1);
                s_workers = grown;
            }
            return s_workers;
        }
    }

    /// <summary>
    /// A pool thread. After a call it keeps watching for the next one for <see cref="SpinMicroseconds"/> before it
    /// blocks: a training step calls parallel kernels with short serial stretches between them, and waking a blocked
    /// thread costs tens of microseconds (hundreds when the machine is busy).
    /// </summary>
    private sealed class Worker
    {
        private const int SpinMicroseconds = 200;
        private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

        private readonly SemaphoreSlim _signal = new(0);
        private int _calls, _sleeping;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Backprop worker {index}" };
            thread.Start();
        }

        public void Wake()
        {
            Interlocked.Increment(ref _calls);
            // a worker that went to sleep needs the signal; one still watching sees _calls change
            if (Interlocked.CompareExchange(ref _sleeping, 0, 1) == 1) _signal.Release();
        }

        private void Loop()
        {
            int seen = 0;
            while (true)
            {
                long since = Stopwatch.GetTimestamp();
                while (Volatile.Read(ref _calls) == seen)
                {
                    if (Stopwatch.GetTimestamp() - since < SpinTicks)
                    {
                        Thread.SpinWait(20);
                        continue;
                    }
                    Interlocked.Exchange(ref _sleeping, 1);
                    // a call may have come between the last look and the flag: look once more
                    if (Volatile.Read(ref _calls) == seen) _signal.Wait();
                    else if (Interlocked.CompareExchange(ref _sleeping, 0, 1) == 0)
                        _signal.Wait();  // its signal is on the way
                    since = Stopwatch.GetTimestamp();
                }
                seen = Volatile.Read(ref _calls);
                RunClaimedParts();
            }
        }
    }
}
