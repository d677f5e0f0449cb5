namespace Backprop.Nn;

/// <summary>
/// What batch and instance normalization share: <see cref="NumFeatures"/> channels, an optional per-channel affine
/// <c>weight</c> (ones) and <c>bias</c> (zeros), and optional running statistics kept as the buffers
/// <c>running_mean</c>, <c>running_var</c> and <c>num_batches_tracked</c>, as in PyTorch's state dict.
/// </summary>
public abstract class ChannelNorm : Module
{
    /// <summary>Creates the parameters and buffers asked for, after checking the sizes.</summary>
    protected ChannelNorm(int numFeatures, double eps, double momentum, bool affine, bool trackRunningStats,
        DType? dtype)
    {
        if (numFeatures <= 0)
            throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures,
                $"{GetType().Name}: the feature count must be positive");
        if (!(momentum is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum,
                $"{GetType().Name}: momentum must be in [0, 1]");
        (NumFeatures, Eps, Momentum) = (numFeatures, eps, momentum);
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones([numFeatures], dtype));
            Bias = RegisterParameter("bias", Tensor.Zeros([numFeatures], dtype));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([numFeatures], dtype));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones([numFeatures], dtype));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros([], DType.Int64));
        }
    }

    /// <summary>Channels normalized.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Weight of the new batch in the running statistics.</summary>
    public double Momentum { get; }

    /// <summary>γ, [NumFeatures], or null when not affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>β, [NumFeatures], or null when not affine.</summary>
    public Tensor? Bias { get; }

    /// <summary>The running mean, or null when not tracked.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>The running (unbiased) variance, or null when not tracked.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>
    /// How many training batches updated the running statistics (0-dim Int64; batch normalization counts them,
    /// instance normalization keeps the buffer for PyTorch's state dict), or null when not tracked.
    /// </summary>
    public Tensor? NumBatchesTracked { get; }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={Eps}, momentum={Momentum}, affine={(Weight is null ? "False" : "True")}, " +
        $"track_running_stats={(RunningMean is null ? "False" : "True")}";
}

/// <summary>
/// Batch normalization over the channel dim (torch.nn.BatchNorm1d/2d): in training the batch statistics normalize
/// and update the running mean and variance buffers; in evaluation those buffers normalize. Buffers
/// <c>running_mean</c>, <c>running_var</c> and <c>num_batches_tracked</c> are saved in the state dict, as in PyTorch.
/// </summary>
public abstract class BatchNorm : ChannelNorm
{
    private readonly int[] _acceptedDims;

    /// <summary>Creates the layer for inputs of the given ranks.</summary>
    protected BatchNorm(int numFeatures, double eps, double momentum, bool affine, bool trackRunningStats, DType? dtype,
        int[] acceptedDims) : base(numFeatures, eps, momentum, affine, trackRunningStats, dtype) =>
        _acceptedDims = acceptedDims;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (!_acceptedDims.Contains(input.NDim))
            throw new ArgumentException($"{GetType().Name}: expected an input of " +
                $"{string.Join(" or ", _acceptedDims)} dims, got {Shapes.Format(input.shape)}");
        bool useBatchStatistics = Training || RunningMean is null;
        var y = F.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, useBatchStatistics, Momentum, Eps);
        if (Training && NumBatchesTracked is not null)
        {
            if (NumBatchesTracked.Device.Type == DeviceType.Cpu)
            {
                NumBatchesTracked.BumpVersion();
                NumBatchesTracked.AsSpan<long>()[0]++;
            }
            else NumBatchesTracked.Copy_(NumBatchesTracked + Tensor.OnesLike(NumBatchesTracked));
        }
        return y;
    }
}

/// <summary>Batch normalization of [N, C] or [N, C, L] inputs (torch.nn.BatchNorm1d).</summary>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true,
    bool trackRunningStats = true, DType? dtype = null)
    : BatchNorm(numFeatures, eps, momentum, affine, trackRunningStats, dtype, [2, 3]);

/// <summary>Batch normalization of [N, C, H, W] inputs (torch.nn.BatchNorm2d).</summary>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true,
    bool trackRunningStats = true, DType? dtype = null)
    : BatchNorm(numFeatures, eps, momentum, affine, trackRunningStats, dtype, [4]);

/// <summary>
/// Layer normalization over the trailing <see cref="NormalizedShape"/> dims (torch.nn.LayerNorm), weight ones and bias
/// zeros.
/// </summary>
public sealed class LayerNorm : Module
{
    private readonly int[] _normalizedShape;

    /// <summary>Creates the layer.</summary>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, DType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            throw new ArgumentException("LayerNorm: the normalized shape must be non-empty with positive sizes, got " +
                Shapes.Format(normalizedShape));
        _normalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(normalizedShape, dtype));
            Bias = RegisterParameter("bias", Tensor.Zeros(normalizedShape, dtype));
        }
    }

    /// <summary>The trailing dims normalized (a copy).</summary>
    public int[] NormalizedShape => (int[])_normalizedShape.Clone();

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>γ of the normalized shape, or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>β of the normalized shape, or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.LayerNorm(input, _normalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"({string.Join(", ", _normalizedShape)},), eps={Eps}, " +
        $"elementwise_affine={(Weight is null ? "False" : "True")}";
}

/// <summary>
/// Zeroes each element with probability <see cref="P"/> in training and scales the rest by 1/(1 − p)
/// (torch.nn.Dropout); the identity in evaluation. The generator seeds the masks (the thread's default when null).
/// </summary>
public sealed class Dropout : Module
{
    private readonly Generator? _generator;

    /// <summary>Creates the layer.</summary>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (!(p is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"Dropout: the probability must be in [0, 1], got {p}");
        P = p;
        _generator = generator;
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Dropout(input, P, Training, _generator);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}";
}

/// <summary>
/// Zeroes whole channels of [N, C, H, W] (or [C, H, W]) inputs with probability <see cref="P"/> in training and
/// scales the rest by 1/(1 − p) (torch.nn.Dropout2d); the identity in evaluation.
/// </summary>
public sealed class Dropout2d : Module
{
    private readonly Generator? _generator;

    /// <summary>Creates the layer.</summary>
    public Dropout2d(double p = 0.5, Generator? generator = null)
    {
        if (!(p is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p,
                $"Dropout2d: the probability must be in [0, 1], got {p}");
        P = p;
        _generator = generator;
    }

    /// <summary>The probability of zeroing a channel.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Dropout2d(input, P, Training, _generator);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={P}";
}

/// <summary>
/// Group normalization (torch.nn.GroupNorm): the channels of [N, C, ...] inputs in <see cref="NumGroups"/> groups,
/// each normalized by its own statistics, then a per-channel <c>weight</c> (ones) and <c>bias</c> (zeros) when affine.
/// </summary>
public sealed class GroupNorm : Module
{
    /// <summary>Creates the layer.</summary>
    public GroupNorm(int numGroups, int numChannels, double eps = 1e-5, bool affine = true, DType? dtype = null)
    {
        if (numGroups <= 0 || numChannels <= 0 || numChannels % numGroups != 0)
            throw new ArgumentException($"GroupNorm: {numGroups} groups must be positive and divide the " +
                $"{numChannels} channels");
        (NumGroups, NumChannels, Eps) = (numGroups, numChannels, eps);
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones([numChannels], dtype));
            Bias = RegisterParameter("bias", Tensor.Zeros([numChannels], dtype));
        }
    }

    /// <summary>Groups the channels are split into.</summary>
    public int NumGroups { get; }

    /// <summary>Channels of the input.</summary>
    public int NumChannels { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>γ, [NumChannels], or null when not affine.</summary>
    public Tensor? Weight { get; }

    /// <summary>β, [NumChannels], or null when not affine.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.GroupNorm(input, NumGroups, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumGroups}, {NumChannels}, eps={Eps}, affine={(Weight is null ? "False" : "True")}";
}

/// <summary>
/// Instance normalization (torch.nn.InstanceNorm1d/2d): each channel of each sample normalized over its spatial dims.
/// Not affine and without running statistics by default, as in PyTorch; with <c>trackRunningStats</c> the buffers
/// <c>running_mean</c>, <c>running_var</c> and <c>num_batches_tracked</c> are kept and evaluation normalizes with
/// them. An unbatched input (one dim fewer) is normalized as a batch of one.
/// </summary>
public abstract class InstanceNorm : ChannelNorm
{
    private readonly int _batchedDims;

    /// <summary>Creates the layer for batched inputs of <paramref name="batchedDims"/> dims.</summary>
    protected InstanceNorm(int numFeatures, double eps, double momentum, bool affine, bool trackRunningStats,
        DType? dtype, int batchedDims) : base(numFeatures, eps, momentum, affine, trackRunningStats, dtype) =>
        _batchedDims = batchedDims;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.NDim != _batchedDims && input.NDim != _batchedDims - 1)
            throw new ArgumentException($"{GetType().Name}: expected an input of {_batchedDims - 1} or " +
                $"{_batchedDims} dims, got {Shapes.Format(input.shape)}");
        bool unbatched = input.NDim == _batchedDims - 1;
        var x = unbatched ? input.Unsqueeze(0) : input;
        if (x.shape[1] != NumFeatures)
            throw new ArgumentException($"{GetType().Name}: input {Shapes.Format(input.shape)} has {x.shape[1]} " +
                $"channels, expected {NumFeatures}");
        bool useInputStats = Training || RunningMean is null;
        var y = F.InstanceNorm(x, RunningMean, RunningVar, Weight, Bias, useInputStats, Momentum, Eps);
        return unbatched ? y.Squeeze(0) : y;
    }
}

/// <summary>Instance normalization of [N, C, L] or [C, L] inputs (torch.nn.InstanceNorm1d).</summary>
public sealed class InstanceNorm1d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = false,
    bool trackRunningStats = false, DType? dtype = null)
    : InstanceNorm(numFeatures, eps, momentum, affine, trackRunningStats, dtype, 3);

/// <summary>Instance normalization of [N, C, H, W] or [C, H, W] inputs (torch.nn.InstanceNorm2d).</summary>
public sealed class InstanceNorm2d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = false,
    bool trackRunningStats = false, DType? dtype = null)
    : InstanceNorm(numFeatures, eps, momentum, affine, trackRunningStats, dtype, 4);

/// <summary>
/// Root-mean-square normalization over the trailing <see cref="NormalizedShape"/> dims (torch.nn.RMSNorm, PyTorch
/// 2.4): <c>weight</c> (ones) when elementwise-affine, and eps the dtype's machine epsilon when not given.
/// </summary>
public sealed class RMSNorm : Module
{
    private readonly int[] _normalizedShape;

    /// <summary>Creates the layer.</summary>
    public RMSNorm(int[] normalizedShape, double? eps = null, bool elementwiseAffine = true, DType? dtype = null)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(d => d <= 0))
            throw new ArgumentException($"RMSNorm: the normalized shape must be non-empty with positive sizes, got " +
                $"{Shapes.Format(normalizedShape)}");
        _normalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        if (elementwiseAffine) Weight = RegisterParameter("weight", Tensor.Ones(normalizedShape, dtype));
    }

    /// <summary>The trailing dims normalized (a copy).</summary>
    public int[] NormalizedShape => (int[])_normalizedShape.Clone();

    /// <summary>Added to the mean square; null for the input dtype's machine epsilon.</summary>
    public double? Eps { get; }

    /// <summary>The scale of the normalized shape, or null.</summary>
    public Tensor? Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.RmsNorm(input, _normalizedShape, Weight, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"({string.Join(", ", _normalizedShape)},), eps={Eps?.ToString() ?? "None"}, " +
        $"elementwise_affine={(Weight is null ? "False" : "True")}";
}
