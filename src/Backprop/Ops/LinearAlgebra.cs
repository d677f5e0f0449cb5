namespace Backprop;

// Matrix products: the vectorized gate of the notes, D = W·X with dW = dD·Xᵀ and dX = Wᵀ·dD.
public sealed partial class Tensor
{
    /// <summary>
    /// Matrix product as torch.matmul: 1-D·1-D is a dot product, a 1-D operand is treated as a row (left) or
    /// column (right) vector and that dim removed from the result, and leading dims broadcast as a batch.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        Op.RequireSame("MatMul", a, b);
        Op.RequireFloat("MatMul", a);
        if (a.NDim == 0 || b.NDim == 0)
            throw new ArgumentException($"MatMul: {Shapes.Format(a.shape)} @ {Shapes.Format(b.shape)}: both operands " +
                "need at least one dimension");
        int ka = a.shape[^1], kb = b.NDim == 1 ? b.shape[0] : b.shape[^2];
        if (ka != kb)
            throw new ArgumentException($"MatMul: {Shapes.Format(a.shape)} @ {Shapes.Format(b.shape)}: inner " +
                $"dimensions {ka} and {kb} differ");
        var a2 = a.NDim == 1 ? a.Unsqueeze(0) : a;
        var b2 = b.NDim == 1 ? b.Unsqueeze(1) : b;
        int[] batch;
        try { batch = Shapes.Broadcast("MatMul", a2.shape[..^2], b2.shape[..^2]); }
        catch (ArgumentException)
        {
            throw new ArgumentException($"MatMul: {Shapes.Format(a.shape)} @ {Shapes.Format(b.shape)}: batch " +
                $"dimensions {Shapes.Format(a2.shape[..^2])} and {Shapes.Format(b2.shape[..^2])} cannot be broadcast");
        }
        var y = MatMulCore(a2, b2, batch);
        if (a.NDim == 1) y = y.Squeeze(-2);
        if (b.NDim == 1) y = y.Squeeze(-1);
        return y;
    }

    private static Tensor MatMulCore(Tensor a, Tensor b, int[] batch)
    {
        int m = a.shape[^2], k = a.shape[^1], n = b.shape[^1];
        int[] aShape = [.. batch, m, k], bShape = [.. batch, k, n];
        var y = Uninitialized([.. batch, m, n], a.DType, a.Device);
        a.Backend.MatMul(a.BroadcastView(aShape), b.BroadcastView(bShape), y);
        return Op.RecordBinary("MatMul", a, b, y,   // dW = dD·Xᵀ, dX = Wᵀ·dD
            (g, a, b, y) => MatMul(g, b.MT), Reads.B, (g, a, b, y) => MatMul(a.MT, g), Reads.A);
    }

    /// <summary>The matrix product this @ other.</summary>
    public Tensor MatMul(Tensor other) => MatMul(this, other);

    /// <summary>Batched matrix product of a [B, n, m] and b [B, m, p] (no broadcasting, as torch.bmm).</summary>
    public static Tensor Bmm(Tensor a, Tensor b)
    {
        if (a.NDim != 3 || b.NDim != 3 || a.shape[0] != b.shape[0] || a.shape[2] != b.shape[1])
            throw new ArgumentException($"Bmm: needs [B, n, m] and [B, m, p], got {Op.Describe(a)} and " +
                $"{Op.Describe(b)}");
        return MatMul(a, b);
    }

    /// <summary>β·input + α·(a @ b) for a batch of matrices (torch.baddbmm); input broadcasts to [B, n,
    /// p].</summary>
    public static Tensor Baddbmm(Tensor input, Tensor a, Tensor b, double beta = 1, double alpha = 1) =>
        AddScaled(input, Bmm(a, b), beta, alpha);

    /// <summary>β·input + α·(a @ b) for matrices a [n, m] and b [m, p] (torch.addmm); input broadcasts to
    /// [n, p].</summary>
    public static Tensor Addmm(Tensor input, Tensor a, Tensor b, double beta = 1, double alpha = 1)
    {
        if (a.NDim != 2 || b.NDim != 2)
            throw new ArgumentException($"Addmm: needs matrices, got {Op.Describe(a)} and {Op.Describe(b)}");
        return AddScaled(input, MatMul(a, b), beta, alpha);
    }

    // β·input + α·product, where β = 0 ignores input (NaN in it included) and 1s are not multiplied, as PyTorch
    private static Tensor AddScaled(Tensor input, Tensor product, double beta, double alpha)
    {
        var scaled = alpha == 1 ? product : product * alpha;
        Shapes.Broadcast("AddScaled", input.shape, product.shape);
        return beta == 0 ? scaled : (beta == 1 ? input : input * beta) + scaled;
    }

    /// <summary>A view of this tensor with stride 0 on broadcast dims, for kernels (records nothing).</summary>
    internal Tensor BroadcastView(int[] target) =>
        Shapes.Equal(shape, target) ? this
            : new Tensor(storage, target, Shapes.BroadcastStrides(shape, strides, target), offset);
}
