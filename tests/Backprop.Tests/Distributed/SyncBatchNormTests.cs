using Backprop.Distributed;
using Backprop.Nn;
using Backprop.Optim;

namespace Backprop.Tests.Distributed;

/// <summary>
/// Ranks with SyncBatchNorm against one process with BatchNorm on the whole batch: a ragged split of 13 rows as
/// 6, 4, 3 and 0, three SGD steps, same gradients, weights and running statistics. With BatchNorm's per-rank
/// statistics (no synchronization) the same comparison fails, which the last test shows.
/// </summary>
public sealed class SyncBatchNormTests
{
    private static readonly int[][] Split = [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9], [10, 11, 12], []];
    private static readonly Tensor X = Tensor.Randn([13, 8], generator: new Generator(5)) * 2 + 1;
    private static readonly Tensor Y =
        Tensor.FromArray(Enumerable.Range(0, 13).Select(i => (long)(i * 7 % 3)).ToArray());

    private static Sequential Net() => new(new Linear(8, 6, generator: new Generator(1)), new BatchNorm1d(6),
        new ReLU(), new Linear(6, 3, generator: new Generator(2)));

    private static Tensor Rows(Tensor t, int[] rows) =>
        rows.Length == 0 ? t.Narrow(0, 0, 0) : Tensor.Cat(rows.Select(r => t.Narrow(0, r, 1)).ToArray());

    private static (float[][] Grads, float[][] State) Train(Module model, Func<Tensor, Tensor, int, int> step)
    {
        var optimizer = new SGD(model.Parameters(), 0.5);
        float[][]? firstGrads = null;
        for (int s = 0; s < 3; s++)
        {
            optimizer.ZeroGrad();
            step(X, Y, s);
            firstGrads ??= model.Parameters().Select(p => p.Grad!.ToArray<float>()).ToArray();
            optimizer.Step();
        }
        var state = model.StateDict().Where(e => e.Value.DType == DType.Float32).Select(e => e.Value.ToArray<float>());
        return (firstGrads!, state.ToArray());
    }

    private static (float[][], float[][]) TrainOne()
    {
        var model = Net();
        return Train(model, (x, y, _) => { F.CrossEntropy(model.Forward(x), y).Backward(); return 0; });
    }

    private static (float[][] Grads, float[][] State)[] OnRanks(bool synchronized) => Ranks.Run(4, comm =>
    {
        var net = synchronized ? SyncBatchNorm.Convert(Net(), comm) : Net();
        var ddp = new DistributedDataParallel(net, comm);
        var rows = Split[comm.Rank];
        return Train(ddp, (x, y, _) =>
        {
            // SyncBatchNorm's collectives need every rank, even an empty one; BatchNorm refuses an empty batch
            if (synchronized || rows.Length > 0) F.CrossEntropy(ddp.Forward(Rows(x, rows)), Rows(y, rows)).Backward();
            return ddp.ReduceGradients(rows.Length);
        });
    });

    private static void AssertClose(float[][] expected, float[][] actual, double tolerance)
    {
        for (int p = 0; p < expected.Length; p++)
            for (int i = 0; i < expected[p].Length; i++)
                Assert.True(
                    Math.Abs(expected[p][i] - actual[p][i]) <= tolerance * Math.Max(1, Math.Abs(expected[p][i])),
                    $"tensor {p}[{i}]: {actual[p][i]}, one process {expected[p][i]}");
    }

    [Fact]
    public void RanksNormalizeAndBackpropagateAsOneProcessOnTheWholeBatch()
    {
        var (grads, state) = TrainOne();
        var ranks = OnRanks(synchronized: true);
        foreach (var rank in ranks)
        {
            AssertClose(grads, rank.Grads, 1e-5);
            AssertClose(state, rank.State, 1e-5);   // weights, biases, running mean and variance
        }
    }

    [Fact]
    public void PerRankStatisticsDoNotGiveTheOneProcessGradients()
    {
        var (grads, _) = TrainOne();
        var ranks = OnRanks(synchronized: false);
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => AssertClose(grads, ranks[0].Grads, 1e-3));
    }

    [Fact]
    public void ConvertReplacesEveryBatchNormAndKeepsItsState()
    {
        var inner = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2, momentum: 0.3));
        var model = new Sequential(inner, new Flatten(), new BatchNorm1d(8, affine: false));
        using (Autograd.NoGrad()) ((BatchNorm)inner[1]).RunningMean!.Copy_(Tensor.FromArray(new float[] { 1, 2 }));
        var before = model.StateDict().ToDictionary(e => e.Key, e => e.Value.ToArray<float>().Length);
        var comm = Communicator.InProcess(1)[0];
        Assert.Same(model, SyncBatchNorm.Convert(model, comm));
        var sync = Assert.IsType<SyncBatchNorm>(inner[1]);
        Assert.Equal(0.3, sync.Momentum);
        Assert.Equal(new float[] { 1, 2 }, sync.RunningMean!.ToArray<float>());
        Assert.Null(Assert.IsType<SyncBatchNorm>(model[2]).Weight);
        Assert.Equal(before, model.StateDict().ToDictionary(e => e.Key, e => e.Value.ToArray<float>().Length));
        Assert.Equal([3, 8], model.Forward(Tensor.Randn([3, 1, 4, 4])).Shape);   // a group of one trains alone
    }
}
