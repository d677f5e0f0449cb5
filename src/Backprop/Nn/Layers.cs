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

/// <summary>
/// 2-D convolution over [N, C, H, W] (torch.nn.Conv2d) with square kernels; weight [out, in/groups, k, k] and bias
/// [out] drawn U(−1/√fan_in, 1/√fan_in) as PyTorch does.
/// </summary>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer; the generator seeds its initial weights (the thread's default when null).</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1,
        bool bias = true, Generator? generator = null, DType? dtype = null)
    {
        if (inChannels <= 0 || outChannels <= 0 || kernelSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), $"Conv2d: channels and kernel size must be positive, got {inChannels}, {outChannels}, {kernelSize}");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: {groups} groups must divide both {inChannels} input and {outChannels} output channels");
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups) = (inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        var g = generator ?? Generator.Default;
        Weight = RegisterParameter("weight",
            Init.KaimingUniform(Tensor.Zeros([outChannels, inChannels / groups, kernelSize, kernelSize], dtype), g, a: Math.Sqrt(5)));
        double bound = 1 / Math.Sqrt(inChannels / groups * kernelSize * kernelSize);
        if (bias) Bias = RegisterParameter("bias", Init.Uniform(Tensor.Zeros([outChannels], dtype), -bound, bound, g));
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels (filters).</summary>
    public int OutChannels { get; }

    /// <summary>The side of the square kernel.</summary>
    public int KernelSize { get; }

    /// <summary>Step between kernel positions.</summary>
    public int Stride { get; }

    /// <summary>Zeros added on each side.</summary>
    public int Padding { get; }

    /// <summary>Spacing between kernel taps.</summary>
    public int Dilation { get; }

    /// <summary>Channel groups convolved separately.</summary>
    public int Groups { get; }

    /// <summary>The filters, [OutChannels, InChannels / Groups, KernelSize, KernelSize].</summary>
    public Tensor Weight { get; }

    /// <summary>[OutChannels], or null without a bias.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{InChannels}, {OutChannels}, kernel_size=({KernelSize}, {KernelSize}), stride=({Stride}, {Stride})" +
        (Padding != 0 ? $", padding=({Padding}, {Padding})" : "") + (Groups != 1 ? $", groups={Groups}" : "") + (Bias is null ? ", bias=False" : "");
}

/// <summary>The maximum over each window of [N, C, H, W] (torch.nn.MaxPool2d); the stride defaults to the kernel size.</summary>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1) : Module
{
    /// <summary>The side of the square window.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>Step between windows.</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Implicit −∞ added on each side.</summary>
    public int Padding { get; } = padding;

    /// <summary>Spacing between window taps.</summary>
    public int Dilation { get; } = dilation;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.MaxPool2d(input, KernelSize, Stride, Padding, Dilation);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}";
}

/// <summary>The mean over each window of [N, C, H, W] (torch.nn.AvgPool2d); the stride defaults to the kernel size.</summary>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0) : Module
{
    /// <summary>The side of the square window.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>Step between windows.</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Zeros added on each side.</summary>
    public int Padding { get; } = padding;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.AvgPool2d(input, KernelSize, Stride, Padding);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
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
