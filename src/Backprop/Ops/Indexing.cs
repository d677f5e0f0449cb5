namespace Backprop;

// Gathering and scattering by Int64 index tensors; Gather and ScatterAdd are each other's gradient.
public sealed partial class Tensor
{
    private static void CheckIndex(string op, Tensor x, int dim, Tensor index)
    {
        if (index.DType != DType.Int64)
            throw new ArgumentException($"{op}: the index must be Int64, got {index.DType} with shape {Shapes.Format(index.shape)}");
        if (index.Backend.FindOutOfRange(index, x.shape.Length == 0 ? 1 : x.shape[dim]) is { } bad)
            throw new ArgumentOutOfRangeException(nameof(index), $"{op}: index {bad} is out of range for dim {dim} with size {x.shape[dim]} (shape {Shapes.Format(x.shape)})");
    }

    private static void CheckGatherShapes(string op, Tensor x, int dim, Tensor index, string other)
    {
        bool fits = index.shape.Length == x.shape.Length;
        for (int i = 0; fits && i < x.shape.Length; i++) fits = i == dim || index.shape[i] <= x.shape[i];
        if (!fits)
            throw new ArgumentException($"{op}: index shape {Shapes.Format(index.shape)} does not fit {other} shape {Shapes.Format(x.shape)} along dims other than {dim}");
    }

    /// <summary>out[i][j][k] = x[i][index[i][j][k]][k] for dim 1 (likewise for other dims); index has x's rank.</summary>
    public static Tensor Gather(Tensor x, int dim, Tensor index)
    {
        int d = Shapes.NormalizeDim("Gather", dim, x.shape.Length, x.shape);
        CheckGatherShapes("Gather", x, d, index, "input");
        CheckIndex("Gather", x, d, index);
        var y = Empty(index.shape, x.DType, x.Device);
        x.Backend.Gather(x, d, index, y);
        var inputShape = x.shape;
        return Op.Record("Gather", y, x, g => ScatterAdd(Zeros(inputShape, g.DType, device: g.Device), d, index, g),
            saved: [index]);
    }

    /// <summary>
    /// A copy of x with src[i][j][k] added at x[i][index[i][j][k]][k] for dim 1; repeated indices add up.
    /// src has the index's shape.
    /// </summary>
    public static Tensor ScatterAdd(Tensor x, int dim, Tensor index, Tensor src)
    {
        Op.RequireSame("ScatterAdd", x, src);
        if (!Shapes.Equal(src.shape, index.shape))
            throw new ArgumentException($"ScatterAdd: src shape {Shapes.Format(src.shape)} differs from index shape {Shapes.Format(index.shape)}");
        int d = Shapes.NormalizeDim("ScatterAdd", dim, x.shape.Length, x.shape);
        CheckGatherShapes("ScatterAdd", x, d, index, "input");
        CheckIndex("ScatterAdd", x, d, index);
        var y = Empty(x.shape, x.DType, x.Device);
        x.Backend.Copy(x, y);
        x.Backend.ScatterAdd(y, d, index, src);
        return Op.Record("ScatterAdd", y, [x, src], g => [g, Gather(g, d, index)], saved: [index]);
    }

    /// <summary>The entries of x at the Int64 vector <paramref name="index"/> along <paramref name="dim"/>.</summary>
    public static Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        int d = Shapes.NormalizeDim("IndexSelect", dim, x.shape.Length, x.shape);
        if (index.shape.Length != 1)
            throw new ArgumentException($"IndexSelect: the index must be a vector, got shape {Shapes.Format(index.shape)}");
        CheckIndex("IndexSelect", x, d, index);
        var along = new int[x.shape.Length];
        Array.Fill(along, 1);
        along[d] = index.shape[0];
        var outShape = (int[])x.shape.Clone();
        outShape[d] = index.shape[0];
        return Gather(x, d, index.Reshape(along).Expand(outShape));
    }

    /// <summary>Rows of <paramref name="weight"/> [num, dim] picked by the Int64 <paramref name="indices"/> of any shape.</summary>
    public static Tensor Embedding(Tensor weight, Tensor indices)
    {
        if (weight.shape.Length != 2)
            throw new ArgumentException($"Embedding: the weight must be a matrix [num, dim], got shape {Shapes.Format(weight.shape)}");
        return IndexSelect(weight, 0, indices.Reshape(-1)).Reshape([.. indices.shape, weight.shape[1]]);
    }

    /// <summary>Entries along <paramref name="dim"/> picked by the Int64 vector <paramref name="index"/>.</summary>
    public Tensor IndexSelect(int dim, Tensor index) => IndexSelect(this, dim, index);

    /// <summary>Entries picked along <paramref name="dim"/> by <paramref name="index"/>.</summary>
    public Tensor Gather(int dim, Tensor index) => Gather(this, dim, index);
}
