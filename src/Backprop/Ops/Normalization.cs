namespace Backprop;

// Batch, layer, group, instance and RMS normalization. Batch and layer normalization are one kernel each way, their
// rules also written in tensor ops for passes that differentiate again; the others are tensor ops (mean, centered
// variance, scale and shift) whose gradients, through the statistics too, come from autograd.
public static partial class F
{
    /// <summary>
    /// Batch normalization over dim 1 of <paramref name="x"/> [N, C] or [N, C, H, W], as
    /// torch.nn.functional.batch_norm.
    /// In training the batch's mean and biased variance normalize, and the running statistics (if given) are updated
    /// in place, outside the graph: running = (1 − momentum)·running + momentum·batch, with the unbiased variance.
    /// In evaluation the running statistics normalize. Weight and bias are [C].
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null,
        Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        const string op = "BatchNorm";
        Op.RequireFloat(op, x);
        if (x.NDim < 2)
            throw new ArgumentException(
                $"BatchNorm: input must be [N, C] or [N, C, ...], got {Shapes.Format(x.shape)}");
        int channels = x.shape[1];
        foreach (var (name, t) in
                 new[] { ("runningMean", runningMean), ("runningVar", runningVar), ("weight", weight), ("bias", bias) })
            if (t is not null)
            {
                Op.RequireSame(op, x, t);
                if (t.NDim != 1 || t.shape[0] != channels)
                    throw new ArgumentException($"BatchNorm: {name} {Shapes.Format(t.shape)} does not match input " +
                        $"{Shapes.Format(x.shape)}: expected [{channels}]");
            }
        if ((runningMean is null) != (runningVar is null))
            throw new ArgumentException("BatchNorm: give both runningMean and runningVar, or neither");
        if (!training && runningMean is null)
            throw new ArgumentException("BatchNorm: evaluation mode needs runningMean and runningVar");
        int count = x.Numel / Math.Max(channels, 1);
        if (training && count <= 1)
            throw new ArgumentException(
                $"BatchNorm: training needs more than 1 value per channel, got input {Shapes.Format(x.shape)}");

        // one channel kernel each way; in evaluation a copy of the running statistics, which may change before backward
        x = x.Contiguous();
        var (weightData, biasData) = (weight?.Detach().Contiguous(), bias?.Detach().Contiguous());
        Tensor mean, variance;
        if (training)
        {
            mean = Tensor.Uninitialized([channels], x.DType, x.Device);
            variance = Tensor.Uninitialized([channels], x.DType, x.Device);
        }
        else (mean, variance) = (runningMean!.Detach().Clone(), runningVar!.Detach().Clone());
        var y = Tensor.Uninitialized(x.shape, x.DType, x.Device);
        x.Backend.BatchNorm(x, weightData, biasData, eps, training, mean, variance, y);
        if (training && runningMean is not null)
            using (Autograd.NoGrad())
            {
                var newMean = runningMean.Detach() * (1 - momentum) + mean * momentum;
                var newVar = runningVar!.Detach() * (1 - momentum) + variance * (momentum * count / (count - 1));
                runningMean.Copy_(newMean);
                runningVar.Copy_(newVar);
            }
        Tensor[] inputs = [x, .. Optional(weight), .. Optional(bias)];
        return Op.RecordFused(op, y, inputs, (g, pass) =>
        {
            if (pass.CreateGraph)
            {
                // in training the statistics are recomputed in ops, so the gradients differentiate through them too
                var (batchMean, batchVariance) = training ? BatchNormStatistics(x) : (mean, variance);
                var (dxOps, dw, db) = BatchNormGradients(g, x, weight, batchMean, batchVariance, eps, training);
                return [dxOps, .. weight is null ? Array.Empty<Tensor?>() : [dw],
                    .. bias is null ? Array.Empty<Tensor?>() : [db]];
            }
            var dx = x.RequiresGrad ? Tensor.Uninitialized(x.shape, x.DType, x.Device) : null;
            var dWeight = weight is { RequiresGrad: true } ? Tensor.Uninitialized([channels], x.DType, x.Device)
                : null;
            var dBias = bias is { RequiresGrad: true } ? Tensor.Uninitialized([channels], x.DType, x.Device)
                : null;
            x.Backend.BatchNormBackward(g.Contiguous(), x, weightData, mean, variance, eps, training, dx, dWeight,
                dBias);
            return [dx, .. weight is null ? Array.Empty<Tensor?>() : [dWeight],
                .. bias is null ? Array.Empty<Tensor?>() : [dBias]];
        }, saved: [x, .. Optional(weight)]);
    }

    /// <summary>Each channel's mean and biased variance over x [N, C, ...], [C], in tensor ops.</summary>
    internal static (Tensor Mean, Tensor Variance) BatchNormStatistics(Tensor x)
    {
        var dims = Enumerable.Range(0, x.NDim).Where(d => d != 1).ToArray();
        return (x.Mean(dims), x.Var(dims, correction: 0));
    }

    /// <summary>
    /// Batch normalization's gradients in tensor ops, from the upstream gradient g, x [N, C, ...], the weight [C] or
    /// null and the statistics [C] that normalized x: with x̂ = (x − mean)·rstd and ĝ = g·weight, dx = rstd·(ĝ
    /// − mean(ĝ) − x̂·mean(ĝ·x̂)) in training (through the batch statistics) and rstd·ĝ in evaluation;
    /// dWeight = Σ g·x̂ and dBias = Σ g per channel.
    /// </summary>
    internal static (Tensor Dx, Tensor DWeight, Tensor DBias) BatchNormGradients(Tensor g, Tensor x, Tensor? weight,
        Tensor mean, Tensor variance, double eps, bool training)
    {
        var dims = Enumerable.Range(0, x.NDim).Where(d => d != 1).ToArray();
        var channelShape = ChannelShape(x);
        var rstd = (variance.Reshape(channelShape) + eps).Rsqrt();
        var xHat = (x - mean.Reshape(channelShape)) * rstd;
        var scaled = weight is null ? g : g * weight.Reshape(channelShape);
        var dx = training
            ? rstd * (scaled - scaled.Mean(dims, keepDim: true) - xHat * (scaled * xHat).Mean(dims, keepDim: true))
            : rstd * scaled;
        return (dx, (g * xHat).Sum(dims), g.Sum(dims));
    }

    /// <summary>
    /// Layer normalization over the trailing dims given by <paramref name="normalizedShape"/>, as
    /// torch.nn.functional.layer_norm: (x − mean) / √(var + eps) with the biased variance, then weight and bias of
    /// that shape.
    /// </summary>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null,
        double eps = 1e-5)
    {
        const string op = "LayerNorm";
        ArgumentNullException.ThrowIfNull(normalizedShape);
        Op.RequireFloat(op, x);
        int k = normalizedShape.Length;
        if (k == 0 || k > x.NDim || !Shapes.Equal(x.shape[(x.NDim - k)..], normalizedShape))
            throw new ArgumentException($"LayerNorm: input {Shapes.Format(x.shape)} does not end with the normalized " +
                $"shape {Shapes.Format(normalizedShape)}");
        foreach (var (name, t) in new[] { ("weight", weight), ("bias", bias) })
            if (t is not null)
            {
                Op.RequireSame(op, x, t);
                if (!Shapes.Equal(t.shape, normalizedShape))
                    throw new ArgumentException($"LayerNorm: {name} {Shapes.Format(t.shape)} differs from the " +
                        $"normalized shape {Shapes.Format(normalizedShape)}");
            }
        // one row kernel each way over [rows, n], the trailing dims flattened
        int rows = x.Numel / Math.Max(Shapes.Numel(normalizedShape), 1);
        (x, weight, bias) = (x.Contiguous(), weight?.Contiguous(), bias?.Contiguous());
        var y = Tensor.Uninitialized(x.shape, x.DType, x.Device);
        var mean = Tensor.Uninitialized([rows], x.DType, x.Device);
        var rstd = Tensor.Uninitialized([rows], x.DType, x.Device);
        x.Backend.LayerNorm(x, weight, bias, eps, y, mean, rstd);
        Tensor[] inputs = [x, .. Optional(weight), .. Optional(bias)];
        return Op.RecordFused(op, y, inputs, (g, pass) =>
        {
            var gRows = g.Reshape(rows, -1);
            if (pass.CreateGraph)
            {
                // x̂'s mean and rstd recomputed in ops, so the gradients differentiate through them too
                var xRows = x.Reshape(rows, -1);
                var (rowMean, rowRstd) = LayerNormStatistics(xRows, eps);
                var (dxRows, dw, db) = LayerNormGradients(gRows, xRows, weight?.Reshape(-1), rowMean, rowRstd);
                return [dxRows.Reshape(x.shape),
                    .. weight is null ? Array.Empty<Tensor?>() : [dw.Reshape(weight.shape)],
                    .. bias is null ? Array.Empty<Tensor?>() : [db.Reshape(bias.shape)]];
            }
            var dx = x.RequiresGrad ? Tensor.Uninitialized(x.shape, x.DType, x.Device) : null;
            var dWeight = weight is { RequiresGrad: true }
                ? Tensor.Uninitialized(weight.shape, x.DType, x.Device) : null;
            var dBias = bias is { RequiresGrad: true } ? Tensor.Uninitialized(bias.shape, x.DType, x.Device) : null;
            x.Backend.LayerNormBackward(g.Contiguous(), x, weight, mean, rstd, dx, dWeight, dBias);
            return [dx, .. weight is null ? Array.Empty<Tensor?>() : [dWeight],
                .. bias is null ? Array.Empty<Tensor?>() : [dBias]];
        }, saved: [x, .. Optional(weight)]);
    }

    /// <summary>Each row's mean and rstd = 1/√(var + eps), biased variance, [rows, 1], in tensor ops.</summary>
    internal static (Tensor Mean, Tensor Rstd) LayerNormStatistics(Tensor rows, double eps) =>
        (rows.Mean([1], keepDim: true), (rows.Var([1], correction: 0, keepDim: true) + eps).Rsqrt());

    /// <summary>
    /// Layer normalization's gradients over rows [rows, n] in tensor ops, from the upstream gradient, x, the weight
    /// [n] or null, and each row's mean and rstd [rows, 1]: dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ
    /// = g·weight, dWeight = Σ rows g·x̂ and dBias = Σ rows g.
    /// </summary>
    internal static (Tensor Dx, Tensor DWeight, Tensor DBias) LayerNormGradients(Tensor g, Tensor x, Tensor? weight,
        Tensor mean, Tensor rstd)
    {
        var xHat = (x - mean) * rstd;
        var scaled = weight is null ? g : g * weight;
        var dx = rstd * (scaled - scaled.Mean([1], keepDim: true) - xHat * (scaled * xHat).Mean([1], keepDim: true));
        return (dx, (g * xHat).Sum([0]), g.Sum([0]));
    }

    /// <summary>
    /// Group normalization of <paramref name="x"/> [N, C, ...], as torch.nn.functional.group_norm: the C channels
    /// form <paramref name="numGroups"/> groups of consecutive channels, each normalized over its channels and the
    /// spatial dims with its mean and biased variance; weight and bias [C] then scale and shift each channel.
    /// </summary>
    public static Tensor GroupNorm(Tensor x, int numGroups, Tensor? weight = null, Tensor? bias = null,
        double eps = 1e-5)
    {
        const string op = "GroupNorm";
        Op.RequireFloat(op, x);
        if (x.NDim < 2)
            throw new ArgumentException($"GroupNorm: input must be [N, C, ...], got {Shapes.Format(x.shape)}");
        int channels = x.shape[1];
        if (numGroups <= 0 || channels % numGroups != 0)
            throw new ArgumentException($"GroupNorm: {numGroups} groups do not divide the {channels} channels of " +
                $"input {Shapes.Format(x.shape)}");
        CheckChannelParameters(op, x, weight, bias);
        // a group's channels are contiguous in x, so each group is one row of layer normalization's kernel
        int groupSize = x.Numel / Math.Max(x.shape[0] * numGroups, 1);
        var y = LayerNorm(x.Reshape(x.shape[0], numGroups, groupSize), [groupSize], eps: eps).Reshape(x.shape);
        return ChannelAffine(y, weight, bias);
    }

    /// <summary>
    /// Instance normalization of <paramref name="x"/> [N, C, ...], as torch.nn.functional.instance_norm: with
    /// <paramref name="useInputStats"/> each channel of each sample is normalized over its spatial dims with its own
    /// mean and biased variance, and the running statistics (if given) move toward the batch's average of those
    /// statistics (the variance unbiased), outside the graph; without it the running statistics normalize.
    /// Weight and bias are [C].
    /// </summary>
    public static Tensor InstanceNorm(Tensor x, Tensor? runningMean = null, Tensor? runningVar = null,
        Tensor? weight = null, Tensor? bias = null, bool useInputStats = true, double momentum = 0.1,
        double eps = 1e-5)
    {
        const string op = "InstanceNorm";
        Op.RequireFloat(op, x);
        if (x.NDim < 3)
            throw new ArgumentException($"InstanceNorm: input must be [N, C, ...] with spatial dims, got " +
                $"{Shapes.Format(x.shape)}");
        CheckChannelParameters(op, x, weight, bias, ("runningMean", runningMean), ("runningVar", runningVar));
        if ((runningMean is null) != (runningVar is null))
            throw new ArgumentException("InstanceNorm: give both runningMean and runningVar, or neither");
        if (!useInputStats && runningMean is null)
            throw new ArgumentException("InstanceNorm: normalizing with running statistics needs runningMean and " +
                "runningVar");
        int channels = x.shape[1];
        var channelShape = ChannelShape(x);
        Tensor y;
        if (useInputStats)
        {
            int count = x.Numel / Math.Max(x.shape[0] * channels, 1);
            if (count <= 1)
                throw new ArgumentException($"InstanceNorm: needs more than 1 spatial element per channel, got " +
                    $"input {Shapes.Format(x.shape)}");
            var dims = Enumerable.Range(2, x.NDim - 2).ToArray();
            var mean = x.Mean(dims, keepDim: true);
            var variance = x.Var(dims, correction: 0, keepDim: true);
            y = (x - mean) / (variance + eps).Sqrt();
            if (runningMean is not null)
                using (Autograd.NoGrad())
                {
                    var batchMean = mean.Detach().Reshape(x.shape[0], channels).Mean(0);
                    var batchVar = variance.Detach().Reshape(x.shape[0], channels).Mean(0)
                        * ((double)count / (count - 1));
                    runningMean.Copy_(runningMean.Detach() * (1 - momentum) + batchMean * momentum);
                    runningVar!.Copy_(runningVar.Detach() * (1 - momentum) + batchVar * momentum);
                }
        }
        else
            y = (x - runningMean!.Detach().Reshape(channelShape))
                / (runningVar!.Detach().Reshape(channelShape) + eps).Sqrt();
        return ChannelAffine(y, weight, bias);
    }

    /// <summary>
    /// Root-mean-square normalization over the trailing dims given by <paramref name="normalizedShape"/>, as
    /// torch.nn.functional.rms_norm (PyTorch 2.4): x / √(mean(x²) + eps), then times weight of that shape. Without
    /// <paramref name="eps"/> it is the machine epsilon of x's dtype, as torch.finfo(dtype).eps.
    /// </summary>
    public static Tensor RmsNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, double? eps = null)
    {
        const string op = "RmsNorm";
        ArgumentNullException.ThrowIfNull(normalizedShape);
        Op.RequireFloat(op, x);
        int k = normalizedShape.Length;
        if (k == 0 || k > x.NDim || !Shapes.Equal(x.shape[(x.NDim - k)..], normalizedShape))
            throw new ArgumentException($"RmsNorm: input {Shapes.Format(x.shape)} does not end with the normalized " +
                $"shape {Shapes.Format(normalizedShape)}");
        if (weight is not null)
        {
            Op.RequireSame(op, x, weight);
            if (!Shapes.Equal(weight.shape, normalizedShape))
                throw new ArgumentException($"RmsNorm: weight {Shapes.Format(weight.shape)} differs from the " +
                    $"normalized shape {Shapes.Format(normalizedShape)}");
        }
        var dims = Enumerable.Range(x.NDim - k, k).ToArray();
        var y = x * ((x * x).Mean(dims, keepDim: true) + (eps ?? MachineEpsilon(x.DType))).Rsqrt();
        return weight is null ? y : y * weight;
    }

    // torch.finfo(dtype).eps: the gap between 1 and the next representable number
    internal static double MachineEpsilon(DType dtype) => dtype switch
    {
        DType.Float64 => Math.BitIncrement(1.0) - 1.0,
        DType.Float32 => MathF.BitIncrement(1f) - 1f,
        _ => throw new ArgumentException($"RmsNorm: no machine epsilon for {dtype}"),
    };

    // [1, C, 1, ...] for x [N, C, ...]
    private static int[] ChannelShape(Tensor x)
    {
        var shape = new int[x.NDim];
        Array.Fill(shape, 1);
        shape[1] = x.shape[1];
        return shape;
    }

    private static Tensor ChannelAffine(Tensor y, Tensor? weight, Tensor? bias)
    {
        var channelShape = ChannelShape(y);
        if (weight is not null) y = y * weight.Reshape(channelShape);
        if (bias is not null) y = y + bias.Reshape(channelShape);
        return y;
    }

    // each given tensor is [C] for x [N, C, ...], on x's device and of its dtype
    private static void CheckChannelParameters(string op, Tensor x, Tensor? weight, Tensor? bias,
        params (string Name, Tensor? Tensor)[] more)
    {
        foreach (var (name, t) in more.Prepend(("bias", bias)).Prepend(("weight", weight)))
            if (t is not null)
            {
                Op.RequireSame(op, x, t);
                if (t.NDim != 1 || t.shape[0] != x.shape[1])
                    throw new ArgumentException($"{op}: {name} {Shapes.Format(t.shape)} does not match input " +
                        $"{Shapes.Format(x.shape)}: expected [{x.shape[1]}]");
            }
    }
}
