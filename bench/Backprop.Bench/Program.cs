using Backprop.Bench;

// usage: dotnet run -c Release --project bench/Backprop.Bench -- [workload ...] [--json FILE]
//        dotnet run -c Release --project bench/Backprop.Bench -- --compare OUT.json ROWS.json ...   (see bench/run.sh)
if (args is ["--compare", var comparisonPath, .. var rowFiles] && rowFiles.Length > 0)
{
    Comparison.Run(comparisonPath, rowFiles);
    return 0;
}
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
Console.WriteLine($"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
foreach (var w in all.Where(w => names.Count == 0 || names.Contains(w.Name)))
{
    Console.WriteLine($"{w.Name}:");
    w.Run(report);
}
if (jsonPath is not null) report.WriteJson(jsonPath);
return 0;
