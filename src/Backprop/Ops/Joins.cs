namespace Backprop;

// Joining and splitting along a dim: Cat copies into one tensor and hands each input its slice of the gradient.
public sealed partial class Tensor
{
    /// <summary>
    /// Concatenates tensors of equal shape except along <paramref name="dim"/>; mixed dtypes promote as in PyTorch,
    /// and each input's gradient comes back in its own dtype.
    /// </summary>
    public static Tensor Cat(Tensor[] tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("Cat: needs at least one tensor");
        var dtype = tensors[0].DType;
        foreach (var t in tensors) dtype = Promotion.Promote(dtype, t.DType);
        tensors = Array.ConvertAll(tensors, t => t.To(dtype));
        var first = tensors[0];
        int d = Shapes.NormalizeDim("Cat", dim, first.shape.Length, first.shape);
        if (first.shape.Length == 0) throw new ArgumentException("Cat: cannot concatenate 0-dim tensors; use Stack");
        int total = 0;
        foreach (var t in tensors)
        {
            Op.RequireSameDevice("Cat", first, t);
            bool fits = t.shape.Length == first.shape.Length;
            for (int i = 0; fits && i < t.shape.Length; i++) fits = i == d || t.shape[i] == first.shape[i];
            if (!fits)
                throw new ArgumentException($"Cat: shapes {Shapes.Format(first.shape)} and {Shapes.Format(t.shape)} " +
                    $"differ outside dim {d}");
            total += t.shape[d];
        }
        var shape = (int[])first.shape.Clone();
        shape[d] = total;
        var y = Empty(shape, first.DType, first.Device);
        var starts = new int[tensors.Length];
        for (int i = 0, at = 0; i < tensors.Length; at += tensors[i].shape[d], i++)
        {
            starts[i] = at;
            var t = tensors[i];
            y.Backend.Copy(t, new Tensor(y.storage, t.shape, y.strides, at * y.strides[d]));
        }
        var sizes = Array.ConvertAll(tensors, t => t.shape[d]);
        return Op.Record("Cat", y, tensors, g =>
        {
            var grads = new Tensor?[sizes.Length];
            for (int i = 0; i < sizes.Length; i++) grads[i] = g.Narrow(d, starts[i], sizes[i]);
            return grads;
        }, saved: []);
    }

    /// <summary>Stacks tensors of equal shape along a new dim.</summary>
    public static Tensor Stack(Tensor[] tensors, int dim = 0)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0) throw new ArgumentException("Stack: needs at least one tensor");
        foreach (var t in tensors)
            if (!Shapes.Equal(t.shape, tensors[0].shape))
                throw new ArgumentException($"Stack: shapes {Shapes.Format(tensors[0].shape)} " +
                    $"and {Shapes.Format(t.shape)} differ");
        return Cat(Array.ConvertAll(tensors, t => t.Unsqueeze(dim)), dim);
    }

    /// <summary>Views of consecutive pieces of <paramref name="splitSize"/> along <paramref name="dim"/> (the last may
    /// be smaller).</summary>
    public Tensor[] Split(int splitSize, int dim = 0)
    {
        if (splitSize <= 0) throw new ArgumentException($"Split: splitSize must be positive, got {splitSize}");
        int d = Shapes.NormalizeDim("Split", dim, shape.Length, shape), size = shape[d];
        var pieces = new Tensor[Math.Max(1, (size + splitSize - 1) / splitSize)];
        for (int i = 0; i < pieces.Length; i++) pieces[i] = Narrow(d, i * splitSize,
            Math.Min(splitSize, size - i * splitSize));
        return pieces;
    }

    /// <summary>Views of pieces with the given sizes along <paramref name="dim"/>, which must add up to its
    /// size.</summary>
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        int d = Shapes.NormalizeDim("Split", dim, shape.Length, shape);
        int sum = 0;
        foreach (int s in sizes) sum += s < 0
            ? throw new ArgumentException($"Split: negative size in {Shapes.Format(sizes)}") : s;
        if (sum != shape[d]) throw new ArgumentException($"Split: sizes {Shapes.Format(sizes)} add up to {sum}, but " +
            $"dim {d} of {Shapes.Format(shape)} has size {shape[d]}");
        var pieces = new Tensor[sizes.Length];
        for (int i = 0, at = 0; i < sizes.Length; at += sizes[i], i++) pieces[i] = Narrow(d, at, sizes[i]);
        return pieces;
    }

    /// <summary>Up to <paramref name="chunks"/> views of equal size (the last may be smaller) along
    /// <paramref name="dim"/>.</summary>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0) throw new ArgumentException($"Chunk: chunks must be positive, got {chunks}");
        int d = Shapes.NormalizeDim("Chunk", dim, shape.Length, shape);
        return Split(Math.Max(1, (shape[d] + chunks - 1) / chunks), d);
    }
}
