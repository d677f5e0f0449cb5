namespace Backprop.Data;

/// <summary>
/// Batches of a <see cref="Dataset{T}"/> (torch's DataLoader with a collate_fn): each batch's items, in the
/// epoch's order, go through <see cref="Collate"/>, which makes the batch (stacked tensors, padded sequences,
/// anything). Each enumeration is one epoch; with shuffling, the orders come from a generator seeded once, so the
/// same seed gives the same sequence of epochs.
/// </summary>
public sealed class DataLoader<T, TBatch> : IEnumerable<TBatch>
{
    private readonly Dataset<T> _data;
    private readonly Generator _generator;

    /// <summary>Creates a loader; <paramref name="dropLast"/> leaves out a last, smaller batch.</summary>
    public DataLoader(Dataset<T> data, int batchSize, Func<IReadOnlyList<T>, TBatch> collate, bool shuffle = false,
        long seed = 0, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(collate);
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize,
                $"DataLoader: the batch size must be positive, got {batchSize}");
        _data = data;
        BatchSize = batchSize;
        Collate = collate;
        Shuffle = shuffle;
        DropLast = dropLast;
        _generator = new Generator(seed);
    }

    /// <summary>Items per batch (the last one may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Makes a batch of its items.</summary>
    public Func<IReadOnlyList<T>, TBatch> Collate { get; }

    /// <summary>Whether each epoch visits the items in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last, smaller batch is left out.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per epoch.</summary>
    public int Count => DropLast ? _data.Count / BatchSize : (_data.Count + BatchSize - 1) / BatchSize;

    /// <summary>One epoch of batches.</summary>
    public IEnumerator<TBatch> GetEnumerator()
    {
        var order = Enumerable.Range(0, _data.Count).ToArray();
        if (Shuffle) DataLoader.Permute(order, _generator);
        for (int b = 0; b < Count; b++)
        {
            int start = b * BatchSize, size = Math.Min(BatchSize, order.Length - start);
            var items = new T[size];
            for (int i = 0; i < size; i++) items[i] = _data[order[start + i]];
            yield return Collate(items);
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Collate functions for <see cref="DataLoader{T, TBatch}"/>.</summary>
public static class Collate
{
    /// <summary>Tensors of one shape stacked along a new first dim.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return Tensor.Stack(items.ToArray());
    }

    /// <summary>(input, class) items as the stacked inputs and an Int64 tensor of the classes.</summary>
    public static (Tensor Inputs, Tensor Labels) Labelled(IReadOnlyList<(Tensor Input, long Label)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return (Tensor.Stack(items.Select(i => i.Input).ToArray()),
            Tensor.FromArray(items.Select(i => i.Label).ToArray()));
    }

    /// <summary>(input, target) items as the stacked inputs and the stacked targets.</summary>
    public static (Tensor Inputs, Tensor Targets) Pairs(IReadOnlyList<(Tensor Input, Tensor Target)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return (Tensor.Stack(items.Select(i => i.Input).ToArray()),
            Tensor.Stack(items.Select(i => i.Target).ToArray()));
    }
}
