using System.Diagnostics;
using TorchSharp;
using static Backprop.Bench.TrainingCases;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Backprop.Bench;

/// <summary>
/// The training steps of bench/Backprop.Bench's TrainingWorkloads with TorchSharp: forward, backward, then SGD in
/// place under no_grad (the idiomatic update), every temporary disposed by a scope each step.
/// </summary>
public abstract class TorchTrainingStep : IWorkload
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>The unit's scale from seconds, the unit and the thread counts.</summary>
    protected abstract (string Unit, double Scale, int[] Threads) Reporting { get; }

    /// <summary>Fresh parameters that require grad.</summary>
    protected abstract Tensor[] Parameters();

    /// <summary>The loss of one forward pass.</summary>
    protected abstract Tensor Loss(Tensor[] parameters);

    /// <summary>Learning rate of the update.</summary>
    protected virtual float LearningRate => TrainingCases.LearningRate;

    /// <summary>Steps the collections are counted over.</summary>
    protected virtual int GcSteps => GcWindowSteps;

    /// <summary>Timed samples and steps per sample.</summary>
    protected virtual int Samples => 15;
    /// <inheritdoc cref="Samples"/>
    protected virtual int Inner => 1;

    /// <summary>One step: forward, backward, update in place, gradients cleared.</summary>
    public void Step(Tensor[] parameters)
    {
        using var scope = torch.NewDisposeScope();
        Loss(parameters).backward();
        using (torch.no_grad())
            foreach (var p in parameters)
            {
                p.sub_(p.grad! * LearningRate);
                p.grad!.zero_();
            }
    }

    /// <inheritdoc/>
    public virtual void Run(Report report)
    {
        var (unit, scale, threadCounts) = Reporting;
        foreach (int threads in threadCounts)
        {
            torch.set_num_threads(threads);
            var parameters = Parameters();
            var times = Harness.Time(() => Step(parameters), samples: Samples, inner: Inner, warmup: 3);
            report.Add(Harness.Summarize(Name, "TorchSharp", threadCounts.Length == 1 ? "per step" : PerStep(threads), times, s => s * scale, unit));
        }
        var p = Parameters();
        int before = GC.CollectionCount(0);
        for (int i = 0; i < GcSteps; i++) Step(p);
        double collections = GC.CollectionCount(0) - before;
        report.Add(new Row(Name, "TorchSharp", $"gen0 GCs/{GcSteps} steps", collections, collections, collections,
            "GCs", 1));
    }

    /// <summary>A Float32 tensor of the shared uniform values, requiring grad.</summary>
    protected static Tensor Weight(int seed, float scale, params long[] shape) =>
        torch.tensor(Uniform((int)shape.Aggregate(1L, (a, b) => a * b), scale, seed), shape).requires_grad_();
}

/// <summary>The spiral classifier step.</summary>
public sealed class TorchSpiralStep : TorchTrainingStep
{
    private readonly Tensor _points, _labels;

    /// <summary>Builds the spiral data.</summary>
    public TorchSpiralStep()
    {
        var (points, labels) = Spiral();
        _points = torch.tensor(points, [points.Length / 2, 2]);
        _labels = torch.tensor(labels);
    }

    /// <inheritdoc/>
    public override string Name => "spiral-step";
    /// <inheritdoc/>
    protected override (string, double, int[]) Reporting => ("µs", 1e6, [1]);
    /// <inheritdoc/>
    protected override float LearningRate => SpiralLearningRate;
    /// <inheritdoc/>
    protected override int Inner => 50;

    /// <summary>Builds the data and the parameters and runs <paramref name="steps"/> steps.</summary>
    public static void RunSteps(int steps)
    {
        var workload = new TorchSpiralStep();
        var parameters = workload.Parameters();
        for (int i = 0; i < steps; i++) workload.Step(parameters);
    }

    /// <inheritdoc/>
    protected override Tensor[] Parameters() =>
    [
        Weight(1, 0.01f, SpiralHidden, 2), torch.zeros(SpiralHidden).requires_grad_(),
        Weight(2, 0.01f, SpiralClasses, SpiralHidden), torch.zeros(SpiralClasses).requires_grad_(),
    ];

    /// <inheritdoc/>
    protected override Tensor Loss(Tensor[] p)
    {
        var scores = F.linear(F.relu(F.linear(_points, p[0], p[1])), p[2], p[3]);
        var l2 = (p[0] * p[0]).sum() + (p[2] * p[2]).sum();
        return F.cross_entropy(scores, _labels) + 0.5f * SpiralRegularization * l2;
    }
}

/// <summary>The time from entering Main to the end of the 100th spiral step, in fresh processes.</summary>
public sealed class TorchWarmup : IWorkload
{
    /// <inheritdoc/>
    public string Name => "warmup";

    /// <inheritdoc/>
    public void Run(Report report) => report.Add(Harness.TimeFreshProcesses(Name, "TorchSharp", null));
}

/// <summary>The MLP 784-512-512-10 step.</summary>
public class TorchMlpStep : TorchTrainingStep
{
    private readonly Tensor _inputs = torch.tensor(Uniform(MlpBatch * MlpWidths[0], 1f, 11), [MlpBatch, MlpWidths[0]]);
    private readonly Tensor _labels = torch.tensor(Labels(MlpBatch, MlpWidths[^1]));

    /// <inheritdoc/>
    public override string Name => "mlp-step";
    /// <inheritdoc/>
    protected override (string, double, int[]) Reporting => ("ms", 1e3, ThreadCounts);

    /// <inheritdoc/>
    protected override Tensor[] Parameters()
    {
        var p = new List<Tensor>();
        for (int l = 0; l + 1 < MlpWidths.Length; l++)
        {
            float scale = Scale(MlpWidths[l]);
            p.Add(Weight(20 + l, scale, MlpWidths[l + 1], MlpWidths[l]));
            p.Add(Weight(30 + l, scale, MlpWidths[l + 1]));
        }
        return [.. p];
    }

    /// <inheritdoc/>
    protected override Tensor Loss(Tensor[] p)
    {
        var h = F.relu(F.linear(_inputs, p[0], p[1]));
        h = F.relu(F.linear(h, p[2], p[3]));
        return F.cross_entropy(F.linear(h, p[4], p[5]), _labels);
    }
}

/// <summary>The peak working set of a process that only trains the MLP.</summary>
public sealed class TorchMlpMemory : TorchMlpStep
{
    /// <inheritdoc/>
    public override string Name => "mlp-memory";

    /// <summary>Runs 200 MLP steps and reports the process's peak working set.</summary>
    public override void Run(Report report)
    {
        var p = Parameters();
        for (int i = 0; i < 200; i++) Step(p);
        double mib = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        report.Add(new Row(Name, "TorchSharp", "peak working set", mib, mib, mib, "MiB", 1));
    }
}

/// <summary>The conv-net step.</summary>
public sealed class TorchConvStep : TorchTrainingStep
{
    private readonly Tensor _images = torch.tensor(Uniform(ConvBatch * 3 * 32 * 32, 1f, 12), [ConvBatch, 3, 32, 32]);
    private readonly Tensor _labels = torch.tensor(Labels(ConvBatch, 10));

    /// <inheritdoc/>
    public override string Name => "conv-step";
    /// <inheritdoc/>
    protected override (string, double, int[]) Reporting => ("ms", 1e3, ThreadCounts);
    /// <inheritdoc/>
    protected override int Samples => 9;

    /// <inheritdoc/>
    protected override Tensor[] Parameters() =>
    [
        Weight(40, Scale(27), 32, 3, 3, 3), Weight(41, Scale(27), 32),
        Weight(42, Scale(288), 64, 32, 3, 3), Weight(43, Scale(288), 64),
        Weight(44, Scale(4096), 10, 64 * 8 * 8), Weight(45, Scale(4096), 10),
    ];

    /// <inheritdoc/>
    protected override Tensor Loss(Tensor[] p)
    {
        var h = F.max_pool2d(F.relu(F.conv2d(_images, p[0], p[1], padding: [1, 1])), [2, 2]);
        h = F.max_pool2d(F.relu(F.conv2d(h, p[2], p[3], padding: [1, 1])), [2, 2]);
        return F.cross_entropy(F.linear(h.reshape(ConvBatch, -1), p[4], p[5]), _labels);
    }
}

/// <summary>The chain of 10,000 0-dim ops, forward and backward, per op.</summary>
public sealed class TorchChain : IWorkload
{
    /// <inheritdoc/>
    public string Name => "chain-0d";

    /// <inheritdoc/>
    public void Run(Report report)
    {
        torch.set_num_threads(1);
        var x = torch.tensor(0.5f).requires_grad_();
        var times = Harness.Time(() =>
        {
            using var scope = torch.NewDisposeScope();
            var y = x;
            for (int i = 0; i < ChainOps / 2; i++) y = y * 0.999f + 0.001f;
            y.backward();
            x.grad!.zero_();
        }, samples: 15);
        report.Add(Harness.Summarize(Name, "TorchSharp", "per op", times, s => s / ChainOps * 1e6, "µs"));
    }
}
