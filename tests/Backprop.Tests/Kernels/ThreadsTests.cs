using Backprop.Kernels.Cpu;

namespace Backprop.Tests.Kernels;

// ParallelFor runs a call on the calling thread alone while another call holds the pool, and these tests check what
// the pool itself does: they must not share the process with other tests' kernels.
[CollectionDefinition("Worker pool", DisableParallelization = true)]
public class WorkerPoolCollection;

[Collection("Worker pool")]
public class ThreadsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Setting_fewer_than_one_thread_is_refused_naming_the_value_and_keeps_the_count(int bad)
    {
        int before = Threads.Count;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Threads.Count = bad);
        Assert.Contains(bad.ToString(), error.Message);
        Assert.Equal(before, Threads.Count);
    }

    [Fact]
    public void A_count_that_is_set_is_read_back()
    {
        int before = Threads.Count;
        try
        {
            Threads.Count = before + 1;
            Assert.Equal(before + 1, Threads.Count);
        }
        finally
        {
            Threads.Count = before;
        }
    }

    [Theory]
    [InlineData("4", 4)]
    [InlineData(" 1 ", 1)]
    [InlineData("0", null)]
    [InlineData("-2", null)]
    [InlineData("two", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_environment_override_accepts_only_positive_integers(string? text, int? expected) =>
        Assert.Equal(expected, Threads.ParseCount(text));

    // Bodies must be unmanaged structs, so what they record goes to static arrays (tests in a class run one at a time).
    private static readonly int[] Runs = new int[64];
    private static readonly int[] RanOn = new int[64];

    private readonly struct CountParts(int offset) : IPartBody
    {
        public void Invoke(int part)
        {
            Interlocked.Increment(ref Runs[offset + part]);
            RanOn[offset + part] = Environment.CurrentManagedThreadId;
        }
    }

    // Parts are handed to whichever thread asks first: many small parts, call after call, must each run exactly once.
    [Fact]
    public void Every_part_runs_exactly_once()
    {
        foreach (int parts in new[] { 2, 5, 64 })
            for (int round = 0; round < 50; round++)
            {
                Array.Clear(Runs);
                var body = new CountParts(0);
                ParallelFor.Run(parts, ref body);
                Assert.All(Runs[..parts], runs => Assert.Equal(1, runs));
                Assert.All(Runs[parts..], runs => Assert.Equal(0, runs));
            }
    }

    [Fact]
    public void A_call_limited_to_one_thread_runs_every_part_on_the_caller()
    {
        Array.Clear(Runs);
        var body = new CountParts(0);
        ParallelFor.Run(6, ref body, threads: 1);
        Assert.All(Runs[..6], runs => Assert.Equal(1, runs));
        Assert.All(RanOn[..6], thread => Assert.Equal(Environment.CurrentManagedThreadId, thread));
    }

    // Workers watch for the next call for a while, then block: calls that come back to back, and calls after a pause
    // long enough for every worker to have gone to sleep, must each be finished (a lost wake-up would hang the call).
    [Fact]
    public async Task Calls_that_come_at_once_and_calls_after_the_workers_went_to_sleep_all_finish()
    {
        const int parts = 3;
        var run = Task.Run(() =>
        {
            for (int round = 0; round < 40; round++)
            {
                if (round % 4 == 3) Thread.Sleep(5);
                Array.Clear(Runs);
                var body = new CountParts(0);
                ParallelFor.Run(parts, ref body);
                Assert.Equal([1, 1, 1], Runs[..parts]);
            }
        });
        var first = await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(first == run, "a call waited for a worker that was never woken");
        await run;
    }

    private readonly struct ThrowOnPart(int failing) : IPartBody
    {
        public void Invoke(int part)
        {
            if (part == failing) throw new InvalidOperationException($"part {part} failed");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void An_exception_in_any_part_reaches_the_caller_and_the_pool_keeps_working(int failing)
    {
        var body = new ThrowOnPart(failing);
        var error = Assert.Throws<AggregateException>(() => ParallelFor.Run(3, ref body));
        Assert.Contains($"part {failing} failed", error.InnerException!.Message);
        Every_part_runs_exactly_once();
    }

    private readonly struct NestedParts : IPartBody
    {
        public void Invoke(int part)
        {
            var inner = new CountParts(4 * part);
            ParallelFor.Run(4, ref inner);
        }
    }

    [Fact]
    public void A_part_that_runs_its_own_parallel_loop_completes()
    {
        Array.Clear(Runs);
        var body = new NestedParts();
        ParallelFor.Run(2, ref body);
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1, 0], Runs[..9]);
    }
}
