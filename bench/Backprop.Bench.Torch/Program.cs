using Backprop.Bench;

// The TorchSharp baseline: the same workloads, names and JSON rows as bench/Backprop.Bench, measured with
// TorchSharp-cpu. Add a workload by adding a class that implements IWorkload under the same name as its
// Backprop counterpart; bench/run.sh pairs the rows by workload name and metric.
// usage: dotnet run -c Release --project bench/Backprop.Bench.Torch -- [workload ...] [--json FILE]
var names = new List<string>();
string? jsonPath = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--json" && i + 1 < args.Length) jsonPath = args[++i];
    else names.Add(args[i]);
}
var all = Harness.Workloads();
var unknown = names.Where(n => all.All(w => w.Name != n)).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"unknown workload(s): {string.Join(", ", unknown)}; known: {string.Join(", ", all.Select(w => w.Name))}");
    return 2;
}
var report = new Report();
Console.WriteLine($"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
foreach (var w in all.Where(w => names.Count == 0 || names.Contains(w.Name)))
{
    Console.WriteLine($"{w.Name}:");
    w.Run(report);
}
if (jsonPath is not null) report.WriteJson(jsonPath);
return 0;
