using System.Diagnostics;
using Backprop.Data;
using Backprop.Nn;
using Backprop.Optim;

namespace Backprop.Bench;

/// <summary>
/// Memory over a long training run: 10,000 Adam steps of the digits MLP (64-128-10, batches of 32). The managed
/// heap after a full collection and the process working set are read at step 1,000 and step 10,000; a leak in
/// the graph, the optimizer state or the loader would show as growth between them.
/// </summary>
public sealed class TrainingMemoryWorkload : IWorkload
{
    public string Name => "training-memory";

    public void Run(Report report)
    {
        var (train, _) = Datasets.Digits().Split(0.2, 0);
        var (standardized, _) = DatasetTensors.StandardizeWithTraining(train, train);
        var g = new Generator(0);
        var model = new Sequential(new Linear(64, 128, generator: g), new ReLU(), new Linear(128, 10, generator: g));
        var optimizer = new Adam(model.Parameters(), 1e-3);
        var loader = new DataLoader(standardized, 32, shuffle: true, seed: 0);
        var samples = new Dictionary<int, (double heapMiB, double workingSetMiB)>();
        int step = 0;
        var clock = Stopwatch.StartNew();
        while (step < 10_000)
            foreach (var (x, y) in loader)
            {
                var loss = F.CrossEntropy(model.Forward(x), y);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                if (++step is 1_000 or 10_000)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    GC.Collect();
                    using var process = Process.GetCurrentProcess();
                    samples[step] = (GC.GetTotalMemory(forceFullCollection: true) / 1048576.0, process.WorkingSet64 / 1048576.0);
                }
                if (step == 10_000) break;
            }
        double seconds = clock.Elapsed.TotalSeconds;
        foreach (var (at, (heap, workingSet)) in samples.OrderBy(p => p.Key))
        {
            report.Add(new Row("digits MLP training, managed heap", "Backprop", $"step {at}", heap, heap, heap, "MiB", 1));
            report.Add(new Row("digits MLP training, working set", "Backprop", $"step {at}", workingSet, workingSet, workingSet, "MiB", 1));
        }
        report.Add(new Row("digits MLP training, 10k steps", "Backprop", "time", seconds, seconds, seconds, "s", 1));
    }
}
