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
    private readonly long _seed;
    private int _rank, _ranks = 1;

    /// <summary>Creates a loader; <paramref name="dropLast"/> leaves out a last batch smaller than
    /// <paramref name="batchSize"/>.</summary>
    public DataLoader(Dataset data, int batchSize, bool shuffle = false, long seed = 0, bool dropLast = false,
        DType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
            $"DataLoader: the batch size must be positive, got {batchSize}");
        var features = dtype ?? Tensor.DefaultDType;
        if (!features.IsFloatingPoint())
            throw new ArgumentException($"DataLoader: features must be floating point, got {features}");
        _data = data;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        DType = features;
        _seed = seed;
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

    /// <summary>Which share of each batch this loader yields: its rank of the ranks (0 of 1 unless sharded).</summary>
    public (int Rank, int Ranks) Share => (_rank, _ranks);

    /// <summary>
    /// A new loader over the same data, settings and seed that yields rank <paramref name="rank"/>'s share of each of
    /// this loader's batches (for data-parallel training): every rank draws the same order, and rank r takes the
    /// batch's rows r, r + ranks, r + 2·ranks, ..., so the ranks' batches together are the one-process batch. Every
    /// rank gets <see cref="Count"/> batches; in a ragged last batch some ranks may get none (zero rows).
    /// </summary>
    public DataLoader Shard(int rank, int ranks)
    {
        if (ranks < 1 || (uint)rank >= (uint)ranks)
            throw new ArgumentOutOfRangeException(nameof(rank), rank,
                $"DataLoader.Shard: rank {rank} is not one of {ranks} ranks (0 to ranks − 1)");
        return new DataLoader(_data, BatchSize, Shuffle, _seed, DropLast, DType) { _rank = rank, _ranks = ranks };
    }

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
            if (_ranks == 1) yield return Batch(order.AsSpan(start, size));
            else yield return Batch(Interleaved(order.AsSpan(start, size)));
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private int[] Interleaved(ReadOnlySpan<int> batch)
    {
        var share = new int[(batch.Length - _rank + _ranks - 1) / _ranks];
        for (int i = 0; i < share.Length; i++) share[i] = batch[_rank + i * _ranks];
        return share;
    }

    // from the sorted order with the loader's own generator, so the order depends only on the seed and the epoch
    private void ShuffleOrder()
    {
        Array.Sort(_order);
        Permute(_order, _generator);
    }

    /// <summary>Permutes <paramref name="order"/> in place by Fisher–Yates with <paramref
    /// name="generator"/>.</summary>
    internal static void Permute(int[] order, Generator generator)
    {
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(generator.NextUInt64() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
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
