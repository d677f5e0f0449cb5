using Backprop.Data;
using ScottPlot;

namespace Backprop.Cli;

/// <summary>
/// The PNG of <c>train --plot</c>: loss and accuracy curves side by side and, for 2-D data sets, the decision
/// regions of the trained model under the training points, as the course draws the spiral classifier.
/// </summary>
internal static class TrainingPlot
{
    private const int PanelWidth = 520, Height = 440, GridSize = 200;

    // Class colours: region fill and point colour share the hue (blue, red, yellow, then more).
    private static readonly Color[] ClassColors =
        [Color.FromHex("#1f77b4"), Color.FromHex("#d62728"), Color.FromHex("#e6b800"), Color.FromHex("#2ca02c"), Color.FromHex("#9467bd")];

    public static byte[] Render(TrainingRecipe recipe, TrainingResult result, Dataset train, Trainer trainer)
    {
        var multiplot = new Multiplot { Layout = new ScottPlot.MultiplotLayouts.Columns() };
        multiplot.AddPlot(LossPlot(result));
        multiplot.AddPlot(AccuracyPlot(result));
        if (train.FeatureCount == 2) multiplot.AddPlot(DecisionPlot(recipe, train, trainer));
        multiplot.RemovePlot(multiplot.GetPlot(0));  // a new Multiplot starts with one empty plot
        using var image = multiplot.Render(PanelWidth * multiplot.Count(), Height);
        return image.GetImageBytes(ImageFormat.Png, 100);
    }

    private static double[] Epochs(TrainingResult result) => result.History.Select(r => (double)r.Epoch).ToArray();

    private static Plot LossPlot(TrainingResult result)
    {
        var plot = new Plot();
        var line = plot.Add.ScatterLine(Epochs(result), result.History.Select(r => r.Loss).ToArray());
        line.LegendText = "training loss";
        plot.ShowLegend(Alignment.UpperRight);  // the curve ends low on the right
        plot.Title("Loss");
        plot.XLabel("epoch");
        plot.YLabel("loss (with L2 penalty)");
        return plot;
    }

    private static Plot AccuracyPlot(TrainingResult result)
    {
        var plot = new Plot();
        var trainLine = plot.Add.ScatterLine(Epochs(result), result.History.Select(r => 100 * r.TrainAccuracy).ToArray());
        trainLine.LegendText = "train";
        var testLine = plot.Add.ScatterLine(Epochs(result), result.History.Select(r => 100 * r.TestAccuracy).ToArray());
        testLine.LegendText = "test";
        plot.Axes.SetLimitsY(0, 101);
        plot.ShowLegend(Alignment.LowerRight);
        plot.Title("Accuracy");
        plot.XLabel("epoch");
        plot.YLabel("accuracy (%)");
        return plot;
    }

    private static Plot DecisionPlot(TrainingRecipe recipe, Dataset train, Trainer trainer)
    {
        var xs = Enumerable.Range(0, train.Count).Select(i => (double)train.Features[2 * i]).ToArray();
        var ys = Enumerable.Range(0, train.Count).Select(i => (double)train.Features[2 * i + 1]).ToArray();
        double xMin = xs.Min() - 0.3, xMax = xs.Max() + 0.3, yMin = ys.Min() - 0.3, yMax = ys.Max() + 0.3;

        // classify the centre of every grid cell; heatmap row 0 is drawn at the top, so rows run from yMax down
        var grid = new float[GridSize * GridSize * 2];
        for (int row = 0; row < GridSize; row++)
            for (int col = 0; col < GridSize; col++)
            {
                int k = 2 * (row * GridSize + col);
                grid[k] = (float)(xMin + (col + 0.5) * (xMax - xMin) / GridSize);
                grid[k + 1] = (float)(yMax - (row + 0.5) * (yMax - yMin) / GridSize);
            }
        var predicted = trainer.Predict(grid, GridSize * GridSize);
        var classes = new double[GridSize, GridSize];
        for (int row = 0; row < GridSize; row++)
            for (int col = 0; col < GridSize; col++) classes[row, col] = predicted[row * GridSize + col];

        var plot = new Plot();
        var regions = plot.Add.Heatmap(classes);
        regions.Extent = new CoordinateRect(xMin, xMax, yMin, yMax);
        regions.Colormap = new ClassColormap(train.Classes);
        regions.ManualRange = new ScottPlot.Range(0, train.Classes - 1);
        regions.Opacity = 0.35;
        for (int c = 0; c < train.Classes; c++)
        {
            var members = Enumerable.Range(0, train.Count).Where(i => train.Labels[i] == c).ToArray();
            var points = plot.Add.ScatterPoints(members.Select(i => xs[i]).ToArray(), members.Select(i => ys[i]).ToArray(), ClassColor(c));
            points.MarkerSize = 6;
            points.LegendText = $"class {c}";
        }
        plot.Axes.SetLimits(xMin, xMax, yMin, yMax);
        plot.Title($"Decision regions ({recipe.Model})");
        return plot;
    }

    private static Color ClassColor(int c) => ClassColors[c % ClassColors.Length];

    /// <summary>Maps a class index, scaled to [0, 1] over the classes, to that class's colour.</summary>
    private sealed class ClassColormap(int classes) : IColormap
    {
        public string Name => "classes";

        public Color GetColor(double position) =>
            ClassColor((int)Math.Round(Math.Clamp(position, 0, 1) * Math.Max(classes - 1, 1)));
    }
}
