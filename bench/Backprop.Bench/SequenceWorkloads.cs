using Backprop.Nn;
using static Backprop.Bench.SequenceCases;

namespace Backprop.Bench;

/// <summary>
/// A sequence model's training step through the library's modules (<see cref="LSTM"/>, <see cref="GRU"/>,
/// <see cref="TransformerEncoder"/>), as a PyTorch user writes it: the mean square of the output, backward, SGD.
/// </summary>
public abstract class SequenceStepWorkload : TrainingStepWorkload
{
    private Module? _module;

    /// <inheritdoc/>
    protected override (string, double, string?, int[]) Reporting => ("ms", 1e3, "<= 1.0x TorchSharp", [2]);
    /// <inheritdoc/>
    protected override int Samples => SequenceCases.Samples;
    /// <inheritdoc/>
    protected override int GcSteps => SequenceCases.GcSteps;

    /// <summary>A fresh model.</summary>
    protected abstract Module Build();

    /// <summary>The model's output for the workload's input.</summary>
    protected abstract Tensor Output(Module module);

    /// <inheritdoc/>
    protected override Tensor[] Parameters()
    {
        _module = Build();
        return [.. _module.Parameters()];
    }

    /// <inheritdoc/>
    protected override Tensor Loss(Tensor[] parameters) => Output(_module!).Pow(2).Mean();

    /// <summary>The workload's [seq, batch, features] input.</summary>
    protected static Tensor Input(int steps, int batch, int features) =>
        Tensor.FromArray(SequenceCases.Input(steps, batch, features), [steps, batch, features]);
}

/// <summary>The 2-layer LSTM step.</summary>
public sealed class LstmStepWorkload : SequenceStepWorkload
{
    private readonly Tensor _input = Input(LstmSteps, LstmBatch, LstmHidden);

    /// <inheritdoc/>
    public override string Name => "lstm-step";
    /// <inheritdoc/>
    protected override Module Build() => new LSTM(LstmHidden, LstmHidden, LstmLayers, generator: new Generator(1));
    /// <inheritdoc/>
    protected override Tensor Output(Module module) => module.Forward(_input);
}

/// <summary>The 1-layer GRU step.</summary>
public sealed class GruStepWorkload : SequenceStepWorkload
{
    private readonly Tensor _input = Input(GruSteps, GruBatch, GruHidden);

    /// <inheritdoc/>
    public override string Name => "gru-step";
    /// <inheritdoc/>
    protected override Module Build() => new GRU(GruHidden, GruHidden, generator: new Generator(1));
    /// <inheritdoc/>
    protected override Tensor Output(Module module) => module.Forward(_input);
}

/// <summary>The 4-layer Transformer encoder step (post-norm, ReLU, no dropout).</summary>
public sealed class TransformerStepWorkload : SequenceStepWorkload
{
    private readonly Tensor _input = Input(EncoderSteps, EncoderBatch, EncoderModel);

    /// <inheritdoc/>
    public override string Name => "transformer-step";
    /// <inheritdoc/>
    protected override Module Build() => new TransformerEncoder(
        new TransformerOptions(EncoderModel, EncoderHeads, EncoderFeedforward, Dropout: 0), EncoderLayers,
        generator: new Generator(1));
    /// <inheritdoc/>
    protected override Tensor Output(Module module) => module.Forward(_input);
}
