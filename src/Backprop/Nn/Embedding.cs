namespace Backprop.Nn;

/// <summary>A lookup table of <see cref="EmbeddingDim"/>-vectors indexed by Int64 ids (torch.nn.Embedding), initialized
/// N(0, 1).</summary>
public sealed class Embedding : Module
{
    /// <summary>Creates a table of <paramref name="numEmbeddings"/> rows; the generator seeds its initial
    /// values.</summary>
    public Embedding(int numEmbeddings, int embeddingDim, Generator? generator = null, DType? dtype = null)
    {
        if (numEmbeddings <= 0 || embeddingDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(numEmbeddings),
                $"Embedding: sizes must be positive, got {numEmbeddings}×{embeddingDim}");
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        Weight = RegisterParameter("weight",
            Init.Normal(Tensor.Zeros([numEmbeddings, embeddingDim], dtype), 0, 1, generator ?? Generator.Default));
    }

    /// <summary>How many ids the table holds.</summary>
    public int NumEmbeddings { get; }

    /// <summary>The length of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The table, [NumEmbeddings, EmbeddingDim].</summary>
    public Tensor Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Embedding(input, Weight);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumEmbeddings}, {EmbeddingDim}";
}
