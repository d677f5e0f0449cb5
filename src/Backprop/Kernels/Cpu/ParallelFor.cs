using System.Diagnostics;

namespace Backprop.Kernels.Cpu;

/// <summary>A piece of work split into numbered parts; each part must touch only its own slice of the output.</summary>
internal interface IPartBody
{
    /// <summary>Runs part <paramref name="part"/> of the work.</summary>
    void Invoke(int part);
}

/// <summary>
/// Runs the parts of a statically partitioned job on a small pool of long-lived worker threads: part 0 on the
/// calling thread, part i on worker i. The body is passed by reference and stays on the caller's stack, so a
/// call allocates nothing. Concurrent or nested calls run their parts one after another on the calling thread,
/// which gives the same results because the caller, not the scheduler, decides what each part computes.
/// </summary>
internal static unsafe class ParallelFor
{
    private static readonly Lock PoolLock = new();
    private static Worker[] s_workers = [];
    private static int s_busy;
    private static int s_pending;
    private static Exception? s_error;
    private static delegate*<void*, int, void> s_invoke;
    private static void* s_body;

    /// <summary>Runs <c>body.Invoke(part)</c> for every part in [0, <paramref name="parts"/>) and returns when all are done.</summary>
    public static void Run<TBody>(int parts, ref TBody body) where TBody : unmanaged, IPartBody
    {
        if (parts <= 1 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            for (int part = 0; part < parts; part++) body.Invoke(part);
            return;
        }
        try
        {
            var workers = EnsureWorkers(parts - 1);
            fixed (TBody* bodyPointer = &body)
            {
                s_body = bodyPointer;
                s_invoke = &InvokePart<TBody>;
                s_error = null;
                Volatile.Write(ref s_pending, parts - 1);
                for (int part = 1; part < parts; part++) workers[part - 1].Start(part);
                Exception? callerError = null;
                try { body.Invoke(0); }
                catch (Exception e) { callerError = e; }
                var spin = new SpinWait();
                while (Volatile.Read(ref s_pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
                s_body = null;
                var error = callerError ?? s_error;
                if (error is not null) throw new AggregateException("A parallel kernel part failed.", error);
            }
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
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
    /// A pool thread. After a part it keeps watching for the next one for <see cref="SpinMicroseconds"/> before it
    /// blocks: a training step calls parallel kernels with short serial stretches between them, and waking a blocked
    /// thread costs tens of microseconds (hundreds when the machine is busy), which the caller would wait out.
    /// </summary>
    private sealed class Worker
    {
        private const int SpinMicroseconds = 200;
        private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

        private readonly SemaphoreSlim _signal = new(0);
        private int _part, _started, _sleeping;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Backprop worker {index}" };
            thread.Start();
        }

        public void Start(int part)
        {
            _part = part;
            Interlocked.Increment(ref _started);
            // a worker that went to sleep needs the signal; one still watching sees _started change
            if (Interlocked.CompareExchange(ref _sleeping, 0, 1) == 1) _signal.Release();
        }

        private void Loop()
        {
            int done = 0;
            while (true)
            {
                long since = Stopwatch.GetTimestamp();
                while (Volatile.Read(ref _started) == done)
                {
                    if (Stopwatch.GetTimestamp() - since < SpinTicks)
                    {
                        Thread.SpinWait(20);
                        continue;
                    }
                    Interlocked.Exchange(ref _sleeping, 1);
                    // the caller may have started a part between the last look and the flag: look once more
                    if (Volatile.Read(ref _started) == done) _signal.Wait();
                    else if (Interlocked.CompareExchange(ref _sleeping, 0, 1) == 0) _signal.Wait();  // its signal is on the way
                    since = Stopwatch.GetTimestamp();
                }
                done++;
                try { s_invoke(s_body, _part); }
                catch (Exception e) { Interlocked.CompareExchange(ref s_error, e, null); }
                Interlocked.Decrement(ref s_pending);
            }
        }
    }
}
