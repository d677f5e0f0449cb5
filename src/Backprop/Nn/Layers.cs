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
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear: feature counts must be positive, got {inFeatures} in and {outFeatures} out");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        var g = generator ?? Generator.Default;
        Weight = RegisterParameter("weight", Init.KaimingUniform(Tensor.Zeros([outFeatures, inFeatures], dtype), g, a: Math.Sqrt(5)));
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
    protected override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}";
}
