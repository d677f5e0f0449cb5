namespace Backprop.Nn;

/// <summary>
/// Multi-head attention (torch.nn.MultiheadAttention): query, key and value projected by the rows of
/// <c>in_proj_weight</c> [3·embed, embed] (with <c>in_proj_bias</c>), split into heads, attended by scaled dot
/// products, joined and projected by <c>out_proj</c>. Inputs are [seq, batch, embed] ([batch, seq, embed] when
/// <see cref="BatchFirst"/>; [seq, embed] unbatched). Initialized as PyTorch does: Xavier-uniform input projection,
/// zero biases.
/// </summary>
public sealed class MultiheadAttention : Module
{
    private readonly Generator? _generator;

    /// <summary>Creates the layer; <paramref name="embedDim"/> must divide into <paramref name="numHeads"/>
    /// heads.</summary>
    public MultiheadAttention(int embedDim, int numHeads, double dropout = 0, bool bias = true, bool batchFirst = false,
        Generator? generator = null, DType? dtype = null)
    {
        if (embedDim <= 0 || numHeads <= 0 || embedDim % numHeads != 0)
            throw new ArgumentException(
                $"MultiheadAttention: embedDim {embedDim} must be a positive multiple of numHeads {numHeads}");
        if (!(dropout is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout,
                "MultiheadAttention: dropout must be in [0, 1]");
        (EmbedDim, NumHeads, Dropout, BatchFirst, _generator) = (embedDim, numHeads, dropout, batchFirst, generator);
        var g = generator ?? Generator.Default;
        InProjWeight = RegisterParameter("in_proj_weight",
            Init.XavierUniform(Tensor.Zeros([3 * embedDim, embedDim], dtype), g));
        if (bias) InProjBias = RegisterParameter("in_proj_bias", Tensor.Zeros([3 * embedDim], dtype));
        OutProj = RegisterModule("out_proj", new Linear(embedDim, embedDim, bias, g, dtype));
        using (Autograd.NoGrad()) OutProj.Bias?.Zero_();
    }

    /// <summary>Features of each position.</summary>
    public int EmbedDim { get; }

    /// <summary>Heads, each of EmbedDim / NumHeads features.</summary>
    public int NumHeads { get; }

    /// <summary>Dropout probability on the attention weights in training.</summary>
    public double Dropout { get; }

    /// <summary>Whether inputs and outputs are [batch, seq, embed].</summary>
    public bool BatchFirst { get; }

    /// <summary>The query, key and value projections stacked, [3·EmbedDim, EmbedDim].</summary>
    public Tensor InProjWeight { get; }

    /// <summary>[3·EmbedDim], or null without biases.</summary>
    public Tensor? InProjBias { get; }

    /// <summary>The output projection.</summary>
    public Linear OutProj { get; }

    /// <summary>Self-attention of <paramref name="input"/> with no mask.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, input, input, needWeights: false).Output;

    /// <summary>
    /// Runs <see cref="Forward(Tensor, Tensor, Tensor, Tensor?, bool, Tensor?, bool)"/> between the module's hooks
    /// (PyTorch's <c>self_attn(query, key, value, ...)</c>): they see the seven arguments in order and the
    /// (output, weights) pair. Transformer layers call their attention so.
    /// </summary>
    public (Tensor Output, Tensor? Weights) Call(Tensor query, Tensor key, Tensor value,
        Tensor? keyPaddingMask = null, bool needWeights = true, Tensor? attnMask = null,
        bool averageAttnWeights = true) =>
        HasHooks
            ? Invoke([query, key, value, keyPaddingMask, needWeights, attnMask, averageAttnWeights], i => Forward(
                ArgumentAt<Tensor>(i, 0), ArgumentAt<Tensor>(i, 1), ArgumentAt<Tensor>(i, 2),
                ArgumentAt<Tensor?>(i, 3), ArgumentAt<bool>(i, 4), ArgumentAt<Tensor?>(i, 5), ArgumentAt<bool>(i, 6)))
            : Forward(query, key, value, keyPaddingMask, needWeights, attnMask, averageAttnWeights);

    /// <summary>
    /// The attended output, like the query, and the attention weights [batch, L, S] averaged over heads ([batch,
    /// heads, L, S] when not <paramref name="averageAttnWeights"/>; null unless <paramref name="needWeights"/>).
    /// <paramref name="keyPaddingMask"/> [batch, S] and <paramref name="attnMask"/> [L, S] or [batch·heads, L, S]
    /// follow PyTorch: a Bool mask is true where a key is left out, a floating one is added to the scores.
    /// </summary>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value,
        Tensor? keyPaddingMask = null, bool needWeights = true, Tensor? attnMask = null, bool averageAttnWeights = true)
    {
        bool unbatched = query.NDim == 2, seqFirst = !unbatched && !BatchFirst;
        var (q, k, v) = (Batched(query, unbatched), Batched(key, unbatched), Batched(value, unbatched));
        int batchDim = seqFirst ? 1 : 0, seqDim = 1 - batchDim;
        int batch = q.shape[batchDim], targets = q.shape[seqDim], sources = k.shape[seqDim];
        if (k.shape[batchDim] != batch || v.shape[batchDim] != batch || v.shape[seqDim] != sources)
            throw new ArgumentException($"MultiheadAttention: query {Shapes.Format(query.shape)}, key " +
                $"{Shapes.Format(key.shape)} and value {Shapes.Format(value.shape)} do not fit together");
        // each projection runs on the positions as they lie (a seq-first input needs no transposing copy), by its
        // rows of in_proj_weight: three outputs of their own, where slices of one product would each send back a
        // gradient of the whole product's size, zero outside the slice, to be added up
        var w = InProjWeight.Chunk(3);
        var b = InProjBias?.Chunk(3);
        var (qp, kp, vp) = (F.Linear(q, w[0], b?[0]), F.Linear(k, w[1], b?[1]), F.Linear(v, w[2], b?[2]));
        var (allowed, additive) = Masks(keyPaddingMask, attnMask, batch, targets, sources, unbatched);
        var weights = F.AttentionWeights(Heads(qp, seqFirst), Heads(kp, seqFirst), allowed, additive, scale: null);
        if (Dropout > 0 && Training) weights = F.Dropout(weights, Dropout, training: true, _generator);
        var attended = weights.MatMul(Heads(vp, seqFirst));
        attended = seqFirst
            ? attended.Permute(2, 0, 1, 3).Reshape(targets, batch, EmbedDim)
            : attended.Transpose(1, 2).Reshape(batch, targets, EmbedDim);
        var output = OutProj.Call(attended);
        if (unbatched) output = output.Squeeze(0);
        if (!needWeights) return (output, null);
        if (averageAttnWeights) weights = weights.Mean(1);
        return (output, unbatched ? weights.Squeeze(0) : weights);
    }

    // [seq, batch, embed] or [batch, seq, embed] as given; unbatched [seq, embed] as a batch of one
    private Tensor Batched(Tensor x, bool unbatched)
    {
        if (x.NDim != (unbatched ? 2 : 3) || x.shape[^1] != EmbedDim)
            throw new ArgumentException(
                $"MultiheadAttention: input {Shapes.Format(x.shape)} must be " +
                $"[{(BatchFirst ? "batch, seq" : "seq, batch")}, " +
                $"{EmbedDim}] or, unbatched, [seq, {EmbedDim}] like the query");
        return unbatched ? x.Unsqueeze(0) : x;
    }

    // → [batch, heads, seq, embed / heads], contiguous: the attention products over its batch·heads items then go to
    // the threads as whole items, which a strided view of the projection cannot
    private Tensor Heads(Tensor x, bool seqFirst)
    {
        var split = x.Reshape(x.shape[0], x.shape[1], NumHeads, EmbedDim / NumHeads);
        return (seqFirst ? split.Permute(1, 2, 0, 3) : split.Transpose(1, 2)).Contiguous();
    }

    // PyTorch's Bool masks mark what is left out; attention takes what is allowed
    private (Tensor? Allowed, Tensor? Additive) Masks(Tensor? keyPaddingMask, Tensor? attnMask, int batch, int targets,
        int sources, bool unbatched)
    {
        Tensor? allowed = null, additive = null;
        void Add(Tensor mask)
        {
            if (mask.DType == DType.Bool)
                allowed = allowed is null ? mask.LogicalNot() : allowed.LogicalAnd(mask.LogicalNot());
            else additive = additive is null ? mask : additive + mask;
        }
        if (attnMask is not null)
        {
            bool perHead = attnMask.NDim == 3 && Shapes.Equal(attnMask.shape, [batch * NumHeads, targets, sources]);
            if (!perHead && !(attnMask.NDim == 2 && Shapes.Equal(attnMask.shape, [targets, sources])))
                throw new ArgumentException($"MultiheadAttention: attnMask {Shapes.Format(attnMask.shape)} must be " +
                    $"[{targets}, {sources}] or [{batch * NumHeads}, {targets}, {sources}]");
            Add(perHead ? attnMask.Reshape(batch, NumHeads, targets, sources) : attnMask);
        }
        if (keyPaddingMask is not null)
        {
            int[] expected = unbatched ? [sources] : [batch, sources];
            if (!Shapes.Equal(keyPaddingMask.shape, expected))
                throw new ArgumentException($"MultiheadAttention: keyPaddingMask " +
                    $"{Shapes.Format(keyPaddingMask.shape)} " +
                    $"must be {Shapes.Format(expected)}");
            Add(keyPaddingMask.Reshape(batch, 1, 1, sources));
        }
        return (allowed, additive);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"embed_dim={EmbedDim}, num_heads={NumHeads}" +
        (Dropout != 0 ? $", dropout={Dropout}" : "") + (BatchFirst ? ", batch_first=True" : "");
}

/// <summary>
/// Adds the sinusoidal position table of "Attention Is All You Need" to [..., seq, dModel]: even features
/// sin(pos/10000^(2i/d)), odd ones the cosine. The table is a buffer named <c>pe</c>, [maxLen, dModel].
/// </summary>
public sealed class SinusoidalPositionalEncoding : Module
{
    /// <summary>Creates the table for positions 0..maxLen−1.</summary>
    public SinusoidalPositionalEncoding(int dModel, int maxLen = 5000, DType? dtype = null)
    {
        if (dModel <= 0 || dModel % 2 != 0 || maxLen <= 0)
            throw new ArgumentException(
                $"SinusoidalPositionalEncoding: dModel ({dModel}) must be positive and even, " +
                $"maxLen ({maxLen}) positive");
        var table = new double[maxLen * dModel];   // a constant: computed once, in doubles
        for (int pos = 0; pos < maxLen; pos++)
            for (int i = 0; i < dModel; i += 2)
            {
                double angle = pos * Math.Exp(-Math.Log(10000.0) * i / dModel);
                table[pos * dModel + i] = Math.Sin(angle);
                table[pos * dModel + i + 1] = Math.Cos(angle);
            }
        Table = RegisterBuffer("pe", Tensor.FromArray(table, [maxLen, dModel]).To(dtype ?? Tensor.DefaultDType));
    }

    /// <summary>[maxLen, dModel].</summary>
    public Tensor Table { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.NDim < 2 || input.shape[^1] != Table.shape[1] || input.shape[^2] > Table.shape[0])
            throw new ArgumentException($"SinusoidalPositionalEncoding: input {Shapes.Format(input.shape)} must be " +
                $"[..., seq ≤ {Table.shape[0]}, {Table.shape[1]}]");
        return input + Table.Narrow(0, 0, input.shape[^2]).To(input.Device).To(input.DType);
    }
}
