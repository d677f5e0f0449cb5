using Backprop.Distributed;

namespace Backprop.Tests.Distributed;

public sealed class CommunicatorTests
{
    [Fact]
    public void AllReduceSumsOverRanksAndGivesEveryRankTheSameBits()
    {
        var sums = Ranks.Run(3, comm =>
        {
            // values whose float sum depends on the order of addition: every rank must still get the same bits
            float[] values = [1e8f * (comm.Rank == 0 ? 1 : -0.5f), comm.Rank + 0.1f, 3];
            comm.AllReduce(values.AsSpan());
            return values;
        });
        Assert.Equal(0.1f + 1.1f + 2.1f, sums[0][1], 5);
        Assert.Equal(9f, sums[0][2]);
        Assert.Equal(sums[0], sums[1]);
        Assert.Equal(sums[0], sums[2]);
    }

    [Fact]
    public void AllReduceOfATensorSumsInPlaceAndBumpsItsVersion()
    {
        var results = Ranks.Run(2, comm =>
        {
            var t = Tensor.FromArray(new double[] { comm.Rank, 10 * comm.Rank + 1 });
            int before = t.Version;
            comm.AllReduce(t);
            return (t.ToArray<double>(), t.Version > before);
        });
        Assert.All(results, r => Assert.Equal(new double[] { 1, 12 }, r.Item1));
        Assert.All(results, r => Assert.True(r.Item2));
    }

    [Fact]
    public void BroadcastCopiesTheRootsValuesToEveryRank()
    {
        var results = Ranks.Run(3, comm =>
        {
            var t = Tensor.FromArray(new float[] { comm.Rank, comm.Rank * 2 });
            comm.Broadcast(t, root: 2);
            long[] ids = [comm.Rank];
            comm.Broadcast(ids.AsSpan(), root: 1);
            return (t.ToArray<float>(), ids[0]);
        });
        Assert.All(results, r => Assert.Equal(new float[] { 2, 4 }, r.Item1));
        Assert.All(results, r => Assert.Equal(1, r.Item2));
    }

    [Fact]
    public void AnAbortOnOneRankEndsTheCollectivesOfAllRanks()
    {
        var e = Assert.Throws<AggregateException>(() => Ranks.Run(3, comm =>
        {
            if (comm.Rank == 1) comm.Abort("the data on rank 1 is broken");
            comm.Barrier();   // ranks 0 and 2 would wait here forever without the abort
            return 0;
        }));
        Assert.Contains("the data on rank 1 is broken", e.InnerException!.Message);
    }

    [Fact]
    public void ARankThatThrowsLeavesNoRankHanging()
    {
        var e = Assert.Throws<AggregateException>(() => Ranks.Run(2, comm =>
        {
            if (comm.Rank == 0) throw new InvalidDataException("bad batch");
            comm.AllReduce(new float[4].AsSpan());
            return 0;
        }));
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [Fact]
    public void MismatchedCountsAreRefusedWithBothCounts()
    {
        var e = Assert.Throws<AggregateException>(() => Ranks.Run(2, comm =>
        {
            comm.AllReduce(new float[comm.Rank + 2].AsSpan());
            return 0;
        }));
        Assert.Contains("every rank must reduce the same count", e.InnerException!.Message);
    }

    [Fact]
    public void WithoutALauncherTheWorldIsOneProcessAndNeverLoadsMpi()
    {
        Assert.False(Communicator.IsLaunched);   // the test host runs without mpirun
        using var world = Communicator.FromEnvironment();
        Assert.Equal((0, 1, 0, 1), (world.Rank, world.Size, world.LocalRank, world.LocalSize));
        var values = new float[] { 1, 2 };
        world.AllReduce(values.AsSpan());
        Assert.Equal(new float[] { 1, 2 }, values);
        var modules = System.Diagnostics.Process.GetCurrentProcess().Modules;
        Assert.DoesNotContain(modules.Cast<System.Diagnostics.ProcessModule>(),
            m => m.ModuleName.StartsWith("libmpi", StringComparison.Ordinal));
    }

    [Fact]
    public void ABroadcastFromARankOutsideTheGroupIsRefused()
    {
        var e = Assert.Throws<AggregateException>(() => Ranks.Run(2, comm =>
        {
            comm.Broadcast(new byte[1].AsSpan(), root: 2);
            return 0;
        }));
        Assert.Contains("root 2 is not a rank of a group of 2", e.InnerException!.Message);
    }
}
