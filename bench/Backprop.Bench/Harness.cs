using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Backprop.Bench;

/// <summary>A benchmark workload: discovered by reflection, run by name.</summary>
public interface IWorkload
{
    /// <summary>The name used on the command line (as in <c>gemm</c> or <c>scalar</c>).</summary>
    string Name { get; }

    /// <summary>Measures the workload and adds its rows to the report.</summary>
    void Run(Report report);
}

/// <summary>One measured figure: a median over repeated runs, with the spread, and the target it is held to.</summary>
public sealed record Row(string Workload, string Implementation, string Metric, double Median, double Min, double Max,
    string Unit, int Runs, string? Target = null);

/// <summary>Collects rows, prints them as a table and writes them as JSON.</summary>
public sealed class Report
{
    public List<Row> Rows { get; } = [];

    public void Add(Row row)
    {
        Rows.Add(row);
        Console.WriteLine($"  {row.Workload,-44} {row.Implementation,-12} {row.Metric,-10} {row.Median,12:G5} {row.Unit,-9}" +
                          $" [{row.Min:G4} .. {row.Max:G4}], n={row.Runs}{(row.Target is null ? "" : "  target " + row.Target)}");
    }

    public void WriteJson(string path) =>
        File.WriteAllText(path, JsonSerializer.Serialize(Rows, new JsonSerializerOptions { WriteIndented = true }));
}

/// <summary>Timing helpers: warm up, then time repeated runs and take the median.</summary>
public static class Harness
{
    /// <summary>The least time spent warming up before a measurement.</summary>
    public const double WarmupSeconds = 4;

    /// <summary>The least time spent taking samples: a median of samples spread over seconds is not decided by one burst of load.</summary>
    public const double MeasureSeconds = 2;

    /// <summary>
    /// Seconds per call of <paramref name="action"/>: each sample times <paramref name="inner"/> calls, and samples are
    /// taken until there are at least <paramref name="samples"/> and at least <see cref="MeasureSeconds"/> have passed.
    /// The warm-up runs at least <paramref name="warmup"/> calls and at least <see cref="WarmupSeconds"/>, so that the
    /// JIT has replaced the first, unoptimized and instrumented code with its final tier before anything is timed.
    /// </summary>
    public static double[] Time(Action action, int samples = 15, int inner = 1, int warmup = 3)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < warmup || Stopwatch.GetElapsedTime(start).TotalSeconds < WarmupSeconds; i++) action();
        var times = new List<double>();
        start = Stopwatch.GetTimestamp();
        while (times.Count < samples || Stopwatch.GetElapsedTime(start).TotalSeconds < MeasureSeconds)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < inner; i++) action();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalSeconds / inner);
        }
        return [.. times];
    }

    /// <summary>A row from samples, each converted to the reported unit by <paramref name="convert"/>.</summary>
    /// <summary>The argument that makes this program a warm-up child (see <see cref="TimeFreshProcesses"/>).</summary>
    public const string WarmupChild = "--warmup-child";

    /// <summary>
    /// The body of a warm-up child: runs <paramref name="steps"/>, timed from the call (made first thing in Main), and
    /// prints the milliseconds for <see cref="TimeFreshProcesses"/>.
    /// </summary>
    public static int RunWarmupChild(Action steps)
    {
        long entered = System.Diagnostics.Stopwatch.GetTimestamp();
        steps();
        double ms = System.Diagnostics.Stopwatch.GetElapsedTime(entered).TotalMilliseconds;
        Console.WriteLine(ms.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    }

    /// <summary>
    /// Runs this program <paramref name="runs"/> times as a fresh process with <see cref="WarmupChild"/>, which times
    /// its own work from entering Main and prints the milliseconds; the row is their median.
    /// </summary>
    public static Row TimeFreshProcesses(string workload, string implementation, string? target, int runs = 5)
    {
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            var start = new System.Diagnostics.ProcessStartInfo(Environment.ProcessPath!,
                [System.Reflection.Assembly.GetEntryAssembly()!.Location, WarmupChild]) { RedirectStandardOutput = true };
            using var child = System.Diagnostics.Process.Start(start)!;
            string output = child.StandardOutput.ReadToEnd().Trim();
            child.WaitForExit();
            times[i] = double.Parse(output.Split('\n')[^1], System.Globalization.CultureInfo.InvariantCulture);
        }
        return Summarize(workload, implementation, "to the 100th step, fresh process", times, ms => ms, "ms", target);
    }

    public static Row Summarize(string workload, string implementation, string metric, double[] samples, Func<double, double> convert,
        string unit, string? target = null)
    {
        var values = samples.Select(convert).Order().ToArray();
        double median = values.Length % 2 == 1 ? values[values.Length / 2] : (values[values.Length / 2 - 1] + values[values.Length / 2]) / 2;
        return new Row(workload, implementation, metric, median, values[0], values[^1], unit, values.Length, target);
    }

    /// <summary>
    /// Runs the workloads named in <paramref name="args"/> (all when none is named), printing <paramref name="banner"/>
    /// first; <c>--json FILE</c> writes the rows. Returns the exit code (2 for an unknown workload). Both bench programs
    /// share this, so they take the same command line.
    /// </summary>
    public static int RunFromCommandLine(string[] args, string banner)
    {
        var names = new List<string>();
        string? jsonPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--json" && i + 1 < args.Length) jsonPath = args[++i];
            else names.Add(args[i]);
        }
        var all = Workloads();
        var unknown = names.Where(n => all.All(w => w.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"unknown workload(s): {string.Join(", ", unknown)}; known: {string.Join(", ", all.Select(w => w.Name))}");
            return 2;
        }
        var report = new Report();
        Console.WriteLine(banner);
        foreach (var w in all.Where(w => names.Count == 0 || names.Contains(w.Name)))
        {
            Console.WriteLine($"{w.Name}:");
            w.Run(report);
        }
        if (jsonPath is not null) report.WriteJson(jsonPath);
        return 0;
    }

    /// <summary>Every workload in this assembly.</summary>
    public static IReadOnlyList<IWorkload> Workloads() =>
        Assembly.GetExecutingAssembly().GetTypes()
            .Where(t => typeof(IWorkload).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IWorkload)Activator.CreateInstance(t)!).OrderBy(w => w.Name).ToList();
}
