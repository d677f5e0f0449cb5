using Backprop.Data;

namespace Backprop.Tests.Data;

public class DatasetsTests
{
    [Fact]
    public void Spiral_HasTheCourseShape()
    {
        var d = Datasets.Spiral(100, 3, seed: 1);
        Assert.Equal(300, d.Count);
        Assert.Equal(2, d.FeatureCount);
        Assert.Equal(new long[] { 100, 100, 100 }, d.Labels.GroupBy(y => y).OrderBy(g => g.Key).Select(g => (long)g.Count()));
        for (int c = 0; c < 3; c++)
        {
            int first = c * 100, last = c * 100 + 99;
            Assert.Equal(0, Math.Sqrt(d.Features[2 * first] * d.Features[2 * first] + d.Features[2 * first + 1] * d.Features[2 * first + 1]), 1e-6);
            Assert.Equal(1, Math.Sqrt(d.Features[2 * last] * d.Features[2 * last] + d.Features[2 * last + 1] * d.Features[2 * last + 1]), 1e-6);
        }
    }

    [Fact]
    public void Generators_AreDeterministicForASeed()
    {
        foreach (Func<int, Dataset> make in new Func<int, Dataset>[]
                 { s => Datasets.Spiral(seed: s), s => Datasets.Moons(seed: s), s => Datasets.Circles(seed: s), s => Datasets.Blobs(seed: s) })
        {
            Assert.Equal(make(7).Features, make(7).Features);
            Assert.NotEqual(make(7).Features, make(8).Features);
        }
    }

    [Fact]
    public void Digits_IsTheShippedRealDataSet()
    {
        var d = Datasets.Digits();
        Assert.Equal(1797, d.Count);
        Assert.Equal(64, d.FeatureCount);
        Assert.Equal(10, d.Classes);
        Assert.All(d.Features, p => Assert.InRange(p, 0, 16));
        Assert.All(d.Labels.GroupBy(y => y), g => Assert.InRange(g.Count(), 170, 190));
    }

    [Fact]
    public void Split_IsASeededDisjointEightyTwenty()
    {
        var d = Datasets.Digits();
        var (train, test) = d.Split(0.2, seed: 0);
        Assert.Equal(1438, train.Count);
        Assert.Equal(359, test.Count);
        var (train2, _) = d.Split(0.2, seed: 0);
        Assert.Equal(train.Features, train2.Features);
        var rows = new HashSet<string>(train.Features.Chunk(64).Select(r => string.Join(",", r)));
        Assert.True(test.Features.Chunk(64).Count(r => rows.Contains(string.Join(",", r))) < 20); // duplicates of images are rare
    }

    [Fact]
    public void Standardize_GivesZeroMeanUnitDeviation()
    {
        var d = Datasets.Blobs(seed: 3);
        var (mean, std) = d.FeatureStatistics();
        var (m2, s2) = d.Standardize(mean, std).FeatureStatistics();
        Assert.All(m2, m => Assert.Equal(0, m, 1e-5));
        Assert.All(s2, s => Assert.Equal(1, s, 1e-5));
    }
}
