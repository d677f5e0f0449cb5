namespace Backprop.Nn;

/// <summary>
/// y = x·Wᵀ + b (torch.nn.Linear), W [out, in] and b [out] drawn as PyTorch does: Kaiming-uniform with a = √5,
/// which gives U(−1/√in, 1/√in), for both.
/// </summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer; the generator seeds its initial weights (the thread's default when null).</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null, DType? dtype = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(inFeatures),
                $"Linear: feature counts must be positive, got {inFeatures} in and {outFeatures} out");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        var g = generator ?? Generator.Default;
        Weight = RegisterParameter("weight",
            Init.KaimingUniform(Tensor.Zeros([outFeatures, inFeatures], dtype), g, a: Math.Sqrt(5)));
        double bound = 1 / Math.Sqrt(inFeatures);
        if (bias) Bias = RegisterParameter("bias", Init.Uniform(Tensor.Zeros([outFeatures], dtype), -bound, bound, g));
    }

    /// <summary>Inputs per example.</summary>
    public int InFeatures { get; }

    /// <summary>Outputs per example.</summary>
    public int OutFeatures { get; }

    /// <summary>W, [OutFeatures, InFeatures].</summary>
    public Tensor Weight { get; }

    /// <summary>b, [OutFeatures], or null without a bias.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}";
}

/// <summary>Returns its input unchanged (torch.nn.Identity): a placeholder where a layer is optional.</summary>
public sealed class Identity : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input;
}

/// <summary>Splits dim <see cref="Dim"/> into dims of the sizes <see cref="Sizes"/> (torch.nn.Unflatten).</summary>
public sealed class Unflatten : Module
{
    /// <summary>Creates the layer; one size may be -1, inferred from the dim's size.</summary>
    public Unflatten(int dim, params int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length == 0) throw new ArgumentException("Unflatten: give at least one size");
        if (sizes.Count(s => s == -1) > 1 || sizes.Any(s => s < -1))
            throw new ArgumentException(
                $"Unflatten: sizes {Shapes.Format(sizes)} may hold one -1 and otherwise sizes ≥ 0");
        Dim = dim;
        Sizes = sizes.ToArray();
    }

    /// <summary>The dim split.</summary>
    public int Dim { get; }

    /// <summary>The sizes it is split into.</summary>
    public IReadOnlyList<int> Sizes { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        int d = Shapes.NormalizeDim("Unflatten", Dim, input.NDim, input.shape);
        int known = Sizes.Where(s => s != -1).Aggregate(1, (a, b) => a * b);
        bool fits = Sizes.Contains(-1) ? known > 0 && input.shape[d] % known == 0 : known == input.shape[d];
        if (!fits)
            throw new ArgumentException($"Unflatten: dim {Dim} of size {input.shape[d]} (input " +
                $"{Shapes.Format(input.shape)}) cannot be split into {Shapes.Format(Sizes.ToArray())}");
        var split = Sizes.Select(s => s == -1 ? input.shape[d] / known : s);
        var shape = input.shape[..d].Concat(split).Concat(input.shape[(d + 1)..]);
        return input.Reshape(shape.ToArray());
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}, unflattened_size=({string.Join(", ", Sizes)})";
}
