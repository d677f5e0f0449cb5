using System.Diagnostics;
using Backprop.Data;
using Backprop.Nn;
using Backprop.Optim;

namespace Backprop.Cli;

/// <summary>One point of a language model's learning curve: after a step, the seconds so far and both losses.</summary>
internal readonly record struct CurvePoint(int Step, double Seconds, double TrainLoss, double ValidationLoss);

/// <summary>The figures of a finished language-model run.</summary>
internal sealed record LanguageModelResult(double FinalLoss, double ValidationLoss, double TrainAccuracy,
    double ValidationAccuracy, int TrainWords, int ValidationWords, IReadOnlyList<CurvePoint> Curve,
    IReadOnlyList<string> Samples);

/// <summary>
/// Trains a character-level language model on the names data set: the names are shuffled with the seed, a tenth
/// held out for validation, and the model learns to predict each next character (the mean cross-entropy over every
/// real position of a batch); after training it samples new names.
/// </summary>
internal sealed class CharacterTraining
{
    private const int CurvePoints = 20;
    private const int SampleCount = 12;

    private readonly TrainingRecipe _recipe;
    private readonly string[] _trainWords, _validationWords;

    /// <summary>Splits the names (the first <paramref name="examples"/> of them after shuffling, when given).</summary>
    public CharacterTraining(TrainingRecipe recipe, int? examples)
    {
        _recipe = recipe;
        var names = Datasets.Names();
        new Random(recipe.Seed).Shuffle(names);
        if (examples is { } n) names = names[..Math.Min(n, names.Length)];
        int held = Math.Max(1, names.Length / 10);
        (_trainWords, _validationWords) = (names[held..], names[..held]);
        Corpus = new CharacterCorpus(names);
    }

    /// <summary>The alphabet and block size of the names used.</summary>
    public CharacterCorpus Corpus { get; }

    /// <summary>The model the recipe names, sized for the corpus; weights drawn from the seed.</summary>
    public Module BuildModel()
    {
        var g = new Generator(_recipe.Seed);
        return _recipe.Model == "transformer"
            ? new CharacterTransformer(Corpus.VocabularySize, Corpus.BlockSize, _recipe.Hidden, layers: 2, g)
            : new CharacterLstm(Corpus.VocabularySize, _recipe.Hidden, layers: 1, g);
    }

    /// <summary>Trains <paramref name="model"/> for the recipe's epochs, then measures it and samples names.</summary>
    public LanguageModelResult Run(Module model, Action<EpochRecord>? epochEnded)
    {
        var (recipe, corpus, trainWords, validationWords) = (_recipe, Corpus, _trainWords, _validationWords);
        var train = corpus.Encode(trainWords);
        var validation = corpus.Encode(validationWords);
        var curve = new List<CurvePoint>();
        var clock = Stopwatch.StartNew();
        int batch = Math.Min(recipe.BatchSize, trainWords.Length);
        int stepsPerEpoch = (trainWords.Length + batch - 1) / batch, totalSteps = recipe.Epochs * stepsPerEpoch;
        int curveStride = Math.Max(1, totalSteps / CurvePoints);
        double lastLoss = double.NaN, windowLoss = 0;
        int windowSteps = 0, step = 0;
        if (recipe.Epochs > 0)
        {
            var optimizer = new AdamW(model.Parameters(), recipe.LearningRate, weightDecay: recipe.Regularization);
            var order = Enumerable.Range(0, trainWords.Length).ToArray();
            var shuffle = new Random(recipe.Seed);
            for (int epoch = 1; epoch <= recipe.Epochs; epoch++)
            {
                model.Train();
                shuffle.Shuffle(order);
                double epochLoss = 0;
                for (int start = 0; start < order.Length; start += batch)
                {
                    using var scope = new TensorScope();
                    var rows = Tensor.FromArray(order[start..Math.Min(start + batch, order.Length)]
                        .Select(i => (long)i).ToArray());
                    var loss = Loss(model, train.Inputs.IndexSelect(0, rows), train.Targets.IndexSelect(0, rows),
                        train.Counted.IndexSelect(0, rows)).Loss;
                    optimizer.ZeroGrad(setToNone: false);
                    loss.Backward();
                    optimizer.Step();
                    lastLoss = loss.Item();
                    epochLoss += lastLoss;
                    windowLoss += lastLoss;
                    windowSteps++;
                    if (++step % curveStride == 0 || step == totalSteps)
                    {
                        clock.Stop();   // the curve's seconds are training time, without its evaluations
                        curve.Add(new CurvePoint(step, clock.Elapsed.TotalSeconds, windowLoss / windowSteps,
                            Evaluate(model, validation).Loss));
                        (windowLoss, windowSteps) = (0, 0);
                        clock.Start();
                        model.Train();
                    }
                }
                epochEnded?.Invoke(new EpochRecord(epoch, epochLoss / stepsPerEpoch, double.NaN, double.NaN));
            }
        }
        var trainFigures = Evaluate(model, train);
        var validationFigures = Evaluate(model, validation);
        var draws = new Generator(recipe.Seed);
        model.Eval();
        var samples = Enumerable.Range(0, SampleCount)
            .Select(_ => corpus.Sample(model, () => Tensor.Rand([1], DType.Float64, draws).Item())).ToList();
        return new LanguageModelResult(recipe.Epochs > 0 ? lastLoss : trainFigures.Loss, validationFigures.Loss,
            trainFigures.Accuracy, validationFigures.Accuracy, trainWords.Length, validationWords.Length, curve,
            samples);
    }

    // mean cross-entropy over the counted positions, and how many of them the argmax predicts
    private static (Tensor Loss, Tensor Logits) Loss(Module model, Tensor inputs, Tensor targets, Tensor counted)
    {
        var logits = model.Forward(inputs);
        int vocabulary = logits.Shape[^1];
        var perPosition = F.CrossEntropy(logits.Reshape(-1, vocabulary), targets.Reshape(-1), "none");
        var weights = counted.Reshape(-1).To(perPosition.DType);
        return ((perPosition * weights).Sum() / weights.Sum(), logits);
    }

    /// <summary>Mean next-character loss and accuracy of the model over a whole encoded set, in eval mode.</summary>
    private static (double Loss, double Accuracy) Evaluate(Module model,
        (Tensor Inputs, Tensor Targets, Tensor Counted) set)
    {
        model.Eval();
        using var _ = Autograd.NoGrad();
        var (loss, logits) = Loss(model, set.Inputs, set.Targets, set.Counted);
        var hits = logits.ArgMax(-1).Eq(set.Targets).LogicalAnd(set.Counted).To(DType.Float64).Sum().Item();
        return (loss.Item(), hits / set.Counted.To(DType.Float64).Sum().Item());
    }
}
