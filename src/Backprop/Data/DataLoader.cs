namespace Backprop.Data;

/// <summary>
/// Batches of a <see cref="Dataset"/> as tensors: features [batch, FeatureCount] (float32, or float64 when asked)
/// and Int64 labels [batch]. Each enumeration is one epoch; with shuffling, epoch k's order is drawn from a
/// generator seeded once, so the same seed gives the same sequence of epochs.
/// </summary>
public sealed class DataLoader : IEnumerable<(Tensor Features, Tensor Labels)>
{
    private readonly Dataset _data;
    private readonly Generator _generator;
    private readonly int[] _order;

    /// <summary>Creates a loader; <paramref name="dropLast"/> leaves out a last batch smaller than <paramref name="batchSize"/>.</summary>
    public DataLoader(Dataset data, int batchSize, bool shuffle = false, long seed = 0, bool dropLast = false,
        DType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"DataLoader: the batch size must be positive, got {batchSize}");
        var features = dtype ?? Tensor.DefaultDType;
        if (!features.IsFloatingPoint())
            throw new ArgumentException($"DataLoader: features must be floating point, got {features}");
        _data = data;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        DType = features;
        _generator = new Generator(seed);
        _order = Enumerable.Range(0, data.Count).ToArray();
    }

    /// <summary>Examples per batch (the last one may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the examples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last, smaller batch is left out.</summary>
    public bool DropLast { get; }

    /// <summary>The dtype of the feature tensors.</summary>
    public DType DType { get; }

    /// <summary>Batches per epoch.</summary>
    public int Count => DropLast ? _data.Count / BatchSize : (_data.Count + BatchSize - 1) / BatchSize;

    /// <summary>One epoch of batches.</summary>
    public IEnumerator<(Tensor Features, Tensor Labels)> GetEnumerator()
    {
        if (Shuffle) ShuffleOrder();
        var order = (int[])_order.Clone();  // an epoch keeps its order even if another starts meanwhile
        for (int b = 0; b < Count; b++)
        {
            int start = b * BatchSize, size = Math.Min(BatchSize, order.Length - start);
            yield return Batch(order.AsSpan(start, size));
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    // Fisher–Yates with the loader's own generator, so the order depends only on the seed and the epoch.
    private void ShuffleOrder()
    {
        Array.Sort(_order);
        for (int i = _order.Length - 1; i > 0; i--)
        {
            int j = (int)(_generator.NextUInt64() % (ulong)(i + 1));
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
    }

    private (Tensor, Tensor) Batch(ReadOnlySpan<int> rows)
    {
        int width = _data.FeatureCount;
        var features = Tensor.Zeros([rows.Length, width], DType);
        var labels = new long[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            var source = _data.Features.AsSpan(rows[i] * width, width);
            if (DType == DType.Float32) source.CopyTo(features.AsSpan<float>().Slice(i * width, width));
            else
            {
                var target = features.AsSpan<double>().Slice(i * width, width);
                for (int j = 0; j < width; j++) target[j] = source[j];
            }
            labels[i] = _data.Labels[rows[i]];
        }
        return (features, Tensor.FromArray(labels));
    }
}

/// <summary>Data sets as whole tensors.</summary>
public static class DatasetTensors
{
    /// <summary>All features [Count, FeatureCount] in <paramref name="dtype"/> and the Int64 labels [Count].</summary>
    public static (Tensor Features, Tensor Labels) ToTensors(this Dataset data, DType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var features = Tensor.FromArray(data.Features, [data.Count, data.FeatureCount]);
        return (features.To(dtype ?? Tensor.DefaultDType), Tensor.FromArray(data.Labels));
    }

    /// <summary>
    /// The training and test sets standardized with the training set's per-feature mean and deviation, so that no
    /// figure of the test set leaks into training.
    /// </summary>
    public static (Dataset Train, Dataset Test) StandardizeWithTraining(Dataset train, Dataset test)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        var (mean, std) = train.FeatureStatistics();
        return (train.Standardize(mean, std), test.Standardize(mean, std));
    }
}
