using Backprop.Data;
using Backprop.Distributed;
using Backprop.Nn;
using Backprop.Optim;

namespace Backprop.Cli;

/// <summary>One recorded point of the learning curves.</summary>
internal readonly record struct EpochRecord(int Epoch, double Loss, double TrainAccuracy, double TestAccuracy);

/// <summary>The figures of a finished run; on several ranks, also the steps and the time reducing gradients.</summary>
internal sealed record TrainingResult(double FinalLoss, double TrainAccuracy, double TestAccuracy,
    IReadOnlyList<EpochRecord> History, double ReduceSeconds = 0, int Steps = 0);

/// <summary>
/// Training stopped because the loss became NaN or infinite at an epoch; under anomaly detection, the message names
/// the first backward rule that produced a non-finite gradient instead.
/// </summary>
internal sealed class TrainingDivergedException(string message) : Exception(message)
{
    public static TrainingDivergedException Loss(int epoch, double loss) => new(FormattableString.Invariant(
        $"the loss became {loss} at epoch {epoch} (try a smaller --lr, or --detect-anomaly)"));

    public static TrainingDivergedException Gradient(int epoch, string op) =>
        new($"the gradient became NaN or infinite at epoch {epoch}: {op}");
}

/// <summary>
/// Runs a recipe's training loop: forward, loss plus L2 penalty, backward, optimizer step, per batch. In a group of
/// ranks each takes its share of every batch, the gradients are reduced by <see cref="DistributedDataParallel"/>,
/// and the epoch's loss and accuracy, like the evaluations, are summed over the ranks: every rank reports the
/// one-process figures.
/// </summary>
internal sealed class Trainer(TrainingRecipe recipe, Module model, Dataset train, Dataset test, Communicator world)
{
    private const int MaxCurvePoints = 200;

    /// <summary>Called after each epoch with its record (test accuracy NaN where not measured).</summary>
    public Action<EpochRecord>? EpochEnded { get; init; }

    public TrainingResult Run()
    {
        var history = new List<EpochRecord>();
        double lastLoss = double.NaN, reduceSeconds = 0;
        int steps = 0;
        if (recipe.Epochs > 0)
        {
            var optimizer = recipe.Optimizer == "adam"
                ? (Optimizer)new Adam(model.Parameters(), recipe.LearningRate)
                : new SGD(model.Parameters(), recipe.LearningRate);
            bool fullBatch = recipe.BatchSize >= train.Count;
            int batch = Math.Min(recipe.BatchSize, train.Count);
            var loader = new DataLoader(train, batch, shuffle: !fullBatch, seed: recipe.Seed)
                .Shard(world.Rank, world.Size);
            var parallel = world.Size > 1 ? new DistributedDataParallel(model, world) : null;
            var weights = model.Parameters().Where(p => p.NDim >= 2).ToList();
            int curveStride = (recipe.Epochs + MaxCurvePoints - 1) / MaxCurvePoints;
            for (int epoch = 1; epoch <= recipe.Epochs; epoch++)
            {
                var (loss, accuracy) = TrainEpoch(loader, optimizer, weights, parallel, epoch);
                if (!double.IsFinite(loss)) throw TrainingDivergedException.Loss(epoch, loss);
                lastLoss = loss;
                bool onCurve = epoch % curveStride == 0 || epoch == recipe.Epochs || epoch == 1;
                var record = new EpochRecord(epoch, loss, accuracy, onCurve ? Evaluate(test).Accuracy : double.NaN);
                if (onCurve) history.Add(record);
                EpochEnded?.Invoke(record);
            }
            parallel?.CheckInSync();
            reduceSeconds = parallel?.ReduceTime.TotalSeconds ?? 0;
            steps = recipe.Epochs * loader.Count;
        }
        var trainFigures = Evaluate(train);
        return new TrainingResult(recipe.Epochs > 0 ? lastLoss : trainFigures.Loss, trainFigures.Accuracy,
            Evaluate(test).Accuracy, history, reduceSeconds, steps);
    }

    // Mean loss (with the penalty) and accuracy over the epoch's batches, measured on the scores each step saw.
    private (double Loss, double Accuracy) TrainEpoch(DataLoader loader, Optimizer optimizer, List<Tensor> weights,
        DistributedDataParallel? parallel, int epoch)
    {
        model.Train();
        double[] sums = [0, 0, 0];   // loss times rows, correct rows, rows
        foreach (var (features, labels) in loader)
        {
            using var step = new TensorScope();  // the step's tensors hand their memory to the next step
            optimizer.ZeroGrad(setToNone: false);
            int n = labels.Numel;
            if (n > 0)   // a rank's share of a ragged last batch may be empty; it still joins the reduction
            {
                var scores = model.Forward(recipe.Input(features));
                var loss = recipe.DataLoss(scores, labels) + Penalty(weights);
                try { loss.Backward(); }
                catch (InvalidOperationException e)
                    when (Autograd.IsAnomalyEnabled && e.Message.StartsWith("Anomaly: "))
                {
                    // the engine's message goes on with the op's creation trace: the first line names the op
                    string op = e.Message["Anomaly: ".Length..].Split('\n')[0].Trim();
                    throw TrainingDivergedException.Gradient(epoch, op);
                }
                sums[0] += loss.Item() * n;
                sums[1] += Correct(scores, labels);
                sums[2] += n;
            }
            parallel?.ReduceGradients(n);
            optimizer.Step();
        }
        world.AllReduce(sums.AsSpan());
        return (sums[0] / sums[2], sums[1] / sums[2]);
    }

    // The course's L2 regularization on weights only: 0.5·reg·Σ W², whose gradient is reg·W.
    private Tensor Penalty(List<Tensor> weights)
    {
        Tensor? sum = null;
        foreach (var w in weights) sum = sum is null ? (w * w).Sum() : sum + (w * w).Sum();
        return sum! * (0.5 * recipe.Regularization);
    }

    /// <summary>
    /// Loss (data loss plus penalty) and accuracy of the model in evaluation mode on a whole set. On several ranks each
    /// scores rows r, r + ranks, ... and the shares' figures, weighted by their rows, are summed over the ranks.
    /// </summary>
    public (double Loss, double Accuracy) Evaluate(Dataset data)
    {
        model.Eval();
        using var _ = Autograd.NoGrad();
        var share = world.Size == 1 ? data
            : data.Subset(Enumerable.Range(0, data.Count).Where(i => i % world.Size == world.Rank).ToArray());
        double[] sums = [0, 0];   // the share's loss times its fraction of the rows, its correct rows
        if (share.Count > 0)
        {
            var (features, labels) = share.ToTensors();
            var scores = model.Forward(recipe.Input(features));
            var weights = model.Parameters().Where(p => p.NDim >= 2).ToList();
            double loss = (recipe.DataLoss(scores, labels) + Penalty(weights)).Item();
            sums[0] = loss * ((double)share.Count / data.Count);
            sums[1] = Correct(scores, labels);
        }
        world.AllReduce(sums.AsSpan());
        return (sums[0], sums[1] / data.Count);
    }

    private static int Correct(Tensor scores, Tensor labels)
    {
        var predicted = scores.Detach().ArgMax(1).ToArray<long>();
        var truth = labels.ToArray<long>();
        int correct = 0;
        for (int i = 0; i < truth.Length; i++) if (predicted[i] == truth[i]) correct++;
        return correct;
    }

    /// <summary>The predicted class of each row of <paramref name="features"/> [n, FeatureCount].</summary>
    public long[] Predict(float[] features, int rows)
    {
        model.Eval();
        using var _ = Autograd.NoGrad();
        var x = Tensor.FromArray(features, [rows, features.Length / rows]);
        return model.Forward(recipe.Input(x)).ArgMax(1).ToArray<long>();
    }
}
