namespace Backprop.Bench;

/// <summary>
/// The model ported from PyTorch that both benchmark programs train (this file is linked into the TorchSharp
/// baseline): a conv block (reflect pad, 3×3 conv, GroupNorm, ReLU), then causal multi-head self-attention over the
/// pixels written with einsum and masked_fill, with a residual, mean-pooled into a linear classifier; cross-entropy,
/// then one Adam step.
/// </summary>
public static class PortCases
{
    /// <summary>Images per batch, their channels and side, and the classes.</summary>
    public const int Batch = 8, InChannels = 4, Side = 16, Classes = 10;
    /// <summary>Channels of the conv block and the attention, their GroupNorm groups and the attention heads.</summary>
    public const int Channels = 32, Groups = 8, Heads = 4;
    /// <summary>Channels per head and pixels attended over.</summary>
    public const int HeadSize = Channels / Heads, Tokens = Side * Side;
    /// <summary>Adam's learning rate.</summary>
    public const float LearningRate = 1e-3f;
    /// <summary>Timed samples (one step each) and steps counted for collections.</summary>
    public const int Samples = 10, GcSteps = 20;

    /// <summary>The shapes of the parameters, in the order the step reads them.</summary>
    public static readonly int[][] ParameterShapes =
    [
        [Channels, InChannels, 3, 3], [Channels],   // conv weight and bias
        [Channels], [Channels],                     // GroupNorm weight and bias
        [Channels, Channels], [Channels, Channels], [Channels, Channels], [Channels, Channels],   // Wq, Wk, Wv, Wo
        [Classes, Channels], [Classes],             // classifier weight and bias
    ];

    /// <summary>
    /// The initial values of parameter <paramref name="index"/>: GroupNorm's weight ones and bias zeros, the rest
    /// uniform ±1/√fan-in, as PyTorch's defaults.
    /// </summary>
    public static float[] Initial(int index)
    {
        var shape = ParameterShapes[index];
        int count = shape.Aggregate(1, (a, b) => a * b);
        if (index is 2 or 3) return Enumerable.Repeat(index == 2 ? 1f : 0f, count).ToArray();
        int fanIn = index switch { 0 or 1 => InChannels * 9, _ => Channels };
        return TrainingCases.Uniform(count, TrainingCases.Scale(fanIn), seed: 60 + index);
    }

    /// <summary>The batch of images, [Batch, InChannels, Side, Side].</summary>
    public static float[] Images() => TrainingCases.Uniform(Batch * InChannels * Side * Side, 1f, seed: 59);

    /// <summary>The batch's labels.</summary>
    public static long[] Labels() => TrainingCases.Labels(Batch, Classes);
}
