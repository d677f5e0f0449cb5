using Backprop.Optim;
using static Backprop.Bench.PortCases;

namespace Backprop.Bench;

/// <summary>
/// The training step of a model ported from PyTorch line by line (<see cref="PortCases"/>): pad, conv, GroupNorm,
/// einsum and masked_fill through <see cref="F"/> and <see cref="Tensor"/>, as the PyTorch code calls them, then
/// backward and the library's Adam.
/// </summary>
public sealed class PortStepWorkload : IWorkload
{
    private readonly Tensor _images = Tensor.FromArray(Images(), [Batch, InChannels, Side, Side]);
    private readonly Tensor _labels = Tensor.FromArray(Labels());
    // a query attends to itself and the pixels before it
    private readonly Tensor _future = Tensor.Ones([Tokens, Tokens]).Triu(1).Gt(0);

    /// <inheritdoc/>
    public string Name => "port-step";

    private static (Tensor[] Parameters, Adam Optimizer) Model()
    {
        var parameters = ParameterShapes.Select((shape, i) => Tensor.FromArray(Initial(i), shape, requiresGrad: true))
            .ToArray();
        return (parameters, new Adam(parameters, LearningRate));
    }

    private Tensor Loss(Tensor[] p)
    {
        var h = F.Conv2d(_images.Pad([1, 1, 1, 1], "reflect"), p[0], p[1]);
        h = F.GroupNorm(h, Groups, p[2], p[3]).Relu();
        var tokens = h.Reshape(Batch, Channels, Tokens).Transpose(1, 2);
        Tensor Project(Tensor w) => Tensor.Einsum("btc,dc->btd", tokens, w).Reshape(Batch, Tokens, Heads, HeadSize);
        var (q, k, v) = (Project(p[4]), Project(p[5]), Project(p[6]));
        var scores = Tensor.Einsum("bqhd,bkhd->bhqk", q, k) * (1 / Math.Sqrt(HeadSize));
        var attention = F.Softmax(scores.MaskedFill(_future, double.NegativeInfinity), -1);
        var mixed = Tensor.Einsum("bhqk,bkhd->bqhd", attention, v).Reshape(Batch, Tokens, Channels);
        var attended = tokens + Tensor.Einsum("btd,cd->btc", mixed, p[7]);
        return F.CrossEntropy(F.Linear(attended.Mean(1), p[8], p[9]), _labels);
    }

    private void Step((Tensor[] Parameters, Adam Optimizer) model)
    {
        model.Optimizer.ZeroGrad();
        Loss(model.Parameters).Backward();
        model.Optimizer.Step();
    }

    /// <inheritdoc/>
    public void Run(Report report)
    {
        int saved = Threads.Count;
        try
        {
            foreach (int threads in TrainingCases.ThreadCounts)
            {
                Threads.Count = threads;
                var model = Model();
                var times = Harness.Time(() => Step(model), samples: Samples, warmup: 3);
                report.Add(Harness.Summarize(Name, "Backprop", TrainingCases.PerStep(threads), times, s => s * 1e3,
                    "ms", "<= 1.0x TorchSharp"));
            }
            var measured = Model();
            for (int i = 0; i < GcSteps; i++) Step(measured);
            int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
            for (int i = 0; i < GcSteps; i++) Step(measured);
            double young = GC.CollectionCount(0) - gen0, full = GC.CollectionCount(2) - gen2;
            report.Add(new Row(Name, "Backprop", $"gen0 GCs/{GcSteps} steps", young, young, young, "GCs", 1));
            report.Add(new Row(Name, "Backprop", $"gen2 GCs/{GcSteps} steps", full, full, full, "GCs", 1));
        }
        finally { Threads.Count = saved; }
    }
}
