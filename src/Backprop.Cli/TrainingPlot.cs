using System.Globalization;
using System.Text;
using Backprop.Data;

namespace Backprop.Cli;

/// <summary>
/// The SVG of <c>train --plot</c>: loss and accuracy curves side by side and, for 2-D data sets, the decision
/// regions of the trained model under the training points, as the course draws the spiral classifier. Written as
/// plain SVG text, so the tool ships no native drawing library.
/// </summary>
internal static class TrainingPlot
{
    private const int PanelWidth = 420, PanelHeight = 360, GridSize = 120;

    // class colours: region fill and point colour share the hue (blue, red, yellow, then more)
    private static readonly string[] ClassColors = ["#1f77b4", "#d62728", "#e6b800", "#2ca02c", "#9467bd"];

    /// <summary>The colour of class <paramref name="c"/>, for regions and points alike.</summary>
    public static string ClassColor(int c) => ClassColors[c % ClassColors.Length];

    public static string Render(TrainingRecipe recipe, TrainingResult result, Dataset train, Trainer trainer)
    {
        var epochs = result.History.Select(r => (double)r.Epoch).ToArray();
        var panels = new List<Action<SvgPanel>>
        {
            p => LossPanel(p, epochs, result),
            p => AccuracyPanel(p, epochs, result),
        };
        if (train.FeatureCount == 2) panels.Add(p => DecisionPanel(p, recipe, train, trainer));
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{PanelWidth * panels.Count}\" "))
            .Append(Invariant($"height=\"{PanelHeight}\" font-family=\"sans-serif\" font-size=\"12\">\n"))
            .Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        for (int i = 0; i < panels.Count; i++)
            panels[i](new SvgPanel(svg, i * PanelWidth, PanelWidth, PanelHeight));
        return svg.Append("</svg>\n").ToString();
    }

    private static void LossPanel(SvgPanel panel, double[] epochs, TrainingResult result)
    {
        var loss = result.History.Select(r => r.Loss).ToArray();
        panel.Frame("Loss", "epoch", "loss (with L2 penalty)", Range(epochs), Range(loss));
        panel.Line(epochs, loss, "#1f77b4", "training loss");
        panel.Legend([("training loss", "#1f77b4")], top: true);
    }

    private static void AccuracyPanel(SvgPanel panel, double[] epochs, TrainingResult result)
    {
        panel.Frame("Accuracy", "epoch", "accuracy (%)", Range(epochs), (0, 101));
        var trainAccuracy = result.History.Select(r => 100 * r.TrainAccuracy).ToArray();
        // the test accuracy is measured only at the curve's points, where the record has it
        var measured = result.History.Where(r => !double.IsNaN(r.TestAccuracy)).ToArray();
        panel.Line(epochs, trainAccuracy, "#1f77b4", "train");
        var testEpochs = measured.Select(r => (double)r.Epoch).ToArray();
        panel.Line(testEpochs, measured.Select(r => 100 * r.TestAccuracy).ToArray(), "#ff7f0e", "test");
        panel.Legend([("train", "#1f77b4"), ("test", "#ff7f0e")], top: false);
    }

    private static void DecisionPanel(SvgPanel panel, TrainingRecipe recipe, Dataset train, Trainer trainer)
    {
        var xs = Enumerable.Range(0, train.Count).Select(i => (double)train.Features[2 * i]).ToArray();
        var ys = Enumerable.Range(0, train.Count).Select(i => (double)train.Features[2 * i + 1]).ToArray();
        (double Min, double Max) xRange = (xs.Min() - 0.3, xs.Max() + 0.3), yRange = (ys.Min() - 0.3, ys.Max() + 0.3);
        panel.Frame($"Decision regions ({recipe.Model})", "x₁", "x₂", xRange, yRange);

        // classify the centre of every grid cell, row 0 at the top
        var grid = new float[GridSize * GridSize * 2];
        double cellWidth = (xRange.Max - xRange.Min) / GridSize, cellHeight = (yRange.Max - yRange.Min) / GridSize;
        for (int row = 0; row < GridSize; row++)
            for (int col = 0; col < GridSize; col++)
            {
                int k = 2 * (row * GridSize + col);
                grid[k] = (float)(xRange.Min + (col + 0.5) * cellWidth);
                grid[k + 1] = (float)(yRange.Max - (row + 0.5) * cellHeight);
            }
        var predicted = trainer.Predict(grid, GridSize * GridSize);
        for (int row = 0; row < GridSize; row++)
            for (int col = 0; col < GridSize;)
            {
                // one rectangle per run of equal predictions along the row keeps the file small
                int end = col + 1;
                long c = predicted[row * GridSize + col];
                while (end < GridSize && predicted[row * GridSize + end] == c) end++;
                double top = yRange.Max - row * cellHeight;
                double left = xRange.Min + col * cellWidth;
                panel.Region(left, top, (end - col) * cellWidth, cellHeight, ClassColor((int)c));
                col = end;
            }
        for (int i = 0; i < train.Count; i++) panel.Point(xs[i], ys[i], ClassColor((int)train.Labels[i]));
    }

    private static (double, double) Range(double[] values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0) return (0, 1);
        double min = finite.Min(), max = finite.Max();
        return min == max ? (min - 0.5, max + 0.5) : (min, max);
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// One chart of <see cref="TrainingPlot"/>: a plot area with axes, ticks and labels in data coordinates, written into
/// the shared SVG at a horizontal offset.
/// </summary>
internal sealed class SvgPanel(StringBuilder svg, double left, double width, double height)
{
    private const double MarginLeft = 58, MarginRight = 14, MarginTop = 30, MarginBottom = 42;
    private (double Min, double Max) _x, _y;

    private double AreaLeft => left + MarginLeft;
    private double AreaRight => left + width - MarginRight;
    private double AreaTop => MarginTop;
    private double AreaBottom => height - MarginBottom;

    /// <summary>The SVG x of data value <paramref name="x"/>.</summary>
    public double X(double x) => AreaLeft + (x - _x.Min) / (_x.Max - _x.Min) * (AreaRight - AreaLeft);

    /// <summary>The SVG y of data value <paramref name="y"/> (up is larger).</summary>
    public double Y(double y) => AreaBottom - (y - _y.Min) / (_y.Max - _y.Min) * (AreaBottom - AreaTop);

    /// <summary>Title, axis labels, the frame and round-number ticks for data in the given ranges.</summary>
    public void Frame(string title, string xLabel, string yLabel, (double, double) x, (double, double) y)
    {
        _x = x;
        _y = y;
        Text(left + width / 2, 18, title, "middle", "font-size=\"14\" font-weight=\"bold\"");
        Text((AreaLeft + AreaRight) / 2, height - 8, xLabel, "middle", "");
        double midY = (AreaTop + AreaBottom) / 2;
        Text(left + 14, midY, yLabel, "middle", $"transform=\"rotate(-90 {F(left + 14)} {F(midY)})\"");
        foreach (double t in Ticks(x))
        {
            svg.Append($"<line x1=\"{F(X(t))}\" y1=\"{F(AreaBottom)}\" x2=\"{F(X(t))}\" y2=\"{F(AreaBottom + 4)}\" ")
                .Append("stroke=\"#444\"/>\n");
            Text(X(t), AreaBottom + 16, Label(t), "middle", "");
        }
        foreach (double t in Ticks(y))
        {
            svg.Append($"<line x1=\"{F(AreaLeft - 4)}\" y1=\"{F(Y(t))}\" x2=\"{F(AreaRight)}\" y2=\"{F(Y(t))}\" ")
                .Append("stroke=\"#ddd\"/>\n");
            Text(AreaLeft - 6, Y(t) + 4, Label(t), "end", "");
        }
        svg.Append($"<rect x=\"{F(AreaLeft)}\" y=\"{F(AreaTop)}\" width=\"{F(AreaRight - AreaLeft)}\" ")
            .Append($"height=\"{F(AreaBottom - AreaTop)}\" fill=\"none\" stroke=\"#444\"/>\n");
    }

    /// <summary>A polyline through the finite points of a series.</summary>
    public void Line(double[] xs, double[] ys, string color, string name)
    {
        var points = xs.Zip(ys).Where(p => double.IsFinite(p.Second)).Select(p => $"{F(X(p.First))},{F(Y(p.Second))}");
        svg.Append($"<polyline class=\"series\" data-name=\"{name}\" points=\"{string.Join(' ', points)}\" ")
            .Append($"fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>\n");
    }

    /// <summary>A translucent rectangle from (<paramref name="x"/>, <paramref name="top"/>), in data units.</summary>
    public void Region(double x, double top, double w, double h, string color)
    {
        double sx = X(x), sy = Y(top), sw = X(x + w) - sx, sh = Y(top - h) - sy;
        svg.Append($"<rect class=\"region\" x=\"{F(sx)}\" y=\"{F(sy)}\" width=\"{F(sw)}\" height=\"{F(sh)}\" ")
            .Append($"fill=\"{color}\" fill-opacity=\"0.35\" shape-rendering=\"crispEdges\"/>\n");
    }

    /// <summary>A data point.</summary>
    public void Point(double x, double y, string color) =>
        svg.Append($"<circle class=\"point\" cx=\"{F(X(x))}\" cy=\"{F(Y(y))}\" r=\"3\" fill=\"{color}\" ")
            .Append("stroke=\"white\" stroke-width=\"0.5\"/>\n");

    /// <summary>A legend in the plot area's top-right or bottom-right corner.</summary>
    public void Legend((string Name, string Color)[] entries, bool top)
    {
        double y = top ? AreaTop + 16 : AreaBottom - 8 - 16 * (entries.Length - 1);
        foreach (var (name, color) in entries)
        {
            double x = AreaRight - 12 - 7 * name.Length;
            svg.Append($"<line x1=\"{F(x - 24)}\" y1=\"{F(y - 4)}\" x2=\"{F(x - 6)}\" y2=\"{F(y - 4)}\" ")
                .Append($"stroke=\"{color}\" stroke-width=\"2\"/>\n");
            Text(x, y, name, "start", "");
            y += 16;
        }
    }

    private void Text(double x, double y, string text, string anchor, string extra) =>
        svg.Append($"<text x=\"{F(x)}\" y=\"{F(y)}\" text-anchor=\"{anchor}\"{(extra.Length > 0 ? " " : "")}{extra}>")
            .Append(System.Security.SecurityElement.Escape(text)).Append("</text>\n");

    // round-number ticks: a step of 1, 2 or 5 times a power of ten giving four to ten ticks
    private static IEnumerable<double> Ticks((double Min, double Max) range)
    {
        double span = range.Max - range.Min, step = Math.Pow(10, Math.Floor(Math.Log10(span / 5)));
        if (span / step > 20) step *= 5;
        else if (span / step > 10) step *= 2;
        for (double t = Math.Ceiling(range.Min / step) * step; t <= range.Max + step * 1e-9; t += step)
            yield return Math.Abs(t) < step * 1e-9 ? 0 : t;
    }

    private static string Label(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static string F(double v) => Math.Round(v, 1).ToString("0.#", CultureInfo.InvariantCulture);
}
