namespace Backprop.Data;

/// <summary>
/// A labelled data set in memory: <see cref="Features"/> row-major [Count, FeatureCount] in float32, and a class
/// index per row in <see cref="Labels"/>.
/// </summary>
public sealed class Dataset
{
    /// <summary>Creates a data set; the features must hold labels.Length rows of <paramref name="featureCount"/>
    /// values.</summary>
    public Dataset(string name, float[] features, int featureCount, long[] labels, int classes)
    {
        if (featureCount <= 0 || features.Length != labels.Length * featureCount)
            throw new ArgumentException($"{name}: {features.Length} feature values do not make {labels.Length} rows " +
                $"of {featureCount}");
        foreach (long y in labels)
            if (y < 0 || y >= classes) throw new ArgumentException($"{name}: label {y} is outside 0..{classes - 1}");
        Name = name;
        Features = features;
        FeatureCount = featureCount;
        Labels = labels;
        Classes = classes;
    }

    /// <summary>The data set's name, as in <c>spiral</c>.</summary>
    public string Name { get; }

    /// <summary>Row-major features, <see cref="Count"/> rows of <see cref="FeatureCount"/>.</summary>
    public float[] Features { get; }

    /// <summary>Values per example.</summary>
    public int FeatureCount { get; }

    /// <summary>The class index of each example.</summary>
    public long[] Labels { get; }

    /// <summary>How many classes there are.</summary>
    public int Classes { get; }

    /// <summary>How many examples there are.</summary>
    public int Count => Labels.Length;

    /// <summary>The examples at the given row indices, in that order.</summary>
    public Dataset Subset(IReadOnlyList<int> rows, string? name = null)
    {
        var x = new float[rows.Count * FeatureCount];
        var y = new long[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            Array.Copy(Features, rows[i] * FeatureCount, x, i * FeatureCount, FeatureCount);
            y[i] = Labels[rows[i]];
        }
        return new Dataset(name ?? Name, x, FeatureCount, y, Classes);
    }

    /// <summary>A seeded shuffle split: the first (1 - testFraction) of a permutation trains, the rest tests.</summary>
    public (Dataset train, Dataset test) Split(double testFraction, int seed)
    {
        if (testFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction,
            "must be between 0 and 1");
        var order = Enumerable.Range(0, Count).ToArray();
        new Random(seed).Shuffle(order);
        int trainCount = Count - (int)Math.Round(Count * testFraction);
        return (Subset(order[..trainCount], Name + "-train"), Subset(order[trainCount..], Name + "-test"));
    }

    /// <summary>Per-feature mean and standard deviation (population), to standardize other sets with the same
    /// figures.</summary>
    public (float[] mean, float[] std) FeatureStatistics()
    {
        var mean = new double[FeatureCount];
        var sq = new double[FeatureCount];
        for (int i = 0; i < Count; i++)
            for (int j = 0; j < FeatureCount; j++)
            {
                double v = Features[i * FeatureCount + j];
                mean[j] += v;
                sq[j] += v * v;
            }
        var m = new float[FeatureCount];
        var s = new float[FeatureCount];
        for (int j = 0; j < FeatureCount; j++)
        {
            double mu = mean[j] / Count;
            m[j] = (float)mu;
            s[j] = (float)Math.Sqrt(Math.Max(sq[j] / Count - mu * mu, 0));
        }
        return (m, s);
    }

    /// <summary>A copy with each feature shifted by <paramref name="mean"/> and divided by <paramref name="std"/>
    /// (constant features are only shifted).</summary>
    public Dataset Standardize(float[] mean, float[] std)
    {
        if (mean.Length != FeatureCount || std.Length != FeatureCount)
            throw new ArgumentException($"{Name}: standardizing {FeatureCount} features needs {FeatureCount} means " +
                "and deviations");
        var x = new float[Features.Length];
        for (int i = 0; i < Count; i++)
            for (int j = 0; j < FeatureCount; j++)
            {
                int k = i * FeatureCount + j;
                x[k] = (Features[k] - mean[j]) / (std[j] > 1e-8f ? std[j] : 1f);
            }
        return new Dataset(Name, x, FeatureCount, Labels, Classes);
    }
}
