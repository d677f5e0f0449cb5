using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Backprop.IO;
using Backprop.Nn;

namespace Backprop.Cli;

/// <summary>
/// <c>backprop train &lt;spiral|moons|circles|digits&gt; [--model NAME] [--epochs N] [--lr X] [--batch-size N] [--seed S]
/// [--json] [--save FILE] [--load FILE] [--plot FILE]</c>: trains a classifier and reports its loss and accuracies.
/// </summary>
public static class TrainCommand
{
    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var options = Options.Parse("train", args,
            ["--model", "--epochs", "--lr", "--batch-size", "--seed", "--save", "--load", "--plot"],
            ["--json", "--detect-anomaly"]);
        if (options.Positionals.Count != 1)
            throw new UsageException($"train needs one data set ({string.Join(", ", TrainingRecipe.DatasetNames)}), as in: backprop train spiral --model mlp");
        var recipe = ParseRecipe(options);
        bool json = options.Has("--json");
        if (options.Get("--plot") is { } plotPath && !plotPath.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--plot: '{plotPath}' must name a .png file");
        Files.CheckInput("--load", options.Get("--load"));
        Files.CheckOutput("--save", options.Get("--save"));
        Files.CheckOutput("--plot", options.Get("--plot"));

        var (train, test) = recipe.LoadData();
        var model = recipe.BuildModel(train.FeatureCount, train.Classes);
        if (options.Get("--load") is { } loadPath) Load(model, loadPath, recipe, stderr);

        var clock = Stopwatch.StartNew();
        var progress = new TrainingProgress(recipe.Epochs, json ? null : stdout, Interactive(stdout));
        var trainer = new Trainer(recipe, model, train, test) { EpochEnded = progress.Report };
        TrainingResult result;
        try
        {
            using var anomaly = options.Has("--detect-anomaly") ? Autograd.DetectAnomaly() : null;
            result = trainer.Run();
        }
        catch (TrainingDivergedException e)
        {
            // nothing is saved or plotted from weights that are no longer numbers
            progress.Finish();
            stderr.WriteLine($"backprop: error: {e.Message}");
            return GradCommand.NotFinite;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        progress.Finish();
        if (!double.IsFinite(result.FinalLoss))
        {
            // only evaluation reaches here (training stops at the first bad epoch): the loaded weights are to blame
            string loss = Format.RoundTrip(result.FinalLoss);
            stderr.WriteLine($"backprop: error: the loss is {loss} before training");
            return GradCommand.NotFinite;
        }

        if (options.Get("--save") is { } savePath) Save(model, savePath, recipe);
        if (options.Get("--plot") is { } plot)
            Files.WriteAtomically(plot, TrainingPlot.Render(recipe, result, train, trainer));
        if (json) WriteJson(stdout, recipe, result, seconds, train.Count, test.Count, model);
        else
            stdout.WriteLine(FormattableString.Invariant(
                $"{recipe.Dataset} {recipe.Model}: {recipe.Epochs} epochs in {seconds:0.00} s, loss {result.FinalLoss:0.0000}, train accuracy {100 * result.TrainAccuracy:0.0}% ({train.Count}), test accuracy {100 * result.TestAccuracy:0.0}% ({test.Count})"));
        return 0;
    }

    private static bool Interactive(TextWriter stdout) => ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected;

    private static TrainingRecipe ParseRecipe(Options options)
    {
        var recipe = TrainingRecipe.Defaults(options.Positionals[0], options.Get("--model") ?? (options.Positionals[0] == "digits" ? "mlp" : "softmax"));
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
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double lr) || !double.IsFinite(lr) || lr <= 0)
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

    private static void Save(Module model, string path, TrainingRecipe recipe) =>
        model.Save(path, new Dictionary<string, string> { ["dataset"] = recipe.Dataset, ["model"] = recipe.Model, ["format"] = "pt" });

    private static void WriteJson(TextWriter stdout, TrainingRecipe recipe, TrainingResult result, double seconds, int trainCount, int testCount, Module model)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("dataset", recipe.Dataset);
            json.WriteString("model", recipe.Model);
            json.WriteNumber("epochs", recipe.Epochs);
            GradCommand.WriteNumber(json, "final_loss", result.FinalLoss);
            json.WriteNumber("train_accuracy", result.TrainAccuracy);
            json.WriteNumber("test_accuracy", result.TestAccuracy);
            json.WriteNumber("seconds", Math.Round(seconds, 3));
            json.WriteNumber("train_examples", trainCount);
            json.WriteNumber("test_examples", testCount);
            json.WriteNumber("parameters", model.Parameters().Sum(p => (long)p.Numel));
            json.WriteString("optimizer", recipe.Optimizer);
            json.WriteNumber("learning_rate", recipe.LearningRate);
            json.WriteNumber("batch_size", Math.Min(recipe.BatchSize, trainCount));
            json.WriteNumber("seed", recipe.Seed);
            json.WriteEndObject();
        }
        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
