using System.Collections;

namespace Backprop.Data;

/// <summary>
/// A data set of items of any type (torch.utils.data.Dataset): derive from it, say how many items there are and
/// how to get item i (read a file, decode an image, build a tensor), and batch it with
/// <see cref="DataLoader{T, TBatch}"/> and a collate function.
/// </summary>
public abstract class Dataset<T> : IReadOnlyList<T>
{
    /// <summary>How many items there are.</summary>
    public abstract int Count { get; }

    /// <summary>Item <paramref name="index"/>, 0 ≤ index &lt; <see cref="Count"/>.</summary>
    public abstract T this[int index] { get; }

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Throws naming the data set unless 0 ≤ <paramref name="index"/> &lt; <see cref="Count"/>.</summary>
    protected int CheckIndex(int index) => (uint)index < (uint)Count ? index
        : throw new ArgumentOutOfRangeException(nameof(index), index,
            $"{GetType().Name}: index {index} is outside 0..{Count - 1}");
}

/// <summary>The items of another data set at the given indices, in that order (torch's Subset).</summary>
public sealed class Subset<T> : Dataset<T>
{
    private readonly int[] _indices;

    /// <summary>Views <paramref name="indices"/> of <paramref name="source"/>.</summary>
    public Subset(Dataset<T> source, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Any(i => (uint)i >= (uint)source.Count))
            throw new ArgumentOutOfRangeException(nameof(indices),
                $"Subset: an index is outside 0..{source.Count - 1} of {source.GetType().Name}");
        Source = source;
        _indices = indices.ToArray();
    }

    /// <summary>The data set viewed.</summary>
    public Dataset<T> Source { get; }

    /// <summary>The source's indices, in order.</summary>
    public IReadOnlyList<int> Indices => _indices;

    /// <inheritdoc/>
    public override int Count => _indices.Length;

    /// <inheritdoc/>
    public override T this[int index] => Source[_indices[CheckIndex(index)]];
}

/// <summary>Items given as a list, or made by a function of the index.</summary>
public sealed class ListDataset<T> : Dataset<T>
{
    private readonly Func<int, T> _item;

    /// <summary>The items of <paramref name="items"/>.</summary>
    public ListDataset(IReadOnlyList<T> items) : this(items.Count, i => items[i]) { }

    /// <summary><paramref name="count"/> items, item i being <paramref name="item"/>(i).</summary>
    public ListDataset(int count, Func<int, T> item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count,
            $"ListDataset: the count must be ≥ 0, got {count}");
        Count = count;
        _item = item;
    }

    /// <inheritdoc/>
    public override int Count { get; }

    /// <inheritdoc/>
    public override T this[int index] => _item(CheckIndex(index));
}

/// <summary>Helpers over item data sets.</summary>
public static class DatasetSplits
{
    /// <summary>
    /// Splits <paramref name="data"/> into non-overlapping subsets of the given lengths, which must add up to its
    /// count, by a permutation drawn from <paramref name="generator"/> (torch's random_split).
    /// </summary>
    public static Subset<T>[] RandomSplit<T>(Dataset<T> data, int[] lengths, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentNullException.ThrowIfNull(generator);
        if (lengths.Any(l => l < 0) || lengths.Sum() != data.Count)
            throw new ArgumentException($"RandomSplit: lengths [{string.Join(", ", lengths)}] must be ≥ 0 and " +
                $"add up to the data set's {data.Count} items");
        var order = Enumerable.Range(0, data.Count).ToArray();
        DataLoader.Permute(order, generator);
        var subsets = new Subset<T>[lengths.Length];
        for (int i = 0, start = 0; i < lengths.Length; start += lengths[i], i++)
            subsets[i] = new Subset<T>(data, order[start..(start + lengths[i])]);
        return subsets;
    }
}
