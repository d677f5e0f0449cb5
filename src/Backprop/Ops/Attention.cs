namespace Backprop;

// Scaled dot-product attention, softmax(q·kᵀ/√d + mask)·v, written in recorded ops (MatMul, Where, Softmax), so
// its gradient is theirs. A masked-out key gets −∞ before the softmax, hence weight 0; a row with every key masked
// out is NaN, as in PyTorch.
public static partial class F
{
    /// <summary>
    /// softmax(query·keyᵀ·scale + mask)·value as torch.nn.functional.scaled_dot_product_attention: query [..., L,
    /// E], key [..., S, E], value [..., S, Ev], leading dims broadcast. A Bool <paramref name="attnMask"/> is true
    /// where a query may attend to a key; a floating one is added to the scores; either broadcasts to [..., L, S].
    /// <paramref name="isCausal"/> lets query i attend to keys 0..i only. The scale defaults to 1/√E; dropout of
    /// probability <paramref name="dropoutP"/> zeroes attention weights (the generator seeds it).
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor query, Tensor key, Tensor value, Tensor? attnMask = null,
        double dropoutP = 0, bool isCausal = false, double? scale = null, Generator? generator = null)
    {
        CheckAttention(query, key, value);
        Tensor? allowed = isCausal ? CausalMask(query.shape[^2], key.shape[^2], query.Device) : null;
        Tensor? additive = null;
        if (attnMask is { DType: DType.Bool }) allowed = allowed is null ? attnMask : allowed.LogicalAnd(attnMask);
        else additive = attnMask;
        var weights = AttentionWeights(query, key, allowed, additive, scale);
        if (dropoutP > 0) weights = Dropout(weights, dropoutP, training: true, generator);
        return weights.MatMul(value);
    }

    /// <summary>
    /// softmax(q·kᵀ·scale + additive) with keys outside <paramref name="allowed"/> (Bool, broadcast to [..., L, S])
    /// set to −∞ first.
    /// </summary>
    internal static Tensor AttentionWeights(Tensor query, Tensor key, Tensor? allowed, Tensor? additive, double? scale)
    {
        // scaling the query, not the scores, passes over [..., L, E] instead of [..., L, S]
        var scores = (query * (scale ?? 1 / Math.Sqrt(query.shape[^1]))).MatMul(key.MT);
        if (additive is not null)
        {
            Op.RequireFloat("ScaledDotProductAttention: the float mask", additive);
            scores = scores + additive;
        }
        if (allowed is not null) scores = Tensor.Where(allowed, scores, Op.Scalar(double.NegativeInfinity, scores));
        return Softmax(scores, -1);
    }

    /// <summary>A Bool [queries, keys] that is true where key j ≤ query i: the mask of a causal model.</summary>
    public static Tensor CausalMask(int queries, int keys, Device? device = null)
    {
        if (queries <= 0 || keys <= 0)
            throw new ArgumentOutOfRangeException(nameof(queries),
                $"CausalMask: sizes must be positive, got {queries}×{keys}");
        var rows = Tensor.Arange(queries, DType.Int64).Reshape(queries, 1);
        var columns = Tensor.Arange(keys, DType.Int64).Reshape(1, keys);
        return rows.Ge(columns).To(device ?? Device.Cpu);
    }

    private static void CheckAttention(Tensor query, Tensor key, Tensor value)
    {
        const string op = "ScaledDotProductAttention";
        Op.RequireFloat(op, query);
        if (query.NDim < 2 || key.NDim < 2 || value.NDim < 2)
            throw new ArgumentException($"{op}: query {Shapes.Format(query.shape)}, key " +
                $"{Shapes.Format(key.shape)} and " +
                $"value {Shapes.Format(value.shape)} need at least 2 dims ([..., sequence, features])");
        if (query.shape[^1] != key.shape[^1])
            throw new ArgumentException(
                $"{op}: query {Shapes.Format(query.shape)} and key {Shapes.Format(key.shape)} differ in their " +
                $"last dim");
        if (key.shape[^2] != value.shape[^2])
            throw new ArgumentException(
                $"{op}: key {Shapes.Format(key.shape)} and value {Shapes.Format(value.shape)} differ in " +
                $"sequence length");
    }
}
