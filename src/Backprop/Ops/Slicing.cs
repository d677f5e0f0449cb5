namespace Backprop;

/// <summary>One entry of a tensor indexer: an integer picks (and removes) a dim's element, a range slices it.</summary>
public readonly struct TensorIndex
{
    internal readonly int Index;      // used when Range is null; negative counts from the end
    internal readonly Range? Range;

    private TensorIndex(int index, Range? range) { Index = index; Range = range; }

    /// <summary>Picks one element along the dim (negative counts from the end).</summary>
    public static implicit operator TensorIndex(int index) => new(index, null);

    /// <summary>Picks one element along the dim (^n counts from the end).</summary>
    public static implicit operator TensorIndex(Index index) => new(index.IsFromEnd ? -index.Value : index.Value, null);

    /// <summary>Keeps a range of the dim (^n counts from the end).</summary>
    public static implicit operator TensorIndex(Range range) => new(0, range);
}

// Slices are views with a shifted offset and scaled strides; their gradient is scattered back into zeros.
public sealed partial class Tensor
{
    /// <summary>
    /// Indexes dims from the left: <c>t[1]</c> picks row 1, <c>t[.., 2..5]</c> keeps columns 2 to 4, <c>t[^1]</c> the
    /// last row.
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("Index")]
    public Tensor this[params TensorIndex[] indices]
    {
        get
        {
            if (indices.Length > shape.Length)
                throw new ArgumentException($"Index: {indices.Length} indices for a tensor of " +
                    $"shape {Shapes.Format(shape)}");
            var result = this;
            int dim = 0;
            foreach (var index in indices)
            {
                if (index.Range is { } range)
                {
                    int size = result.shape[dim];
                    int start = range.Start.GetOffset(size), end = range.End.GetOffset(size);
                    if (start < 0 || end > size || start > end)
                        throw new ArgumentOutOfRangeException(nameof(indices),
                            $"Index: range {range} is out of bounds for dim {dim} with size {size}");
                    result = result.Narrow(dim, start, end - start);
                    dim++;
                }
                else result = result.Select(dim, index.Index);
            }
            return result;
        }
    }

    /// <summary>The elements start, start+1, ..., start+length-1 along <paramref name="dim"/>, as a view.</summary>
    public Tensor Narrow(int dim, int start, int length) => Slice(dim, start, start + length);

    /// <summary>Elements start, start+step, ... before end along <paramref name="dim"/>, as a view (negative start/end
    /// count from the end).</summary>
    public Tensor Slice(int dim, int start, int end, int step = 1)
    {
        int d = Shapes.NormalizeDim("Slice", dim, shape.Length, shape);
        if (shape.Length == 0) throw new ArgumentException("Slice: cannot slice a 0-dim tensor");
        int size = shape[d];
        if (step <= 0) throw new ArgumentException($"Slice: step must be positive, got {step}");
        int s = start < 0 ? start + size : start, e = end < 0 ? end + size : Math.Min(end, size);
        if (s < 0 || s > size || e < s)
            throw new ArgumentOutOfRangeException(nameof(start),
                $"Slice: [{start}, {end}) is out of range for dim {d} with size {size}");
        if (s == 0 && e == size && step == 1) return this;
        var newShape = (int[])shape.Clone();
        var newStrides = (int[])strides.Clone();
        newShape[d] = (e - s + step - 1) / step;
        newStrides[d] = strides[d] * step;
        var inputShape = shape;
        return ViewOf("Slice", newShape, newStrides, offset + s * strides[d],
            g => SliceBackward(g, inputShape, d, s, step));
    }

    /// <summary>The sub-tensor at <paramref name="index"/> along <paramref name="dim"/>, which is removed.</summary>
    public Tensor Select(int dim, int index)
    {
        int d = Shapes.NormalizeDim("Select", dim, shape.Length, shape);
        if (shape.Length == 0) throw new ArgumentException("Select: cannot index a 0-dim tensor");
        int size = shape[d];
        if (index < -size || index >= size)
            throw new ArgumentOutOfRangeException(nameof(index),
                $"Select: index {index} is out of range for dim {d} with size {size}");
        int i = index < 0 ? index + size : index;
        var inputShape = shape;
        return ViewOf("Select", [.. shape[..d], .. shape[(d + 1)..]], [.. strides[..d], .. strides[(d + 1)..]],
            offset + i * strides[d], g => SliceBackward(g.Unsqueeze(d), inputShape, d, i, 1));
    }

    // zeros of the input's shape with g written into the sliced positions; its own gradient is the slice again
    private static Tensor SliceBackward(Tensor g, int[] inputShape, int dim, int start, int step)
    {
        var y = Empty(inputShape, g.DType, g.Device);
        var region = (int[])y.strides.Clone();
        region[dim] *= step;
        g.Backend.Copy(g, new Tensor(y.storage, g.shape, region, start * y.strides[dim]));
        int end = start + (g.shape[dim] - 1) * step + 1;
        return Op.Record("SliceBackward", y, g, gg => gg.Slice(dim, start, end, step), saved: []);
    }
}
