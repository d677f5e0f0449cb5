using System.Diagnostics;
using Backprop.Optim;
using static Backprop.Bench.TrainingCases;

namespace Backprop.Bench;

/// <summary>
/// A training step written as a PyTorch user writes it: plain tensors and <see cref="F"/> with no fused op by hand,
/// no scope and no Dispose; forward, backward, then the library's SGD and ZeroGrad (gradients set to none, as
/// PyTorch's default), so every call allocates its outputs and the caching allocator has to keep up.
/// </summary>
public abstract class TrainingStepWorkload : IWorkload
{
    /// <inheritdoc/>
    public abstract string Name { get; }

    /// <summary>The row label, the unit's scale from seconds, the unit, the target and the thread counts.</summary>
    protected abstract (string Unit, double Scale, string? Target, int[] Threads) Reporting { get; }

    /// <summary>Fresh parameters, in the order <see cref="Loss"/> reads them.</summary>
    protected abstract Tensor[] Parameters();

    /// <summary>The loss of one forward pass.</summary>
    protected abstract Tensor Loss(Tensor[] parameters);

    /// <summary>Learning rate of the update.</summary>
    protected virtual float LearningRate => TrainingCases.LearningRate;

    /// <summary>Fresh parameters and the plain SGD that updates them.</summary>
    protected (Tensor[] Parameters, SGD Optimizer) Model()
    {
        var parameters = Parameters();
        return (parameters, new SGD(parameters, LearningRate));
    }

    /// <summary>One step: forward, backward, update, gradients dropped.</summary>
    public void Step((Tensor[] Parameters, SGD Optimizer) model)
    {
        model.Optimizer.ZeroGrad();
        Loss(model.Parameters).Backward();
        model.Optimizer.Step();
    }

    /// <inheritdoc/>
    public virtual void Run(Report report)
    {
        var (unit, scale, target, threadCounts) = Reporting;
        int saved = Threads.Count;
        try
        {
            foreach (int threads in threadCounts)
            {
                Threads.Count = threads;
                report.Add(Harness.Summarize(Name, "Backprop", threadCounts.Length == 1 ? "per step" : PerStep(threads), TimeSteps(), s => s * scale, unit, target));
            }
            var measured = Model();
            for (int i = 0; i < GcSteps; i++) Step(measured);   // the caching allocator warms up
            int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
            for (int i = 0; i < GcSteps; i++) Step(measured);
            double young = GC.CollectionCount(0) - gen0, full = GC.CollectionCount(2) - gen2;
            report.Add(new Row(Name, "Backprop", $"gen0 GCs/{GcSteps} steps", young, young, young, "GCs", 1));
            report.Add(new Row(Name, "Backprop", $"gen2 GCs/{GcSteps} steps", full, full, full, "GCs", 1, "0"));
        }
        finally { Threads.Count = saved; }
    }

    /// <summary>The times of <see cref="Samples"/> samples of <see cref="Inner"/> steps each, on fresh parameters.</summary>
    protected double[] TimeSteps()
    {
        var model = Model();
        return Harness.Time(() => Step(model), samples: Samples, inner: Inner, warmup: 3);
    }

    /// <summary>Steps counted for collections, after as many steps of warm-up.</summary>
    protected virtual int GcSteps => GcWindowSteps;

    /// <summary>Timed samples and steps per sample.</summary>
    protected virtual int Samples => 15;
    /// <inheritdoc cref="Samples"/>
    protected virtual int Inner => 1;

    /// <summary>A [rows, cols] Float32 tensor of the shared uniform values, requiring grad.</summary>
    protected static Tensor Weight(int seed, float scale, params int[] shape) =>
        Tensor.FromArray(Uniform(shape.Aggregate(1, (a, b) => a * b), scale, seed), shape, requiresGrad: true);
}

/// <summary>The course's spiral classifier: 300×2 points, hidden layer of 100 with ReLU, 3 classes, softmax + L2.</summary>
public sealed class SpiralStepWorkload : TrainingStepWorkload
{
    private readonly Tensor _points, _labels;
    private (Tensor Points, Tensor Labels, int Hidden) _net;

    /// <summary>Builds the spiral data.</summary>
    public SpiralStepWorkload()
    {
        var (points, labels) = Spiral();
        _points = Tensor.FromArray(points, [points.Length / 2, 2]);
        _labels = Tensor.FromArray(labels);
        _net = (_points, _labels, SpiralHidden);
    }

    /// <inheritdoc/>
    public override string Name => "spiral-step";
    /// <inheritdoc/>
    protected override (string, double, string?, int[]) Reporting => ("µs", 1e6, "<= 60 µs", [1]);
    /// <inheritdoc/>
    protected override float LearningRate => SpiralLearningRate;
    /// <inheritdoc/>
    protected override int Inner => 50;
    /// <inheritdoc/>
    protected override int GcSteps => 2000;

    /// <inheritdoc/>
    protected override Tensor[] Parameters() =>
    [
        Weight(1, 0.01f, 2, _net.Hidden), Tensor.Zeros([_net.Hidden], requiresGrad: true),
        Weight(2, 0.01f, _net.Hidden, SpiralClasses), Tensor.Zeros([SpiralClasses], requiresGrad: true),
    ];

    /// <inheritdoc/>
    protected override Tensor Loss(Tensor[] p)
    {
        // as the course writes it: hidden = relu(X·W + b), scores = hidden·W2 + b2, softmax loss plus L2
        var hidden = F.Relu(_net.Points.MatMul(p[0]) + p[1]);
        var scores = hidden.MatMul(p[2]) + p[3];
        var l2 = (p[0] * p[0]).Sum() + (p[2] * p[2]).Sum();
        return F.CrossEntropy(scores, _net.Labels) + 0.5 * SpiralRegularization * l2;
    }

    /// <summary>Builds the data and the model and runs <paramref name="steps"/> steps: a user's first program.</summary>
    public static void RunSteps(int steps)
    {
        var workload = new SpiralStepWorkload();
        var model = workload.Model();
        for (int i = 0; i < steps; i++) workload.Step(model);
    }

    /// <summary>
    /// The step, then the same step on one point of each class with 8 hidden units, whose kernels cost next to
    /// nothing: what the eager framework around them costs.
    /// </summary>
    public override void Run(Report report)
    {
        base.Run(report);
        int saved = Threads.Count;
        try
        {
            Threads.Count = 1;
            var firstOfEachClass = Tensor.FromArray(new long[] { 0, SpiralPointsPerClass, 2 * SpiralPointsPerClass });
            _net = (_points.IndexSelect(0, firstOfEachClass), _labels.IndexSelect(0, firstOfEachClass), 8);
            report.Add(Harness.Summarize(Name, "Backprop", "per step, 3 points × 8 hidden", TimeSteps(), s => s * 1e6, "µs", null));
        }
        finally
        {
            _net = (_points, _labels, SpiralHidden);
            Threads.Count = saved;
        }
    }
}

/// <summary>The time from entering Main to the end of the 100th spiral step, in fresh processes.</summary>
public sealed class WarmupWorkload : IWorkload
{
    /// <inheritdoc/>
    public string Name => "warmup";

    /// <inheritdoc/>
    public void Run(Report report) => report.Add(Harness.TimeFreshProcesses(Name, "Backprop", "<= 150 ms"));
}

/// <summary>The MLP 784-512-512-10 with ReLU, cross-entropy, on a batch of 128.</summary>
public class MlpStepWorkload : TrainingStepWorkload
{
    private readonly Tensor _inputs = Tensor.FromArray(Uniform(MlpBatch * MlpWidths[0], 1f, 11), [MlpBatch, MlpWidths[0]]);
    private readonly Tensor _labels = Tensor.FromArray(Labels(MlpBatch, MlpWidths[^1]));

    /// <inheritdoc/>
    public override string Name => "mlp-step";
    /// <inheritdoc/>
    protected override (string, double, string?, int[]) Reporting => ("ms", 1e3, "<= 0.8x TorchSharp", ThreadCounts);

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
        var h = F.Relu(F.Linear(_inputs, p[0], p[1]));
        h = F.Relu(F.Linear(h, p[2], p[3]));
        return F.CrossEntropy(F.Linear(h, p[4], p[5]), _labels);
    }
}

/// <summary>The peak working set of a process that only trains the MLP (run it alone: bench/run.sh gives each workload its own process).</summary>
public sealed class MlpMemoryWorkload : MlpStepWorkload
{
    /// <inheritdoc/>
    public override string Name => "mlp-memory";

    /// <summary>Runs 200 MLP steps and reports the process's peak working set.</summary>
    public override void Run(Report report)
    {
        var model = Model();
        for (int i = 0; i < 200; i++) Step(model);
        double mib = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        report.Add(new Row(Name, "Backprop", "peak working set", mib, mib, mib, "MiB", 1, "<= 150 MiB"));
    }
}

/// <summary>The conv net: 32×3×32×32, conv3×3(32)-ReLU-maxpool2-conv3×3(64)-ReLU-maxpool2-linear(10), cross-entropy.</summary>
public sealed class ConvStepWorkload : TrainingStepWorkload
{
    private readonly Tensor _images = Tensor.FromArray(Uniform(ConvBatch * 3 * 32 * 32, 1f, 12), [ConvBatch, 3, 32, 32]);
    private readonly Tensor _labels = Tensor.FromArray(Labels(ConvBatch, 10));

    /// <inheritdoc/>
    public override string Name => "conv-step";
    /// <inheritdoc/>
    protected override (string, double, string?, int[]) Reporting => ("ms", 1e3, "<= 0.8x TorchSharp", ThreadCounts);
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
        var h = F.MaxPool2d(F.Relu(F.Conv2d(_images, p[0], p[1], padding: 1)), 2);
        h = F.MaxPool2d(F.Relu(F.Conv2d(h, p[2], p[3], padding: 1)), 2);
        return F.CrossEntropy(F.Linear(h.Reshape(ConvBatch, -1), p[4], p[5]), _labels);
    }
}

/// <summary>A chain of 10,000 ops on 0-dim tensors (y·0.999 + 0.001, repeated), forward and backward, per op.</summary>
public sealed class ChainWorkload : IWorkload
{
    /// <inheritdoc/>
    public string Name => "chain-0d";

    /// <inheritdoc/>
    public void Run(Report report)
    {
        var x = Tensor.Scalar(0.5, requiresGrad: true);
        var times = Harness.Time(() =>
        {
            var y = x;
            for (int i = 0; i < ChainOps / 2; i++) y = y * 0.999 + 0.001;
            x.Grad = null;
            y.Backward();
        }, samples: 15);
        report.Add(Harness.Summarize(Name, "Backprop", "per op", times, s => s / ChainOps * 1e6, "µs", "<= 1 µs"));
    }
}
