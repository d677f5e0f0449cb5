using Backprop.Data;

namespace Backprop.Tests.Data;

public class DataLoaderTests
{
    private static Dataset Numbered(int count) =>
        new("numbered", Enumerable.Range(0, count * 2).Select(i => (float)(i / 2)).ToArray(), 2, Enumerable.Range(0, count).Select(i => (long)(i % 3)).ToArray(), 3);

    private static List<long[]> Epoch(DataLoader loader) => loader.Select(b => b.Labels.ToArray<long>()).ToList();

    [Fact]
    public void BatchesKeepOrDropTheLastPartialBatch()
    {
        var data = Numbered(10);
        var kept = new DataLoader(data, 4).ToList();
        Assert.Equal([4, 4, 2], kept.Select(b => b.Features.Shape[0]));
        Assert.Equal([2, 2], kept[2].Features.Shape);
        Assert.Equal([8f, 8f, 9f, 9f], kept[2].Features.ToArray<float>());
        Assert.Equal(DType.Int64, kept[0].Labels.DType);
        Assert.Equal([4, 4], new DataLoader(data, 4, dropLast: true).Select(b => b.Labels.Numel));
        Assert.Equal(2, new DataLoader(data, 4, dropLast: true).Count);
    }

    [Fact]
    public void ShardsInterleaveEachBatchOfTheSameSeededOrder()
    {
        var data = Numbered(17);
        var whole = new DataLoader(data, 8, shuffle: true, seed: 3);
        var shards = Enumerable.Range(0, 3).Select(r => whole.Shard(r, 3)).ToArray();
        Assert.All(shards, s => Assert.Equal(3, s.Count));   // every rank takes every step, even an empty one
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var batches = whole.Select(b => b.Features.ToArray<float>()).ToList();
            var parts = shards.Select(s => s.Select(b => b.Features.ToArray<float>()).ToList()).ToArray();
            for (int b = 0; b < batches.Count; b++)
            {
                // rank r holds rows r, r + 3, ... of the one-process batch (two floats a row)
                var rows = batches[b].Chunk(2).ToArray();
                for (int r = 0; r < 3; r++)
                    Assert.Equal(rows.Where((_, i) => i % 3 == r).SelectMany(x => x), parts[r][b]);
            }
        }
        Assert.Equal([3, 3, 1], shards[0].Select(b => b.Labels.Numel));   // 17 = 8 + 8 + 1
        Assert.Equal([3, 3, 0], shards[1].Select(b => b.Labels.Numel));   // no row of the last batch
        Assert.Equal((2, 3), shards[2].Share);
        Assert.Throws<ArgumentOutOfRangeException>(() => whole.Shard(3, 3));
    }

    [Fact]
    public void ShufflingIsSeededAndNewEachEpoch()
    {
        var data = Numbered(50);
        var a = new DataLoader(data, 8, shuffle: true, seed: 5);
        var b = new DataLoader(data, 8, shuffle: true, seed: 5);
        var first = a.Select(x => x.Features.ToArray<float>()).SelectMany(f => f.Where((_, i) => i % 2 == 0)).ToArray();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (float)i), first.Order());          // every example once
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => (float)i), first);
        var second = a.Select(x => x.Features.ToArray<float>()).SelectMany(f => f).ToArray();
        Assert.Equal(first, b.Select(x => x.Features.ToArray<float>()).SelectMany(f => f.Where((_, i) => i % 2 == 0)).ToArray());
        Assert.NotEqual(first, second.Where((_, i) => i % 2 == 0).ToArray());
        Assert.Equal(Epoch(new DataLoader(data, 8, seed: 5)), Epoch(new DataLoader(data, 8, seed: 6)));  // no shuffle: seed unused
    }

    [Fact]
    public void StandardizationUsesTheTrainingStatistics()
    {
        var (train, test) = Numbered(20).Split(0.25, seed: 1);
        var (trainStd, testStd) = DatasetTensors.StandardizeWithTraining(train, test);
        var (mean, std) = train.FeatureStatistics();
        Assert.Equal((test.Features[0] - mean[0]) / std[0], testStd.Features[0], 1e-5);
        var (features, labels) = trainStd.ToTensors(DType.Float64);
        Assert.Equal([15, 2], features.Shape);
        Assert.Equal(0, features.Mean().Item(), 1e-6);
        Assert.Equal(train.Labels, labels.ToArray<long>());
    }

    [Fact]
    public void BadBatchSizesAreRefused() =>
        Assert.Contains("batch size", Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Numbered(3), 0)).Message);
}
