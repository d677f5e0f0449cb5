using TorchSharp;
using static Backprop.Bench.PortCases;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Backprop.Bench;

/// <summary>
/// The ported model's training step (<see cref="PortCases"/>) with TorchSharp: the same pad, conv, GroupNorm,
/// einsum and masked_fill calls, backward, then torch.optim.Adam; every temporary disposed by a scope each step.
/// </summary>
public sealed class TorchPortStep : IWorkload
{
    private readonly Tensor _images = torch.tensor(Images(), [Batch, InChannels, Side, Side]);
    private readonly Tensor _labels = torch.tensor(Labels());
    // a query attends to itself and the pixels before it
    private readonly Tensor _future = torch.ones(Tokens, Tokens).triu(1).gt(0);

    /// <inheritdoc/>
    public string Name => "port-step";

    private static (Tensor[] Parameters, optim.Optimizer Optimizer) Model()
    {
        var parameters = ParameterShapes.Select((shape, i) => new TorchSharp.Modules.Parameter(
            torch.tensor(Initial(i), shape.Select(d => (long)d).ToArray()))).ToArray();
        return (parameters, torch.optim.Adam(parameters, LearningRate));
    }

    private Tensor Loss(Tensor[] p)
    {
        var h = F.conv2d(F.pad(_images, [1, 1, 1, 1], PaddingModes.Reflect), p[0], p[1]);
        h = F.relu(F.group_norm(h, Groups, p[2], p[3]));
        var tokens = h.reshape(Batch, Channels, Tokens).transpose(1, 2);
        Tensor Project(Tensor w) => torch.einsum("btc,dc->btd", tokens, w).reshape(Batch, Tokens, Heads, HeadSize);
        var (q, k, v) = (Project(p[4]), Project(p[5]), Project(p[6]));
        var scores = torch.einsum("bqhd,bkhd->bhqk", q, k) * (1 / Math.Sqrt(HeadSize));
        var attention = F.softmax(scores.masked_fill(_future, double.NegativeInfinity), -1);
        var mixed = torch.einsum("bhqk,bkhd->bqhd", attention, v).reshape(Batch, Tokens, Channels);
        var attended = tokens + torch.einsum("btd,cd->btc", mixed, p[7]);
        return F.cross_entropy(F.linear(attended.mean([1]), p[8], p[9]), _labels);
    }

    private void Step((Tensor[] Parameters, optim.Optimizer Optimizer) model)
    {
        using var scope = torch.NewDisposeScope();
        model.Optimizer.zero_grad();
        Loss(model.Parameters).backward();
        model.Optimizer.step();
    }

    /// <inheritdoc/>
    public void Run(Report report)
    {
        foreach (int threads in TrainingCases.ThreadCounts)
        {
            torch.set_num_threads(threads);
            var model = Model();
            var times = Harness.Time(() => Step(model), samples: Samples, warmup: 3);
            report.Add(Harness.Summarize(Name, "TorchSharp", TrainingCases.PerStep(threads), times, s => s * 1e3, "ms"));
        }
        var measured = Model();
        int before = GC.CollectionCount(0);
        for (int i = 0; i < GcSteps; i++) Step(measured);
        double collections = GC.CollectionCount(0) - before;
        report.Add(new Row(Name, "TorchSharp", $"gen0 GCs/{GcSteps} steps", collections, collections, collections,
            "GCs", 1));
    }
}
