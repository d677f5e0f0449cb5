using System.Text.Json;
using System.Text.Json.Serialization;

namespace Backprop.Bench;

/// <summary>One workload measured by Backprop and by a baseline: the two medians and their ratio.</summary>
public sealed record Pair(string Workload, string Metric, string Unit, double Backprop, string Baseline, double BaselineMedian,
    double Ratio, int Rounds, string? Target);

/// <summary>
/// Merges rows from several runs (files written with <c>--json</c> by this program and by the TorchSharp baseline),
/// pairs Backprop's rows with the baseline's by workload and metric, and prints them side by side.
/// With several rounds per implementation, each figure is the median of the rounds' medians.
/// </summary>
public static class Comparison
{
    /// <summary>Reads the row files, prints the side-by-side table and writes <c>{"rows", "comparison"}</c> to <paramref name="outputPath"/>.</summary>
    public static void Run(string outputPath, IReadOnlyList<string> rowFiles)
    {
        var rows = rowFiles.SelectMany(f => JsonSerializer.Deserialize<List<Row>>(File.ReadAllText(f)) ?? []).ToList();
        var pairs = Pairs(rows);
        Print(pairs);
        File.WriteAllText(outputPath, JsonSerializer.Serialize(new { rows, comparison = pairs }, new JsonSerializerOptions { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals }));
    }

    /// <summary>Backprop against every other implementation that measured the same workload and metric.</summary>
    public static List<Pair> Pairs(IEnumerable<Row> rows)
    {
        var pairs = new List<Pair>();
        foreach (var group in rows.GroupBy(r => (r.Workload, r.Metric)))
        {
            var ours = group.Where(r => r.Implementation == "Backprop").ToList();
            if (ours.Count == 0) continue;
            double backprop = Median(ours.Select(r => r.Median));
            // a row only Backprop measures (a variant of its own) is listed with no baseline
            if (group.All(r => r.Implementation == "Backprop"))
                pairs.Add(new Pair(group.Key.Workload, group.Key.Metric, ours[0].Unit, backprop, "none", double.NaN, double.NaN, ours.Count, ours[0].Target));
            foreach (var theirs in group.Where(r => r.Implementation != "Backprop").GroupBy(r => r.Implementation))
            {
                double baseline = Median(theirs.Select(r => r.Median));
                pairs.Add(new Pair(group.Key.Workload, group.Key.Metric, ours[0].Unit, backprop, theirs.Key, baseline,
                    backprop / baseline, Math.Min(ours.Count, theirs.Count()), ours[0].Target));
            }
        }
        return pairs;
    }

    /// <summary>The table: one line per pair.</summary>
    public static void Print(IEnumerable<Pair> pairs)
    {
        Console.WriteLine($"  {"workload",-30} {"metric",-20} {"unit",-9} {"Backprop",10} {"baseline",-11} {"median",10} {"ratio",7} {"rounds",6}  target");
        foreach (var p in pairs)
        {
            bool alone = double.IsNaN(p.BaselineMedian);
            string theirs = alone ? "-" : p.BaselineMedian.ToString("F1"), ratio = alone ? "-" : p.Ratio.ToString("F2");
            Console.WriteLine($"  {p.Workload,-30} {p.Metric,-20} {p.Unit,-9} {p.Backprop,10:F1} {p.Baseline,-11} {theirs,10} {ratio,7} {p.Rounds,6}  {p.Target}");
        }
        Console.WriteLine("  ratio = Backprop / baseline: above 1 is faster for rates (GFLOP/s), slower for times.");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
