namespace Backprop;

// Ops that move, repeat or mask elements without arithmetic: padding, flips and rolls, repeats, triangles and
// diagonals, and the products outer and kron. Each is a composition of views, Cat, IndexSelect and Where, so its
// gradient comes from theirs and it runs on every backend.
public sealed partial class Tensor
{
    /// <summary>
    /// x padded as torch.nn.functional.pad: <paramref name="pad"/> holds (before, after) pairs from the last dim
    /// backward (negative amounts crop). <paramref name="mode"/> is "constant" (with <paramref name="value"/>),
    /// "reflect" (mirrored, the edge not repeated), "replicate" (the edge repeated) or "circular" (wrapped around).
    /// </summary>
    public static Tensor Pad(Tensor x, int[] pad, string mode = "constant", double value = 0)
    {
        if (pad.Length % 2 != 0 || pad.Length / 2 > x.NDim)
            throw new ArgumentException($"Pad: {Shapes.Format(pad)} must hold a (before, after) pair for each of " +
                $"at most {x.NDim} dims of {Op.Describe(x)}");
        if (mode is not ("constant" or "reflect" or "replicate" or "circular"))
            throw new ArgumentException(
                $"Pad: mode must be \"constant\", \"reflect\", \"replicate\" or \"circular\", got \"{mode}\"");
        var y = x;
        for (int pair = 0; pair < pad.Length / 2; pair++)
            y = PadDim(y, x.NDim - 1 - pair, pad[2 * pair], pad[2 * pair + 1], mode, value);
        return y;
    }

    private static Tensor PadDim(Tensor x, int d, int before, int after, string mode, double value)
    {
        if (before < 0) (x, before) = (x.Narrow(d, -before, x.shape[d] + before), 0);
        if (after < 0) (x, after) = (x.Narrow(d, 0, x.shape[d] + after), 0);
        if (before == 0 && after == 0) return x;
        int n = x.shape[d];
        bool fits = mode switch
        {
            "reflect" => before < n && after < n,
            "circular" => before <= n && after <= n,
            "replicate" => n > 0,
            _ => true,
        };
        if (!fits)
            throw new ArgumentException($"Pad: {mode} padding of ({before}, {after}) is too large for dim {d} " +
                $"of size {n}");
        var pieces = new List<Tensor>(3);
        if (before > 0) pieces.Add(PadPiece(x, d, before, true, mode, value));
        pieces.Add(x);
        if (after > 0) pieces.Add(PadPiece(x, d, after, false, mode, value));
        return Cat([.. pieces], d);
    }

    // the `size` elements added before (or after) x along d
    private static Tensor PadPiece(Tensor x, int d, int size, bool before, string mode, double value)
    {
        int n = x.shape[d];
        var shape = (int[])x.shape.Clone();
        shape[d] = size;
        return mode switch
        {
            "constant" => Full(shape, value, x.DType, x.Device),
            "reflect" => x.Narrow(d, before ? 1 : n - 1 - size, size).Flip(d),
            "replicate" => x.Narrow(d, before ? 0 : n - 1, 1).Expand(shape),
            _ => x.Narrow(d, before ? n - size : 0, size),   // circular
        };
    }

    /// <summary>x with the order of elements reversed along each of <paramref name="dims"/>.</summary>
    public static Tensor Flip(Tensor x, params int[] dims)
    {
        var y = x;
        foreach (var dim in dims.Distinct())
        {
            int d = Shapes.NormalizeDim("Flip", dim, x.NDim, x.shape);
            int n = x.shape[d];
            if (n > 1) y = y.IndexSelect(d, Arange(n - 1, -1, -1, DType.Int64).To(x.Device));
        }
        return y;
    }

    /// <summary>
    /// x with its elements shifted by <paramref name="shifts"/> along <paramref name="dims"/>, those pushed off
    /// the end coming back at the start; with no dims, x is rolled flattened and keeps its shape.
    /// </summary>
    public static Tensor Roll(Tensor x, int[] shifts, int[]? dims = null)
    {
        if (dims is null || dims.Length == 0)
        {
            if (shifts.Length != 1)
                throw new ArgumentException($"Roll: without dims it takes one shift, got {Shapes.Format(shifts)}");
            return Roll(x.Reshape(-1), shifts, [0]).Reshape(x.shape);
        }
        if (shifts.Length != dims.Length)
            throw new ArgumentException($"Roll: {shifts.Length} shifts for {dims.Length} dims");
        var y = x;
        for (int i = 0; i < dims.Length; i++)
        {
            int d = Shapes.NormalizeDim("Roll", dims[i], x.NDim, x.shape);
            int n = x.shape[d];
            int s = n == 0 ? 0 : ((shifts[i] % n) + n) % n;
            if (s != 0) y = Cat([y.Narrow(d, n - s, s), y.Narrow(d, 0, n - s)], d);
        }
        return y;
    }

    /// <summary>
    /// x repeated <paramref name="repeats"/>[i] times along each dim (torch's Tensor.repeat); more repeats than
    /// dims add leading dims.
    /// </summary>
    public static Tensor Repeat(Tensor x, params int[] repeats)
    {
        if (repeats.Length < x.NDim || repeats.Any(r => r < 0))
            throw new ArgumentException($"Repeat: {Shapes.Format(repeats)} must give a count of at least 0 for " +
                $"each of the {x.NDim} dims of {Op.Describe(x)}");
        int lead = repeats.Length - x.NDim;
        var sizes = Enumerable.Repeat(1, lead).Concat(x.shape).ToArray();
        var spread = new int[2 * sizes.Length];
        var tiled = new int[2 * sizes.Length];
        var result = new int[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            (spread[2 * i], spread[2 * i + 1]) = (1, sizes[i]);
            (tiled[2 * i], tiled[2 * i + 1]) = (repeats[i], sizes[i]);
            result[i] = repeats[i] * sizes[i];
        }
        return x.Reshape(spread).Expand(tiled).Reshape(result);
    }

    /// <summary>x repeated as torch.tile: fewer reps than dims repeat the trailing dims.</summary>
    public static Tensor Tile(Tensor x, params int[] reps) =>
        Repeat(x, [.. Enumerable.Repeat(1, Math.Max(0, x.NDim - reps.Length)), .. reps]);

    /// <summary>
    /// Each element repeated <paramref name="repeats"/> times in a row along <paramref name="dim"/> (of x
    /// flattened when null).
    /// </summary>
    public static Tensor RepeatInterleave(Tensor x, int repeats, int? dim = null)
    {
        if (repeats < 0) throw new ArgumentException($"RepeatInterleave: repeats must be at least 0, got {repeats}");
        if (dim is null) return RepeatInterleave(x.Reshape(-1), repeats, 0);
        int d = Shapes.NormalizeDim("RepeatInterleave", dim.Value, x.NDim, x.shape);
        var expanded = (int[])x.shape.Clone();
        expanded = [.. expanded[..(d + 1)], repeats, .. expanded[(d + 1)..]];
        return x.Unsqueeze(d + 1).Expand(expanded).Flatten(d, d + 1);
    }

    /// <summary>Element i repeated repeats[i] times along <paramref name="dim"/> (of x flattened when null).</summary>
    public static Tensor RepeatInterleave(Tensor x, Tensor repeats, int? dim = null)
    {
        if (dim is null) return RepeatInterleave(x.Reshape(-1), repeats, 0);
        int d = Shapes.NormalizeDim("RepeatInterleave", dim.Value, x.NDim, x.shape);
        var counts = repeats.To(DType.Int64).ToArray<long>();
        if (counts.Length != x.shape[d] || counts.Any(c => c < 0))
            throw new ArgumentException($"RepeatInterleave: repeats {Op.Describe(repeats)} must give a count of at " +
                $"least 0 for each of the {x.shape[d]} elements along dim {d}");
        var index = counts.SelectMany((c, i) => Enumerable.Repeat((long)i, (int)c)).ToArray();
        return x.IndexSelect(d, FromArray(index).To(x.Device));
    }

    /// <summary>The slices of x along <paramref name="dim"/>, each without that dim.</summary>
    public static Tensor[] Unbind(Tensor x, int dim = 0)
    {
        int d = Shapes.NormalizeDim("Unbind", dim, x.NDim, x.shape);
        return [.. Enumerable.Range(0, x.shape[d]).Select(i => x.Select(d, i))];
    }

    /// <summary>The lower triangle of the last two dims: elements with col − row ≤
    /// <paramref name="diagonal"/>.</summary>
    public static Tensor Tril(Tensor x, int diagonal = 0) => Triangle("Tril", x, diagonal, lower: true);

    /// <summary>The upper triangle of the last two dims: elements with col − row ≥
    /// <paramref name="diagonal"/>.</summary>
    public static Tensor Triu(Tensor x, int diagonal = 0) => Triangle("Triu", x, diagonal, lower: false);

    private static Tensor Triangle(string op, Tensor x, int diagonal, bool lower)
    {
        if (x.NDim < 2) throw new ArgumentException($"{op}: needs a matrix or a batch of them, got {Op.Describe(x)}");
        int rows = x.shape[^2], cols = x.shape[^1];
        var keep = new bool[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) keep[i * cols + j] = lower ? j - i <= diagonal : j - i >= diagonal;
        return Where(FromArray(keep, [rows, cols]).To(x.Device), x, Op.Scalar(0, x));
    }

    /// <summary>
    /// The diagonal of the dims <paramref name="dim1"/> and <paramref name="dim2"/> (above it for a positive
    /// <paramref name="offset"/>), as a new last dim; the other dims stay. A copy, not a view.
    /// </summary>
    public static Tensor Diagonal(Tensor x, int offset = 0, int dim1 = 0, int dim2 = 1)
    {
        int d1 = Shapes.NormalizeDim("Diagonal", dim1, x.NDim, x.shape);
        int d2 = Shapes.NormalizeDim("Diagonal", dim2, x.NDim, x.shape);
        if (d1 == d2) throw new ArgumentException($"Diagonal: dim1 and dim2 are both {d1}");
        int rows = x.shape[d1], cols = x.shape[d2];
        int length = Math.Max(0, offset >= 0 ? Math.Min(rows, cols - offset) : Math.Min(rows + offset, cols));
        var flat = new long[length];
        for (int i = 0; i < length; i++) flat[i] = (i + Math.Max(0, -offset)) * (long)cols + i + Math.Max(0, offset);
        var moved = Movedim(x, [d1, d2], [x.NDim - 2, x.NDim - 1]);
        return moved.Reshape([.. moved.shape[..^2], rows * cols]).IndexSelect(-1, FromArray(flat).To(x.Device));
    }

    /// <summary>
    /// For a vector, the square matrix with it on diagonal <paramref name="diagonal"/>; for a matrix, that
    /// diagonal as a vector.
    /// </summary>
    public static Tensor Diag(Tensor x, int diagonal = 0)
    {
        if (x.NDim == 2) return Diagonal(x, diagonal);
        if (x.NDim != 1) throw new ArgumentException($"Diag: needs a vector or a matrix, got {Op.Describe(x)}");
        int n = x.shape[0], size = n + Math.Abs(diagonal);
        var flat = new long[n];
        for (int i = 0; i < n; i++) flat[i] = (i + Math.Max(0, -diagonal)) * (long)size + i + Math.Max(0, diagonal);
        var zeros = Zeros([size * size], x.DType, device: x.Device);
        return IndexAdd(zeros, 0, FromArray(flat).To(x.Device), x).Reshape(size, size);
    }

    /// <summary>x viewed as broadcast to <paramref name="shape"/> (torch.broadcast_to).</summary>
    public static Tensor BroadcastTo(Tensor x, params int[] shape) => x.Expand(shape);

    /// <summary>x with dims <paramref name="source"/> moved to positions <paramref name="destination"/>, the
    /// others keeping their order.</summary>
    public static Tensor Movedim(Tensor x, int[] source, int[] destination)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"Movedim: {source.Length} source dims for {destination.Length} destinations");
        var src = Array.ConvertAll(source, d => Shapes.NormalizeDim("Movedim", d, x.NDim, x.shape));
        var dst = Array.ConvertAll(destination, d => Shapes.NormalizeDim("Movedim", d, x.NDim, x.shape));
        if (src.Distinct().Count() != src.Length || dst.Distinct().Count() != dst.Length)
            throw new ArgumentException($"Movedim: repeated dims in {Shapes.Format(source)} or " +
                $"{Shapes.Format(destination)}");
        var order = new int[x.NDim];
        Array.Fill(order, -1);
        for (int i = 0; i < src.Length; i++) order[dst[i]] = src[i];
        var rest = Enumerable.Range(0, x.NDim).Except(src).GetEnumerator();
        for (int i = 0; i < order.Length; i++)
            if (order[i] < 0 && rest.MoveNext()) order[i] = rest.Current;
        return x.Permute(order);
    }

    /// <summary>The outer product of two vectors: [a.Numel, b.Numel].</summary>
    public static Tensor Outer(Tensor a, Tensor b)
    {
        if (a.NDim != 1 || b.NDim != 1)
            throw new ArgumentException($"Outer: needs two vectors, got {Op.Describe(a)} and {Op.Describe(b)}");
        return a.Unsqueeze(1) * b.Unsqueeze(0);
    }

    /// <summary>The Kronecker product: every element of a times all of b, in blocks (ranks padded with 1s).</summary>
    public static Tensor Kron(Tensor a, Tensor b)
    {
        int rank = Math.Max(a.NDim, b.NDim);
        var aShape = Enumerable.Repeat(1, rank - a.NDim).Concat(a.shape).ToArray();
        var bShape = Enumerable.Repeat(1, rank - b.NDim).Concat(b.shape).ToArray();
        var aSpread = new int[2 * rank];
        var bSpread = new int[2 * rank];
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            (aSpread[2 * i], aSpread[2 * i + 1]) = (aShape[i], 1);
            (bSpread[2 * i], bSpread[2 * i + 1]) = (1, bShape[i]);
            result[i] = aShape[i] * bShape[i];
        }
        return (a.Reshape(aSpread) * b.Reshape(bSpread)).Reshape(result);
    }

    /// <summary>
    /// Coordinate grids of the 1-D <paramref name="tensors"/> (torch.meshgrid): grid i holds tensor i's values
    /// broadcast along its own dim. With "ij" indexing the grids are [n0, n1, …]; with "xy" [n1, n0, …], the grids
    /// of the first two tensors swapped with their dims.
    /// </summary>
    public static Tensor[] Meshgrid(Tensor[] tensors, string indexing = "ij")
    {
        if (indexing is not ("ij" or "xy"))
            throw new ArgumentException($"Meshgrid: indexing must be \"ij\" or \"xy\", got \"{indexing}\"");
        if (tensors.Length == 0 || tensors.Any(t => t.NDim > 1))
            throw new ArgumentException($"Meshgrid: expected one or more tensors of at most one dim, got " +
                string.Join(", ", tensors.Select(Op.Describe)));
        var vectors = tensors.Select(t => t.Reshape(-1)).ToArray();
        bool swap = indexing == "xy" && vectors.Length > 1;
        if (swap) (vectors[0], vectors[1]) = (vectors[1], vectors[0]);
        int[] grid = vectors.Select(v => v.shape[0]).ToArray();
        var grids = new Tensor[vectors.Length];
        for (int i = 0; i < vectors.Length; i++)
        {
            var along = Enumerable.Repeat(1, grid.Length).ToArray();
            along[i] = grid[i];
            grids[i] = vectors[i].Reshape(along).Expand(grid);
        }
        if (swap) (grids[0], grids[1]) = (grids[1], grids[0]);
        return grids;
    }

    /// <summary>Padded as torch.nn.functional.pad (see the static Pad).</summary>
    public Tensor Pad(int[] pad, string mode = "constant", double value = 0) => Pad(this, pad, mode, value);
    /// <summary>Reversed along the dims.</summary>
    public Tensor Flip(params int[] dims) => Flip(this, dims);
    /// <summary>Rolled by one shift along one dim.</summary>
    public Tensor Roll(int shift, int dim) => Roll(this, [shift], [dim]);
    /// <summary>Rolled along the dims (flattened when none).</summary>
    public Tensor Roll(int[] shifts, int[]? dims = null) => Roll(this, shifts, dims);
    /// <summary>Repeated along each dim.</summary>
    public Tensor Repeat(params int[] repeats) => Repeat(this, repeats);
    /// <summary>Tiled as torch.tile.</summary>
    public Tensor Tile(params int[] reps) => Tile(this, reps);
    /// <summary>Each element repeated in a row.</summary>
    public Tensor RepeatInterleave(int repeats, int? dim = null) => RepeatInterleave(this, repeats, dim);
    /// <summary>Each element repeated its own count of times.</summary>
    public Tensor RepeatInterleave(Tensor repeats, int? dim = null) => RepeatInterleave(this, repeats, dim);
    /// <summary>The slices along dim.</summary>
    public Tensor[] Unbind(int dim = 0) => Unbind(this, dim);
    /// <summary>The lower triangle.</summary>
    public Tensor Tril(int diagonal = 0) => Tril(this, diagonal);
    /// <summary>The upper triangle.</summary>
    public Tensor Triu(int diagonal = 0) => Triu(this, diagonal);
    /// <summary>A diagonal as a new last dim.</summary>
    public Tensor Diagonal(int offset = 0, int dim1 = 0, int dim2 = 1) => Diagonal(this, offset, dim1, dim2);
    /// <summary>Broadcast to a shape.</summary>
    public Tensor BroadcastTo(params int[] shape) => BroadcastTo(this, shape);
    /// <summary>Dims moved.</summary>
    public Tensor Movedim(int[] source, int[] destination) => Movedim(this, source, destination);
    /// <summary>One dim moved.</summary>
    public Tensor Movedim(int source, int destination) => Movedim(this, [source], [destination]);
}
