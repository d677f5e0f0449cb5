using TorchSharp;
using static Backprop.Bench.SequenceCases;
using static TorchSharp.torch;

namespace Backprop.Bench;

/// <summary>The sequence-model steps of bench/Backprop.Bench's SequenceWorkloads with TorchSharp's modules.</summary>
public abstract class TorchSequenceStep : TorchTrainingStep
{
    /// <inheritdoc/>
    protected override (string, double, int[]) Reporting => ("ms", 1e3, [2]);
    /// <inheritdoc/>
    protected override int Samples => SequenceCases.Samples;
    /// <inheritdoc/>
    protected override int GcSteps => SequenceCases.GcSteps;

    /// <summary>The module's parameters after <see cref="Parameters"/> built it.</summary>
    protected abstract Tensor[] Build();

    /// <summary>The model's output for the workload's input.</summary>
    protected abstract Tensor Output();

    /// <inheritdoc/>
    protected override Tensor[] Parameters() => Build();

    /// <inheritdoc/>
    protected override Tensor Loss(Tensor[] parameters) => Output().pow(2).mean();

    /// <summary>The workload's [seq, batch, features] input.</summary>
    protected static Tensor Input(int steps, int batch, int features) =>
        torch.tensor(SequenceCases.Input(steps, batch, features), [steps, batch, features]);
}

/// <summary>The 2-layer LSTM step.</summary>
public sealed class TorchLstmStep : TorchSequenceStep
{
    private readonly Tensor _input = Input(LstmSteps, LstmBatch, LstmHidden);
    private TorchSharp.Modules.LSTM? _lstm;

    /// <inheritdoc/>
    public override string Name => "lstm-step";
    /// <inheritdoc/>
    protected override Tensor[] Build()
    {
        _lstm = torch.nn.LSTM(LstmHidden, LstmHidden, LstmLayers);
        return [.. _lstm.parameters()];
    }
    /// <inheritdoc/>
    protected override Tensor Output() => _lstm!.call(_input, null).Item1;
}

/// <summary>The 1-layer GRU step.</summary>
public sealed class TorchGruStep : TorchSequenceStep
{
    private readonly Tensor _input = Input(GruSteps, GruBatch, GruHidden);
    private TorchSharp.Modules.GRU? _gru;

    /// <inheritdoc/>
    public override string Name => "gru-step";
    /// <inheritdoc/>
    protected override Tensor[] Build()
    {
        _gru = torch.nn.GRU(GruHidden, GruHidden);
        return [.. _gru.parameters()];
    }
    /// <inheritdoc/>
    protected override Tensor Output() => _gru!.call(_input, null).Item1;
}

/// <summary>The 4-layer Transformer encoder step (post-norm, ReLU, no dropout).</summary>
public sealed class TorchTransformerStep : TorchSequenceStep
{
    private readonly Tensor _input = Input(EncoderSteps, EncoderBatch, EncoderModel);
    private TorchSharp.Modules.TransformerEncoder? _encoder;

    /// <inheritdoc/>
    public override string Name => "transformer-step";
    /// <inheritdoc/>
    protected override Tensor[] Build()
    {
        var layer = torch.nn.TransformerEncoderLayer(EncoderModel, EncoderHeads, EncoderFeedforward, dropout: 0);
        _encoder = torch.nn.TransformerEncoder(layer, EncoderLayers);
        return [.. _encoder.parameters()];
    }
    /// <inheritdoc/>
    protected override Tensor Output() => _encoder!.call(_input);
}
