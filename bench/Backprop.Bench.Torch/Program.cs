using Backprop.Bench;

// a warm-up child (Harness.TimeFreshProcesses) times its steps from here, the first statement of Main
if (args is [Harness.WarmupChild]) return Harness.RunWarmupChild(() => TorchSpiralStep.RunSteps(100));

// The TorchSharp baseline: the same workloads, names and JSON rows as bench/Backprop.Bench, measured with
// TorchSharp-cpu. Add a workload by adding a class that implements IWorkload under the same name as its
// Backprop counterpart; bench/run.sh pairs the rows by workload name and metric.
// usage: dotnet run -c Release --project bench/Backprop.Bench.Torch -- [workload ...] [--json FILE]
return Harness.RunFromCommandLine(args, $"TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
