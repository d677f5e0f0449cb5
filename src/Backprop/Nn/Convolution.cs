namespace Backprop.Nn;

/// <summary>
/// What the convolution layers share (torch.nn's _ConvNd): the sizes as given, and weight and bias drawn as PyTorch
/// does, Kaiming-uniform with a = √5 and U(−1/√fan_in, 1/√fan_in), where fan_in is the weight's dim 1 times the
/// kernel's taps. A convolution's weight is [out, in/groups, k…]; a transposed one's [in, out/groups, k…].
/// </summary>
public abstract class ConvolutionLayer : Module
{
    private readonly int _axes;

    /// <summary>Checks the sizes and draws the parameters.</summary>
    private protected ConvolutionLayer(string name, int axes, bool transposed, int inChannels, int outChannels,
        PerAxis kernelSize, PerAxis stride, PerAxis padding, PerAxis dilation, int groups, bool bias,
        Generator? generator, DType? dtype)
    {
        int[] kernel = kernelSize.Resolve(name, "kernelSize", axes, 0);
        if (inChannels <= 0 || outChannels <= 0 || kernel.Any(k => k <= 0))
            throw new ArgumentOutOfRangeException(nameof(kernelSize), $"{name}: channels and kernel size must be " +
                $"positive, got {inChannels}, {outChannels}, {kernelSize}");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{name}: {groups} groups must divide both {inChannels} input and " +
                $"{outChannels} output channels");
        (InChannels, OutChannels, KernelSize, Stride, Padding, Dilation, Groups, _axes) =
            (inChannels, outChannels, kernelSize, stride, padding, dilation, groups, axes);
        int[] shape = transposed ? [inChannels, outChannels / groups, .. kernel]
            : [outChannels, inChannels / groups, .. kernel];
        var g = generator ?? Generator.Default;
        Weight = RegisterParameter("weight", Init.KaimingUniform(Tensor.Zeros(shape, dtype), g, a: Math.Sqrt(5)));
        double bound = 1 / Math.Sqrt(Init.Fans(Weight).fanIn);
        if (bias) Bias = RegisterParameter("bias", Init.Uniform(Tensor.Zeros([outChannels], dtype), -bound, bound, g));
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels (filters).</summary>
    public int OutChannels { get; }

    /// <summary>The kernel's size, one int for every axis or one per axis.</summary>
    public PerAxis KernelSize { get; }

    /// <summary>Step between kernel positions.</summary>
    public PerAxis Stride { get; }

    /// <summary>Zeros added on each side (or "same", "valid").</summary>
    public PerAxis Padding { get; }

    /// <summary>Spacing between kernel taps.</summary>
    public PerAxis Dilation { get; }

    /// <summary>Channel groups convolved separately.</summary>
    public int Groups { get; }

    /// <summary>The filters.</summary>
    public Tensor Weight { get; }

    /// <summary>[OutChannels], or null without a bias.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        string padding = Padding.Format(_axes, 0), dilation = Dilation.Format(_axes, 1);
        return $"{InChannels}, {OutChannels}, kernel_size={KernelSize.Format(_axes, 0)}, " +
            $"stride={Stride.Format(_axes, 1)}" +
            (padding != new PerAxis(0).Format(_axes, 0) ? $", padding={padding}" : "") +
            (dilation != new PerAxis(1).Format(_axes, 1) ? $", dilation={dilation}" : "") +
            (Groups != 1 ? $", groups={Groups}" : "") + (Bias is null ? ", bias=False" : "");
    }
}

/// <summary>1-D convolution over [N, C, L] (torch.nn.Conv1d); weight [out, in/groups, k].</summary>
public sealed class Conv1d(int inChannels, int outChannels, int kernelSize, int stride = 1, PerAxis padding = default,
    int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null, DType? dtype = null)
    : ConvolutionLayer("Conv1d", 1, false, inChannels, outChannels, kernelSize, stride, padding, dilation, groups,
        bias, generator, dtype)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
}

/// <summary>2-D convolution over [N, C, H, W] (torch.nn.Conv2d); weight [out, in/groups, kH, kW].</summary>
public sealed class Conv2d(int inChannels, int outChannels, PerAxis kernelSize, PerAxis stride = default,
    PerAxis padding = default, PerAxis dilation = default, int groups = 1, bool bias = true,
    Generator? generator = null, DType? dtype = null)
    : ConvolutionLayer("Conv2d", 2, false, inChannels, outChannels, kernelSize, stride, padding, dilation, groups,
        bias, generator, dtype)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
}

/// <summary>3-D convolution over [N, C, D, H, W] (torch.nn.Conv3d); weight [out, in/groups, kD, kH, kW].</summary>
public sealed class Conv3d(int inChannels, int outChannels, PerAxis kernelSize, PerAxis stride = default,
    PerAxis padding = default, PerAxis dilation = default, int groups = 1, bool bias = true,
    Generator? generator = null, DType? dtype = null)
    : ConvolutionLayer("Conv3d", 3, false, inChannels, outChannels, kernelSize, stride, padding, dilation, groups,
        bias, generator, dtype)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Conv3d(input, Weight, Bias, Stride, Padding, Dilation, Groups);
}

/// <summary>1-D transposed convolution over [N, C, L] (torch.nn.ConvTranspose1d); weight [in, out/groups, k].</summary>
public sealed class ConvTranspose1d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0,
    int outputPadding = 0, int groups = 1, bool bias = true, int dilation = 1, Generator? generator = null,
    DType? dtype = null)
    : ConvolutionLayer("ConvTranspose1d", 1, true, inChannels, outChannels, kernelSize, stride, padding, dilation,
        groups, bias, generator, dtype)
{
    /// <summary>Rows added after the last kernel tap, to pick one of the output sizes a stride allows.</summary>
    public int OutputPadding { get; } = outputPadding;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        F.ConvTranspose1d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);
}

/// <summary>
/// 2-D transposed convolution over [N, C, H, W] (torch.nn.ConvTranspose2d); weight [in, out/groups, kH, kW].
/// </summary>
public sealed class ConvTranspose2d(int inChannels, int outChannels, PerAxis kernelSize, PerAxis stride = default,
    PerAxis padding = default, PerAxis outputPadding = default, int groups = 1, bool bias = true,
    PerAxis dilation = default, Generator? generator = null, DType? dtype = null)
    : ConvolutionLayer("ConvTranspose2d", 2, true, inChannels, outChannels, kernelSize, stride, padding, dilation,
        groups, bias, generator, dtype)
{
    /// <summary>Rows and columns added after the last kernel tap: which of the output sizes a stride allows.</summary>
    public PerAxis OutputPadding { get; } = outputPadding;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        F.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);
}

/// <summary>
/// 3-D transposed convolution over [N, C, D, H, W] (torch.nn.ConvTranspose3d); weight [in, out/groups, kD, kH, kW].
/// </summary>
public sealed class ConvTranspose3d(int inChannels, int outChannels, PerAxis kernelSize, PerAxis stride = default,
    PerAxis padding = default, PerAxis outputPadding = default, int groups = 1, bool bias = true,
    PerAxis dilation = default, Generator? generator = null, DType? dtype = null)
    : ConvolutionLayer("ConvTranspose3d", 3, true, inChannels, outChannels, kernelSize, stride, padding, dilation,
        groups, bias, generator, dtype)
{
    /// <summary>Planes, rows and columns added after the last kernel tap: which output size a stride allows.</summary>
    public PerAxis OutputPadding { get; } = outputPadding;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        F.ConvTranspose3d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);
}
