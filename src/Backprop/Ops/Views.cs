namespace Backprop;

// Views share storage with their input; each one's gradient rule undoes its reshaping of the elements.
public sealed partial class Tensor
{
    private Tensor ViewOf(string name, int[] newShape, int[] newStrides, int newOffset,
        Func<Tensor, Tensor> backward) =>
        Op.Record(name, new Tensor(storage, newShape, newStrides, newOffset), this, backward, saved: []);

    /// <summary>The same elements in a new shape (one size may be -1): a view when the layout allows, else a
    /// copy.</summary>
    public Tensor Reshape(params int[] newShape)
    {
        var target = Shapes.Infer("Reshape", shape, newShape);
        if (Shapes.Equal(target, shape)) return this;
        var viewStrides = Shapes.ViewStrides(shape, strides, target);
        if (viewStrides is null) return Contiguous().Reshape(target);
        var inputShape = shape;
        return ViewOf("Reshape", target, viewStrides, offset, g => g.Reshape(inputShape));
    }

    /// <summary>As <see cref="Reshape"/> but never copies: fails when the layout cannot be viewed in the new
    /// shape.</summary>
    public Tensor View(params int[] newShape)
    {
        var target = Shapes.Infer("View", shape, newShape);
        var viewStrides = Shapes.ViewStrides(shape, strides, target)
            ?? throw new InvalidOperationException($"View: a tensor of shape {Shapes.Format(shape)} with " +
                $"strides {Shapes.Format(strides)} cannot be viewed as {Shapes.Format(target)}; use Reshape");
        var inputShape = shape;
        return ViewOf("View", target, viewStrides, offset, g => g.Reshape(inputShape));
    }

    /// <summary>Dims <paramref name="startDim"/>..<paramref name="endDim"/> merged into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (shape.Length == 0) return Reshape(1);
        int s = Shapes.NormalizeDim("Flatten", startDim, shape.Length, shape),
            e = Shapes.NormalizeDim("Flatten", endDim, shape.Length, shape);
        if (s > e) throw new ArgumentException($"Flatten: startDim {startDim} comes after endDim {endDim} for " +
            $"shape {Shapes.Format(shape)}");
        int merged = 1;
        for (int i = s; i <= e; i++) merged *= shape[i];
        return Reshape([.. shape[..s], merged, .. shape[(e + 1)..]]);
    }

    /// <summary>Removes dim <paramref name="dim"/> if its size is 1, or every size-1 dim when null.</summary>
    public Tensor Squeeze(int? dim = null)
    {
        int only = dim is { } d ? Shapes.NormalizeDim("Squeeze", d, shape.Length, shape) : -1;
        var newShape = new List<int>();
        var newStrides = new List<int>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1 && (only < 0 || i == only)) continue;
            newShape.Add(shape[i]); newStrides.Add(strides[i]);
        }
        if (newShape.Count == shape.Length) return this;
        var inputShape = shape;
        return ViewOf("Squeeze", newShape.ToArray(), newStrides.ToArray(), offset, g => g.Reshape(inputShape));
    }

    /// <summary>Inserts a size-1 dim at <paramref name="dim"/> (negative counts from the end of the result).</summary>
    public Tensor Unsqueeze(int dim)
    {
        int r = shape.Length + 1;
        if (dim < -r || dim >= r)
            throw new ArgumentOutOfRangeException(nameof(dim),
                $"Unsqueeze: dim {dim} is out of range for a result of rank {r} (input shape {Shapes.Format(shape)})");
        int d = dim < 0 ? dim + r : dim;
        int stride = d < shape.Length ? strides[d] * shape[d] : 1;
        var inputShape = shape;
        return ViewOf("Unsqueeze", [.. shape[..d], 1, .. shape[d..]], [.. strides[..d], stride, .. strides[d..]],
            offset, g => g.Reshape(inputShape));
    }

    /// <summary>Swaps two dims.</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        int a = Shapes.NormalizeDim("Transpose", dim0, shape.Length, shape),
            b = Shapes.NormalizeDim("Transpose", dim1, shape.Length, shape);
        if (a == b || shape.Length < 2) return this;
        var newShape = (int[])shape.Clone();
        var newStrides = (int[])strides.Clone();
        (newShape[a], newShape[b]) = (newShape[b], newShape[a]);
        (newStrides[a], newStrides[b]) = (newStrides[b], newStrides[a]);
        return ViewOf("Transpose", newShape, newStrides, offset, g => g.Transpose(a, b));
    }

    /// <summary>The dims in reverse order (the transpose of a matrix).</summary>
    public Tensor T
    {
        get
        {
            var order = new int[shape.Length];
            for (int i = 0; i < order.Length; i++) order[i] = order.Length - 1 - i;
            return Permute(order);
        }
    }

    /// <summary>The last two dims swapped (a batch of transposed matrices).</summary>
    public Tensor MT => shape.Length < 2
        ? throw new InvalidOperationException($"MT: needs at least 2 dims, got shape {Shapes.Format(shape)}")
        : Transpose(-2, -1);

    /// <summary>The dims reordered: result dim i is input dim <paramref name="dims"/>[i].</summary>
    public Tensor Permute(params int[] dims)
    {
        if (dims.Length != shape.Length)
            throw new ArgumentException($"Permute: {Shapes.Format(dims)} names {dims.Length} dims for a tensor of " +
                $"shape {Shapes.Format(shape)}");
        var newShape = new int[dims.Length];
        var newStrides = new int[dims.Length];
        var inverse = new int[dims.Length];
        var seen = new bool[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            int d = Shapes.NormalizeDim("Permute", dims[i], shape.Length, shape);
            if (seen[d]) throw new ArgumentException($"Permute: dim {dims[i]} appears twice in {Shapes.Format(dims)}");
            seen[d] = true;
            newShape[i] = shape[d]; newStrides[i] = strides[d]; inverse[d] = i;
        }
        return ViewOf("Permute", newShape, newStrides, offset, g => g.Permute(inverse));
    }

    /// <summary>A view repeating size-1 dims (and new leading dims) to <paramref name="sizes"/>; -1 keeps a
    /// size.</summary>
    public Tensor Expand(params int[] sizes)
    {
        if (sizes.Length < shape.Length)
            throw new ArgumentException($"Expand: cannot expand shape {Shapes.Format(shape)} " +
                $"to {Shapes.Format(sizes)}, which has fewer dims");
        int lead = sizes.Length - shape.Length;
        var target = new int[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            int own = i >= lead ? shape[i - lead] : 1;
            target[i] = sizes[i] == -1 && i >= lead ? own : sizes[i];
            if (target[i] < 0 || (own != 1 && own != target[i]))
                throw new ArgumentException($"Expand: cannot expand shape {Shapes.Format(shape)} " +
                    $"to {Shapes.Format(sizes)} (dim {i}: {own} to {sizes[i]})");
        }
        if (Shapes.Equal(target, shape)) return this;
        var inputShape = shape;
        return ViewOf("Expand", target, Shapes.BroadcastStrides(shape, strides, target), offset,
            g => Op.SumTo(g, inputShape));
    }

    /// <summary>
    /// A view of every window of <paramref name="size"/> elements along <paramref name="dim"/>, <paramref name="step"/>
    /// apart (torch.Tensor.unfold): dim becomes the window count and a last dim of <paramref name="size"/> is added.
    /// Windows may overlap, so the gradient adds each window's share back with IndexAdd.
    /// </summary>
    public Tensor Unfold(int dim, int size, int step)
    {
        int d = Shapes.NormalizeDim("Unfold", dim, Math.Max(shape.Length, 1), shape);
        int length = shape.Length == 0 ? 1 : shape[d];
        if (size < 0 || size > length || step < 1)
            throw new ArgumentException($"Unfold: windows of {size} every {step} do not fit dim {dim} of " +
                $"{Shapes.Format(shape)}");
        if (shape.Length == 0) return Reshape(size);
        int count = (length - size) / step + 1;
        int[] newShape = [.. shape, size], newStrides = [.. strides, strides[d]];
        newShape[d] = count;
        newStrides[d] = strides[d] * step;
        var inputShape = shape;
        var positions = new long[count * size];
        for (int w = 0; w < count; w++)
            for (int t = 0; t < size; t++) positions[w * size + t] = (long)w * step + t;
        return ViewOf("Unfold", newShape, newStrides, offset, g =>
        {
            var spread = g.Movedim(-1, d + 1).Reshape([.. inputShape[..d], count * size, .. inputShape[(d + 1)..]]);
            return Zeros(inputShape, g.DType, device: g.Device).IndexAdd(d, FromArray(positions).To(g.Device), spread);
        });
    }

    /// <summary>The elements in row-major order in fresh storage (this tensor itself when already
    /// contiguous).</summary>
    public Tensor Contiguous() => IsContiguous ? this : CopyOp("Contiguous");

    /// <summary>A copy in fresh storage; gradients flow back to this tensor.</summary>
    public Tensor Clone() => CopyOp("Clone");

    private Tensor CopyOp(string name)
    {
        var y = Empty(shape, DType, Device);
        Backend.Copy(this, y);
        return Op.Record(name, y, this, g => g, saved: []);
    }
}
