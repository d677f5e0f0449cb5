using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Backprop.Distributed;
using Backprop.IO;
using Backprop.Nn;

namespace Backprop.Cli;

/// <summary>
/// <c>backprop train &lt;spiral|moons|circles|digits|names&gt; [--model NAME] [--epochs N] [--lr X] [--batch-size N]
/// [--seed S] [--json] [--save FILE] [--load FILE] [--plot FILE] [--ranks N] [--examples N]</c>: trains a classifier
/// and reports its loss and accuracies, or, on names, a character-level language model that then samples names.
/// Under an MPI launcher each rank trains a classifier on its share of every batch (data-parallel); rank 0 alone
/// prints, plots and saves, and an error on any rank stops them all.
/// </summary>
public static class TrainCommand
{
    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(Options options, TextWriter stdout, TextWriter stderr)
    {
        if (options.Positionals.Count != 1)
            throw new UsageException($"train needs one data set ({string.Join(", ", TrainingRecipe.DatasetNames)}), " +
                "as in: backprop train spiral --model mlp");
        var recipe = ParseRecipe(options);
        bool json = options.Has("--json");
        int ranks = ParseInt(options, "--ranks", 1, min: 1);
        Files.CheckInput("--load", options.Get("--load"));
        Files.CheckOutput("--save", options.Get("--save"));
        if (recipe.IsText)
        {
            if (ranks > 1 || Communicator.IsLaunched)
                throw new UsageException("names trains in one process; --ranks and mpirun train the classifiers");
            return RunLanguageModel(recipe, options, json, stdout, stderr);
        }
        if (options.Get("--plot") is { } plotPath && !plotPath.EndsWith(".svg", StringComparison.OrdinalIgnoreCase))
            throw new UsageException(plotPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase)
                ? $"--plot: '{plotPath}': the plot is drawn as SVG (the tool ships no native image library); " +
                  "name a .svg file"
                : $"--plot: '{plotPath}' must name a .svg file");
        Files.CheckOutput("--plot", options.Get("--plot"));
        if (options.Get("--examples") is not null)
            throw new UsageException(
                "--examples limits a text data set (names); the others train on all their examples");
        if (ranks > 1 && !Communicator.IsLaunched)
            return MpiLauncher.Run(ranks, "train", options.Given, stdout, stderr);

        using var world = Communicator.FromEnvironment();
        if (options.Get("--ranks") is not null && ranks != world.Size)
            throw new UsageException($"--ranks {ranks}: the launcher started {world.Size} ranks");
        if (world.Size == 1) return Train(options, recipe, json, world, stdout, stderr);
        try
        {
            bool speaks = world.Rank == 0;
            return Train(options, recipe, json, world, speaks ? stdout : TextWriter.Null,
                speaks ? stderr : TextWriter.Null);
        }
        catch (Exception e)
        {
            world.Abort($"backprop: error on rank {world.Rank} of {world.Size}: {e.Message}");
            throw;   // not reached: Abort ends the process
        }
    }

    private static int Train(Options options, TrainingRecipe recipe, bool json, Communicator world, TextWriter stdout,
        TextWriter stderr)
    {
        bool speaks = world.Rank == 0;
        var (train, test) = recipe.LoadData();
        var model = recipe.BuildModel(train.FeatureCount, train.Classes);
        if (options.Get("--load") is { } loadPath) Load(model, loadPath, recipe, stderr);

        var clock = Stopwatch.StartNew();
        var progress = new TrainingProgress(recipe.Epochs, stderr, EveryEpoch(stderr));
        var trainer = new Trainer(recipe, model, train, test, world) { EpochEnded = progress.Report };
        TrainingResult result;
        try
        {
            using var anomaly = options.Has("--detect-anomaly") ? Autograd.DetectAnomaly() : null;
            result = trainer.Run();
        }
        catch (TrainingDivergedException e)
        {
            // nothing is saved or plotted from weights that are no longer numbers
            stderr.WriteLine($"backprop: error: {e.Message}");
            return GradCommand.NotFinite;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        if (!double.IsFinite(result.FinalLoss))
        {
            // only evaluation reaches here (training stops at the first bad epoch): the loaded weights are to blame
            string loss = Format.RoundTrip(result.FinalLoss);
            stderr.WriteLine($"backprop: error: the loss is {loss} before training");
            return GradCommand.NotFinite;
        }

        if (!speaks) return 0;   // rank 0 alone saves, plots and prints
        if (options.Get("--save") is { } savePath) Save(model, savePath, recipe, stderr);
        if (options.Get("--plot") is { } plot)
            Files.Write(stderr, plot, TrainingPlot.Render(recipe, result, train, trainer));
        if (json)
        {
            var figures = new RunFigures(result.FinalLoss, result.TrainAccuracy, result.TestAccuracy, seconds,
                train.Count, test.Count);
            WriteJson(stdout, recipe, figures, model, json =>
            {
                json.WriteNumber("ranks", world.Size);
                if (world.Size == 1) return;
                json.WriteNumber("steps", result.Steps);
                json.WriteNumber("reduce_seconds", Math.Round(result.ReduceSeconds, 3));
            });
        }
        else
            stdout.WriteLine(string.Join(", ",
                FormattableString.Invariant(
                    $"{recipe.Dataset} {recipe.Model}: {recipe.Epochs} epochs in {seconds:0.00} s") +
                OnRanks(world.Size),
                FormattableString.Invariant(
                    $"{(recipe.Epochs > 0 ? "last epoch's loss" : "loss")} {result.FinalLoss:0.0000}"),
                "after training: accuracy " +
                FormattableString.Invariant(
                    $"{100 * result.TrainAccuracy:0.0}% on the {train.Count} training examples"),
                FormattableString.Invariant($"{100 * result.TestAccuracy:0.0}% on the {test.Count} test examples")));
        return 0;
    }

    // names: a character-level language model, its learning curve and names sampled from it
    private static int RunLanguageModel(TrainingRecipe recipe, Options options, bool json, TextWriter stdout,
        TextWriter stderr)
    {
        if (options.Get("--plot") is not null)
            throw new UsageException("--plot draws a classifier's decision regions; names prints its learning curve");
        int? examples = options.Get("--examples") is null ? null : ParseInt(options, "--examples", 0, min: 20);
        var training = new CharacterTraining(recipe, examples);
        var model = training.BuildModel();
        if (options.Get("--load") is { } loadPath) Load(model, loadPath, recipe, stderr);
        var clock = Stopwatch.StartNew();
        var progress = new TrainingProgress(recipe.Epochs, stderr, EveryEpoch(stderr));
        var result = training.Run(model, progress.Report);
        double seconds = clock.Elapsed.TotalSeconds;
        if (options.Get("--save") is { } savePath) Save(model, savePath, recipe, stderr);
        if (json)
        {
            WriteLanguageModelJson(stdout, recipe, result, seconds, model);
            return 0;
        }
        stdout.WriteLine(FormattableString.Invariant(
            $"names {recipe.Model}: {recipe.Epochs} epochs in {seconds:0.0} s, loss {result.FinalLoss:0.000}, ") +
            FormattableString.Invariant($"validation loss {result.ValidationLoss:0.000} ") +
            FormattableString.Invariant($"({result.TrainWords} names, {result.ValidationWords} held out)"));
        stdout.WriteLine("step  seconds  train loss  validation loss");
        foreach (var p in result.Curve)
            stdout.WriteLine(FormattableString.Invariant(
                $"{p.Step,4}  {p.Seconds,7:0.0}  {p.TrainLoss,10:0.000}  {p.ValidationLoss,15:0.000}"));
        stdout.WriteLine("samples: " + string.Join(" ", result.Samples));
        return 0;
    }

    private static string OnRanks(int ranks) => ranks == 1 ? "" : $" on {ranks} ranks";

    // a line per epoch for a person watching; a launched rank's output is relayed by the launcher, as to a log
    private static bool EveryEpoch(TextWriter stderr) =>
        ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected && !Communicator.IsLaunched;

    private static TrainingRecipe ParseRecipe(Options options)
    {
        string dataset = options.Positionals[0];
        var recipe = TrainingRecipe.Defaults(dataset,
            options.Get("--model") ?? dataset switch { "digits" => "mlp", "names" => "lstm", _ => "softmax" });
        return recipe with
        {
            Epochs = ParseInt(options, "--epochs", recipe.Epochs, min: 0),
            LearningRate = ParseLearningRate(options.Get("--lr"), recipe.LearningRate),
            BatchSize = ParseInt(options, "--batch-size", recipe.BatchSize, min: 1),
            Seed = ParseInt(options, "--seed", recipe.Seed, min: 0),
        };
    }

    private static int ParseInt(Options options, string name, int fallback, int min)
    {
        if (options.Get(name) is not { } text) return fallback;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min)
            throw new UsageException($"{name}: '{text}' is not a whole number ≥ {min}");
        return value;
    }

    private static double ParseLearningRate(string? text, double fallback)
    {
        if (text is null) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double lr)
            || !double.IsFinite(lr) || lr <= 0)
            throw new UsageException($"--lr: '{text}' is not a positive number");
        return lr;
    }

    // Weights are checked whole (names, shapes, the recipe they came from) before any is copied into the model.
    private static void Load(Module model, string path, TrainingRecipe recipe, TextWriter stderr)
    {
        try
        {
            var state = SafeTensors.Load(path, out var metadata);
            foreach (var key in new[] { "dataset", "model" })
            {
                string expected = key == "dataset" ? recipe.Dataset : recipe.Model;
                if (metadata.TryGetValue(key, out var saved) && saved != expected)
                    throw new UsageException($"--load: '{path}' holds weights of a {key} '{saved}', not '{expected}'");
            }
            model.LoadStateDict(state);
            var notFinite = state.Where(p => !AllFinite(p.Value)).Select(p => p.Key).ToList();
            string more = notFinite.Count > 3 ? $" and {notFinite.Count - 3} more" : "";
            if (notFinite.Count > 0)
                stderr.WriteLine($"backprop: warning: --load: '{path}' holds NaN or infinite weights in " +
                                 $"{string.Join(", ", notFinite.Take(3))}{more}");
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"--load: '{path}': {e.Message}");
        }
    }

    private static bool AllFinite(Tensor t) => t.DType switch
    {
        DType.Float32 => t.ToArray<float>().All(float.IsFinite),
        DType.Float64 => t.ToArray<double>().All(double.IsFinite),
        _ => true,
    };

    private static void Save(Module model, string path, TrainingRecipe recipe, TextWriter stderr)
    {
        var metadata = new Dictionary<string, string>
        {
            ["dataset"] = recipe.Dataset, ["model"] = recipe.Model, ["format"] = "pt",
        };
        model.Save(path, metadata);
        Files.Announce(stderr, path);
    }

    // the language model's figures beyond a classifier's: held-out loss, learning curve and samples
    private static void WriteLanguageModelJson(TextWriter stdout, TrainingRecipe recipe, LanguageModelResult result,
        double seconds, Module model)
    {
        var figures = new RunFigures(result.FinalLoss, result.TrainAccuracy, result.ValidationAccuracy, seconds,
            result.TrainWords, result.ValidationWords);
        WriteJson(stdout, recipe, figures, model, json =>
        {
            GradCommand.WriteNumber(json, "validation_loss", result.ValidationLoss);
            json.WriteStartArray("curve");
            foreach (var p in result.Curve)
            {
                json.WriteStartObject();
                json.WriteNumber("step", p.Step);
                json.WriteNumber("seconds", Math.Round(p.Seconds, 3));
                GradCommand.WriteNumber(json, "train_loss", p.TrainLoss);
                GradCommand.WriteNumber(json, "validation_loss", p.ValidationLoss);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("samples");
            foreach (var sample in result.Samples) json.WriteStringValue(sample);
            json.WriteEndArray();
        });
    }

    /// <summary>The figures every run reports (accuracies of a language model are next-character accuracies).</summary>
    private readonly record struct RunFigures(double FinalLoss, double TrainAccuracy, double TestAccuracy,
        double Seconds, int TrainCount, int TestCount);

    private static void WriteJson(TextWriter stdout, TrainingRecipe recipe, RunFigures figures, Module model,
        Action<Utf8JsonWriter>? more = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("dataset", recipe.Dataset);
            json.WriteString("model", recipe.Model);
            json.WriteNumber("epochs", recipe.Epochs);
            GradCommand.WriteNumber(json, "final_loss", figures.FinalLoss);
            json.WriteNumber("train_accuracy", figures.TrainAccuracy);
            json.WriteNumber("test_accuracy", figures.TestAccuracy);
            json.WriteNumber("seconds", Math.Round(figures.Seconds, 3));
            json.WriteNumber("train_examples", figures.TrainCount);
            json.WriteNumber("test_examples", figures.TestCount);
            json.WriteNumber("parameters", model.Parameters().Sum(p => (long)p.Numel));
            json.WriteString("optimizer", recipe.Optimizer);
            json.WriteNumber("learning_rate", recipe.LearningRate);
            json.WriteNumber("batch_size", Math.Min(recipe.BatchSize, figures.TrainCount));
            json.WriteNumber("seed", recipe.Seed);
            more?.Invoke(json);
            json.WriteEndObject();
        }
        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
