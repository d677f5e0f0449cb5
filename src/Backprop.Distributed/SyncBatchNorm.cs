using Backprop.Nn;

namespace Backprop.Distributed;

/// <summary>
/// Batch normalization whose training statistics are those of the global batch (torch.nn.SyncBatchNorm): the
/// per-channel sums are all-reduced over the ranks, and so are their gradients, so N ranks normalize, update the
/// running statistics and backpropagate as one process would on the whole batch. Evaluation uses the running
/// statistics, as <see cref="BatchNorm"/> does, with no communication. Parameters and buffers have BatchNorm's names.
/// </summary>
/// <remarks>
/// In training every rank must run it, in the same order, in both passes, even a rank whose share of the batch is
/// empty. As <see cref="DistributedDataParallel.ReduceGradients"/> does, it takes each rank's loss to be the mean
/// over that rank's rows, so the gradients it sends back are weighted by each rank's share of the batch's rows.
/// </remarks>
public sealed class SyncBatchNorm : BatchNorm
{
    private readonly Communicator _communicator;

    /// <summary>Creates the layer for [N, C], [N, C, L] or [N, C, H, W] inputs.</summary>
    public SyncBatchNorm(int numFeatures, Communicator communicator, double eps = 1e-5, double momentum = 0.1,
        bool affine = true, bool trackRunningStats = true, DType? dtype = null)
        : base(numFeatures, eps, momentum, affine, trackRunningStats, dtype, [2, 3, 4])
    {
        ArgumentNullException.ThrowIfNull(communicator);
        _communicator = communicator;
    }

    /// <summary>
    /// Replaces every <see cref="BatchNorm"/> in <paramref name="module"/>'s tree by a <see cref="SyncBatchNorm"/>
    /// with the same settings, parameters and buffers (torch.nn.SyncBatchNorm.convert_sync_batchnorm); returns the
    /// module, or a new SyncBatchNorm when the module is itself a BatchNorm.
    /// </summary>
    public static Module Convert(Module module, Communicator communicator)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(communicator);
        if (module is BatchNorm norm and not SyncBatchNorm) return FromBatchNorm(norm, communicator);
        for (int i = 0; i < module.ChildCount; i++)
        {
            var child = module.ChildAt(i);
            var converted = Convert(child, communicator);
            if (!ReferenceEquals(converted, child)) module.ReplaceChild(i, converted);
        }
        return module;
    }

    private static SyncBatchNorm FromBatchNorm(BatchNorm norm, Communicator communicator)
    {
        var dtype = (norm.Weight ?? norm.RunningMean)?.DType;
        var sync = new SyncBatchNorm(norm.NumFeatures, communicator, norm.Eps, norm.Momentum, norm.Weight is not null,
            norm.RunningMean is not null, dtype);
        sync.LoadStateDict(norm.StateDict());
        if (!norm.Training) sync.Eval();
        return sync;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!Training && RunningMean is not null) return base.Forward(input);
        if (input.NDim is < 2 or > 4 || input.Shape[1] != NumFeatures)
            throw new ArgumentException($"SyncBatchNorm: expected an input [N, {NumFeatures}] or " +
                $"[N, {NumFeatures}, ...] of 2 to 4 dims, got {Shapes.Format(input.shape)}");
        var dims = new int[input.NDim - 1];
        for (int d = 2; d < input.NDim; d++) dims[d - 1] = d;
        var channelShape = Enumerable.Repeat(1, input.NDim).ToArray();
        channelShape[1] = NumFeatures;

        // two passes, as BatchNorm: the global mean first, then the global sum of squares about it
        int rows = input.Shape[0];
        var sum = new SumOverRanks(_communicator, rows, input.Numel / NumFeatures);
        var sums = sum.Apply(input.Sum(dims));
        long count = sum.GlobalCount;   // known once the sum ran
        var mean = sums / count;
        var centered = input - mean.Reshape(channelShape);
        var squares = new SumOverRanks(_communicator, rows, 0).Apply((centered * centered).Sum(dims));
        if (count <= 1)
            throw new ArgumentException("SyncBatchNorm: training needs more than 1 value per channel over all " +
                $"ranks, got {count} (this rank's input {Shapes.Format(input.shape)})");
        var variance = squares / count;
        var y = centered / (variance.Reshape(channelShape) + Eps).Sqrt();
        if (Weight is not null) y = y * Weight.Reshape(channelShape);
        if (Bias is not null) y = y + Bias.Reshape(channelShape);

        if (RunningMean is not null)
            using (Autograd.NoGrad())
            {
                RunningMean.Copy_(RunningMean * (1 - Momentum) + mean.Detach() * Momentum);
                RunningVar!.Copy_(RunningVar * (1 - Momentum) + variance.Detach() * (Momentum * count / (count - 1)));
                NumBatchesTracked!.Copy_(NumBatchesTracked + 1);
            }
        return y;
    }

    /// <summary>
    /// Σ over the ranks of a [k] tensor, differentiable: every rank's output depends on every rank's input, so the
    /// gradient is the sum of the ranks' gradients, each weighted by its rank's share of the rows (the loss being
    /// the share-weighted sum of the ranks' mean losses) and divided by this rank's share, which the gradient
    /// reduction multiplies back. It also sums the ranks' rows and <c>count</c>s.
    /// </summary>
    private sealed class SumOverRanks(Communicator communicator, int rows, long count) : Function
    {
        private double _share;

        public long GlobalCount { get; private set; }

        public override string Name => "SumOverRanks";

        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            var values = inputs[0].To(DType.Float64).ToArray<double>();
            var buffer = new double[values.Length + 2];
            values.CopyTo(buffer, 0);
            (buffer[^2], buffer[^1]) = (rows, count);
            communicator.AllReduce(buffer.AsSpan());
            _share = rows / buffer[^2];
            GlobalCount = (long)buffer[^1];
            return Tensor.FromArray(buffer[..values.Length]).To(inputs[0].DType);
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
        {
            var g = gradOutput.To(DType.Float64).ToArray<double>();
            for (int i = 0; i < g.Length; i++) g[i] *= _share;
            communicator.AllReduce(g.AsSpan());
            // a rank without rows gets zeros: its gradients do not count (ReduceGradients weights them by 0)
            for (int i = 0; i < g.Length; i++) g[i] = _share > 0 ? g[i] / _share : 0;
            return [Tensor.FromArray(g).To(gradOutput.DType)];
        }
    }
}
