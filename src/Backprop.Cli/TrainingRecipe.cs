using Backprop.Data;
using Backprop.Nn;

namespace Backprop.Cli;

/// <summary>What one <c>backprop train</c> run does: data set, model, optimizer and its settings.</summary>
internal sealed record TrainingRecipe(string Dataset, string Model, string Optimizer, int Epochs, double LearningRate,
    int BatchSize, double Regularization, int Hidden, int Seed)
{
    public static readonly string[] DatasetNames = ["spiral", "moons", "circles", "digits", "names"];
    public static readonly string[] ModelNames = ["softmax", "svm", "mlp", "convnet", "lstm", "transformer"];
    private static readonly string[] SequenceModels = ["lstm", "transformer"];

    /// <summary>Whether the data set is text, trained as a character-level language model.</summary>
    public bool IsText => Dataset == "names";

    /// <summary>
    /// Defaults that train each pair well. The 2-D sets follow the course: full-batch SGD with lr 1 and an L2
    /// penalty 0.5·reg·ΣW² of reg 1e-3, 100 hidden ReLU units; digits trains with Adam on mini-batches.
    /// </summary>
    public static TrainingRecipe Defaults(string dataset, string model)
    {
        if (!DatasetNames.Contains(dataset))
            throw new UsageException($"unknown data set '{dataset}' (known: {string.Join(", ", DatasetNames)})");
        if (!ModelNames.Contains(model))
            throw new UsageException($"unknown model '{model}' (known: {string.Join(", ", ModelNames)})");
        if (model == "convnet" && dataset != "digits")
            throw new UsageException($"the convnet model needs images; it trains on digits, not '{dataset}'");
        if (dataset == "names" != SequenceModels.Contains(model))
            throw new UsageException(dataset == "names"
                ? $"names trains a character-level language model: --model lstm or transformer, not '{model}'"
                : $"the {model} model reads text; it trains on names, not '{dataset}'");
        // language models: AdamW (weight decay 0.01) on batches of 64 names; Hidden is the LSTM's state or d_model
        if (dataset == "names")
            return model == "lstm"
                ? new(dataset, model, "adamw", 3, 1e-2, 64, 1e-2, 128, 0)
                : new(dataset, model, "adamw", 3, 3e-3, 64, 1e-2, 64, 0);
        if (dataset == "digits")
            return model switch
            {
                "convnet" => new(dataset, model, "adam", 20, 1e-3, 32, 1e-4, 0, 0),
                "mlp" => new(dataset, model, "adam", 20, 1e-3, 32, 1e-4, 128, 0),
                _ => new(dataset, model, "adam", 30, 1e-2, 64, 1e-4, 0, 0),
            };
        int epochs = model == "mlp" ? (dataset == "spiral" ? 3000 : 1000) : 200;
        return new(dataset, model, "sgd", epochs, 1, int.MaxValue, 1e-3, 100, 0);
    }

    /// <summary>
    /// The training and held-out sets. A synthetic set trains on all its points, as the course trains on the whole
    /// spiral, and is tested on a fresh draw from the same generator with another seed; digits is split 80/20 with the
    /// seed and standardized with the training set's statistics.
    /// </summary>
    public (Dataset Train, Dataset Test) LoadData()
    {
        if (Dataset == "digits")
        {
            var (train, test) = Datasets.Digits().Split(0.2, Seed);
            return DatasetTensors.StandardizeWithTraining(train, test);
        }
        // the 2-D sets are used raw, as the course uses the spiral
        return (Synthetic(Seed), Synthetic(Seed + HeldOutSeedOffset));
    }

    // far from any seed a user types, so the held-out draw never repeats a training draw
    private const int HeldOutSeedOffset = 1_000_003;

    private Dataset Synthetic(int seed) => Dataset switch
    {
        "spiral" => Datasets.Spiral(seed: seed),
        "moons" => Datasets.Moons(seed: seed),
        _ => Datasets.Circles(seed: seed),
    };

    /// <summary>The network, its weights drawn from a generator seeded with <see cref="Seed"/>.</summary>
    public Module BuildModel(int features, int classes)
    {
        var g = new Generator(Seed);
        return Model switch
        {
            "mlp" => new Sequential(new Linear(features, Hidden, generator: g), new ReLU(),
                new Linear(Hidden, classes, generator: g)),
            "convnet" => new Sequential(
                new Conv2d(1, 16, 3, padding: 1, generator: g), new ReLU(), new MaxPool2d(2),
                new Conv2d(16, 32, 3, padding: 1, generator: g), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(32 * 2 * 2, classes, generator: g)),
            _ => new Sequential(new Linear(features, classes, generator: g)),
        };
    }

    /// <summary>The model's input for a batch of feature rows: 8×8 one-channel images for the convnet.</summary>
    public Tensor Input(Tensor features) => Model == "convnet" ? features.Reshape(-1, 1, 8, 8) : features;

    /// <summary>The data loss of the scores: the multiclass SVM hinge for svm, softmax cross-entropy
    /// otherwise.</summary>
    public Tensor DataLoss(Tensor scores, Tensor labels) =>
        Model == "svm" ? F.MultiMarginLoss(scores, labels) : F.CrossEntropy(scores, labels);
}
