namespace Backprop.Nn;

/// <summary>
/// The maximum over each window of [N, C, H, W] (torch.nn.MaxPool2d); the stride defaults to the kernel size.
/// </summary>
public sealed class MaxPool2d(PerAxis kernelSize, PerAxis stride = default, PerAxis padding = default,
    PerAxis dilation = default, bool ceilMode = false) : Module
{
    /// <summary>The window's size.</summary>
    public PerAxis KernelSize { get; } = kernelSize;

    /// <summary>Step between windows (the kernel size by default).</summary>
    public PerAxis Stride { get; } = stride.IsDefault ? kernelSize : stride;

    /// <summary>Implicit −∞ added on each side.</summary>
    public PerAxis Padding { get; } = padding.IsDefault ? 0 : padding;

    /// <summary>Spacing between window taps.</summary>
    public PerAxis Dilation { get; } = dilation.IsDefault ? 1 : dilation;

    /// <summary>Whether a last window may run past the edge rather than drop input.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <summary>The maxima and their positions within each plane, for <see cref="MaxUnpool2d"/>.</summary>
    public (Tensor Values, Tensor Indices) ForwardWithIndices(Tensor input) =>
        F.MaxPool2dWithIndices(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={CeilMode}";
}

/// <summary>The maximum over each window of [N, C, L] (torch.nn.MaxPool1d).</summary>
public sealed class MaxPool1d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1,
    bool ceilMode = false) : Module
{
    /// <summary>The window's length.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>Step between windows (the kernel size by default).</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Implicit −∞ added on each side.</summary>
    public int Padding { get; } = padding;

    /// <summary>Spacing between window taps.</summary>
    public int Dilation { get; } = dilation;

    /// <summary>Whether a last window may run past the edge rather than drop input.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.MaxPool1d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={CeilMode}";
}

/// <summary>
/// The mean over each window of [N, C, H, W] (torch.nn.AvgPool2d); the stride defaults to the kernel size.
/// </summary>
public sealed class AvgPool2d(PerAxis kernelSize, PerAxis stride = default, PerAxis padding = default,
    bool ceilMode = false, bool countIncludePad = true) : Module
{
    /// <summary>The window's size.</summary>
    public PerAxis KernelSize { get; } = kernelSize;

    /// <summary>Step between windows (the kernel size by default).</summary>
    public PerAxis Stride { get; } = stride.IsDefault ? kernelSize : stride;

    /// <summary>Zeros added on each side.</summary>
    public PerAxis Padding { get; } = padding.IsDefault ? 0 : padding;

    /// <summary>Whether a last window may run past the edge rather than drop input.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <summary>Whether the padding counts in each window's divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        F.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}";
}

/// <summary>The mean over each window of [N, C, L] (torch.nn.AvgPool1d).</summary>
public sealed class AvgPool1d(int kernelSize, int? stride = null, int padding = 0, bool ceilMode = false,
    bool countIncludePad = true) : Module
{
    /// <summary>The window's length.</summary>
    public int KernelSize { get; } = kernelSize;

    /// <summary>Step between windows (the kernel size by default).</summary>
    public int Stride { get; } = stride ?? kernelSize;

    /// <summary>Zeros added on each side.</summary>
    public int Padding { get; } = padding;

    /// <summary>Whether a last window may run past the edge rather than drop input.</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <summary>Whether the padding counts in each window's divisor.</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        F.AvgPool1d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"kernel_size=({KernelSize},), stride=({Stride},), padding=({Padding},)";
}

/// <summary>
/// The partial inverse of <see cref="MaxPool2d"/> (torch.nn.MaxUnpool2d): its <see cref="Forward(Tensor, Tensor)"/>
/// takes the pooled values and their indices.
/// </summary>
public sealed class MaxUnpool2d(PerAxis kernelSize, PerAxis stride = default, PerAxis padding = default) : Module
{
    /// <summary>The pooling window's size.</summary>
    public PerAxis KernelSize { get; } = kernelSize;

    /// <summary>The pooling's step (the kernel size by default).</summary>
    public PerAxis Stride { get; } = stride.IsDefault ? kernelSize : stride;

    /// <summary>The pooling's padding.</summary>
    public PerAxis Padding { get; } = padding.IsDefault ? 0 : padding;

    /// <summary>Unpooling needs the indices: use <see cref="Forward(Tensor, Tensor)"/>.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException(
            "MaxUnpool2d: Forward needs the pooling's indices: call Forward(input, indices)");

    /// <summary>Zeros with each value written at its index.</summary>
    public Tensor Forward(Tensor input, Tensor indices) => F.MaxUnpool2d(input, indices, KernelSize, Stride, Padding);
}

/// <summary>Means over the adaptive windows that give a fixed output size (torch.nn.AdaptiveAvgPool2d).</summary>
public sealed class AdaptiveAvgPool2d(PerAxis outputSize) : Module
{
    /// <summary>The output's height and width.</summary>
    public PerAxis OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.AdaptiveAvgPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={OutputSize}";
}

/// <summary>Means over the adaptive windows that give a fixed output length (torch.nn.AdaptiveAvgPool1d).</summary>
public sealed class AdaptiveAvgPool1d(int outputSize) : Module
{
    /// <summary>The output's length.</summary>
    public int OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.AdaptiveAvgPool1d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={OutputSize}";
}

/// <summary>Maxima over the adaptive windows that give a fixed output size (torch.nn.AdaptiveMaxPool2d).</summary>
public sealed class AdaptiveMaxPool2d(PerAxis outputSize) : Module
{
    /// <summary>The output's height and width.</summary>
    public PerAxis OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.AdaptiveMaxPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={OutputSize}";
}

/// <summary>Maxima over the adaptive windows that give a fixed output length (torch.nn.AdaptiveMaxPool1d).</summary>
public sealed class AdaptiveMaxPool1d(int outputSize) : Module
{
    /// <summary>The output's length.</summary>
    public int OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.AdaptiveMaxPool1d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={OutputSize}";
}

/// <summary>Resampling to a size or by a scale factor (torch.nn.Upsample), as <see cref="F.Interpolate"/>.</summary>
public sealed class Upsample(PerAxis size = default, double? scaleFactor = null, string mode = "nearest",
    bool alignCorners = false) : Module
{
    /// <summary>The output's size, or default when a scale factor is given.</summary>
    public PerAxis Size { get; } = size;

    /// <summary>The factor each axis grows by, or null when a size is given.</summary>
    public double? ScaleFactor { get; } = scaleFactor;

    /// <summary>"nearest", "linear", "bilinear", "bicubic" or "trilinear".</summary>
    public string Mode { get; } = mode;

    /// <summary>Whether the interpolating modes map corner pixels onto each other.</summary>
    public bool AlignCorners { get; } = alignCorners;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Interpolate(input, Size, ScaleFactor, Mode, AlignCorners);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        (ScaleFactor is { } f ? $"scale_factor={f}" : $"size={Size}") + $", mode='{Mode}'";
}

/// <summary>Groups of r² channels into r × r pixel blocks (torch.nn.PixelShuffle).</summary>
public sealed class PixelShuffle(int upscaleFactor) : Module
{
    /// <summary>r, the side of each block.</summary>
    public int UpscaleFactor { get; } = upscaleFactor;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.PixelShuffle(input, UpscaleFactor);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"upscale_factor={UpscaleFactor}";
}

/// <summary>r × r pixel blocks into groups of r² channels (torch.nn.PixelUnshuffle).</summary>
public sealed class PixelUnshuffle(int downscaleFactor) : Module
{
    /// <summary>r, the side of each block.</summary>
    public int DownscaleFactor { get; } = downscaleFactor;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.PixelUnshuffle(input, DownscaleFactor);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"downscale_factor={DownscaleFactor}";
}
