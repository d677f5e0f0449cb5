using System.Diagnostics;
using Backprop.Bench;

if (args is [Harness.WarmupChild])
{
    // timed from entering Main: the JIT's and the runtime's first work on the library is what is measured
    long entered = Stopwatch.GetTimestamp();
    SpiralStepWorkload.RunSteps(100);
    Console.WriteLine(Stopwatch.GetElapsedTime(entered).TotalMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
    return 0;
}

// usage: dotnet run -c Release --project bench/Backprop.Bench -- [workload ...] [--json FILE]
//        dotnet run -c Release --project bench/Backprop.Bench -- --compare OUT.json ROWS.json ...   (see bench/run.sh)
if (args is ["--compare", var comparisonPath, .. var rowFiles] && rowFiles.Length > 0)
{
    Comparison.Run(comparisonPath, rowFiles);
    return 0;
}
return Harness.RunFromCommandLine(args, $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
