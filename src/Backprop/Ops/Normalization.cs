namespace Backprop;

// Batch and layer normalization, written in tensor ops (mean, centered variance, scale and shift) so their
// gradients, including the coupling through the batch statistics, come from autograd and differentiate again.
public static partial class F
{
    /// <summary>
    /// Batch normalization over dim 1 of <paramref name="x"/> [N, C] or [N, C, H, W], as torch.nn.functional.batch_norm.
    /// In training the batch's mean and biased variance normalize, and the running statistics (if given) are updated
    /// in place, outside the graph: running = (1 − momentum)·running + momentum·batch, with the unbiased variance.
    /// In evaluation the running statistics normalize. Weight and bias are [C].
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        const string op = "BatchNorm";
        Op.RequireFloat(op, x);
        if (x.NDim < 2) throw new ArgumentException($"BatchNorm: input must be [N, C] or [N, C, ...], got {Shapes.Format(x.shape)}");
        int channels = x.shape[1];
        foreach (var (name, t) in new[] { ("runningMean", runningMean), ("runningVar", runningVar), ("weight", weight), ("bias", bias) })
            if (t is not null)
            {
                Op.RequireSame(op, x, t);
                if (t.NDim != 1 || t.shape[0] != channels)
                    throw new ArgumentException($"BatchNorm: {name} {Shapes.Format(t.shape)} does not match input {Shapes.Format(x.shape)}: expected [{channels}]");
            }
        if ((runningMean is null) != (runningVar is null))
            throw new ArgumentException("BatchNorm: give both runningMean and runningVar, or neither");
        if (!training && runningMean is null)
            throw new ArgumentException("BatchNorm: evaluation mode needs runningMean and runningVar");
        var dims = new int[x.NDim - 1];
        dims[0] = 0;
        for (int d = 2; d < x.NDim; d++) dims[d - 1] = d;
        int count = x.Numel / Math.Max(channels, 1);
        if (training && count <= 1)
            throw new ArgumentException($"BatchNorm: training needs more than 1 value per channel, got input {Shapes.Format(x.shape)}");

        var channelShape = new int[x.NDim];
        Array.Fill(channelShape, 1);
        channelShape[1] = channels;
        Tensor mean, variance;
        if (training)
        {
            mean = x.Mean(dims, keepDim: true);
            variance = x.Var(dims, correction: 0, keepDim: true);
        }
        else
        {
            mean = runningMean!.Detach().Reshape(channelShape);
            variance = runningVar!.Detach().Reshape(channelShape);
        }
        var y = (x - mean) / (variance + eps).Sqrt();
        if (weight is not null) y = y * weight.Reshape(channelShape);
        if (bias is not null) y = y + bias.Reshape(channelShape);

        if (training && runningMean is not null)
            using (Autograd.NoGrad())
            {
                var newMean = runningMean.Detach() * (1 - momentum) + mean.Detach().Reshape(channels) * momentum;
                var newVar = runningVar!.Detach() * (1 - momentum) + variance.Detach().Reshape(channels) * (momentum * count / (count - 1));
                runningMean.Copy_(newMean);
                runningVar.Copy_(newVar);
            }
        return y;
    }

    /// <summary>
    /// Layer normalization over the trailing dims given by <paramref name="normalizedShape"/>, as
    /// torch.nn.functional.layer_norm: (x − mean) / √(var + eps) with the biased variance, then weight and bias of that shape.
    /// </summary>
    public static Tensor LayerNorm(Tensor x, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        const string op = "LayerNorm";
        ArgumentNullException.ThrowIfNull(normalizedShape);
        Op.RequireFloat(op, x);
        int k = normalizedShape.Length;
        if (k == 0 || k > x.NDim || !Shapes.Equal(x.shape[(x.NDim - k)..], normalizedShape))
            throw new ArgumentException($"LayerNorm: input {Shapes.Format(x.shape)} does not end with the normalized shape {Shapes.Format(normalizedShape)}");
        foreach (var (name, t) in new[] { ("weight", weight), ("bias", bias) })
            if (t is not null)
            {
                Op.RequireSame(op, x, t);
                if (!Shapes.Equal(t.shape, normalizedShape))
                    throw new ArgumentException($"LayerNorm: {name} {Shapes.Format(t.shape)} differs from the normalized shape {Shapes.Format(normalizedShape)}");
            }
        var dims = new int[k];
        for (int i = 0; i < k; i++) dims[i] = x.NDim - k + i;
        var mean = x.Mean(dims, keepDim: true);
        var y = (x - mean) / (x.Var(dims, correction: 0, keepDim: true) + eps).Sqrt();
        if (weight is not null) y = y * weight;
        if (bias is not null) y = y + bias;
        return y;
    }
}
