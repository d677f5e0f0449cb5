using Backprop.Bench;

// a warm-up child (Harness.TimeFreshProcesses) times its steps from here, the first statement of Main
if (args is [Harness.WarmupChild]) return Harness.RunWarmupChild(() => SpiralStepWorkload.RunSteps(100));

// usage: dotnet run -c Release --project bench/Backprop.Bench -- [workload ...] [--json FILE]
//        dotnet run -c Release --project bench/Backprop.Bench -- --compare OUT.json ROWS.json ...   (see bench/run.sh)
if (args is ["--compare", var comparisonPath, .. var rowFiles] && rowFiles.Length > 0)
{
    Comparison.Run(comparisonPath, rowFiles);
    return 0;
}
return Harness.RunFromCommandLine(args, $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}");
