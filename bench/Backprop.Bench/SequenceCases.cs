namespace Backprop.Bench;

/// <summary>
/// The sequence-model training steps both benchmark programs measure (linked into the TorchSharp baseline): sizes
/// and the deterministic input each step reads. Each step's loss is the mean square of the model's output.
/// </summary>
public static class SequenceCases
{
    /// <summary>LSTM: 2 layers, input and hidden 256, 64 steps, batch 32.</summary>
    public const int LstmLayers = 2, LstmHidden = 256, LstmSteps = 64, LstmBatch = 32;

    /// <summary>GRU: 1 layer, input and hidden 512, 32 steps, batch 64.</summary>
    public const int GruHidden = 512, GruSteps = 32, GruBatch = 64;

    /// <summary>
    /// Transformer encoder: 4 post-norm layers, d_model 256, 4 heads, feed-forward 1024, 128 positions, batch 16.
    /// </summary>
    public const int EncoderLayers = 4, EncoderModel = 256, EncoderHeads = 4, EncoderFeedforward = 1024,
        EncoderSteps = 128, EncoderBatch = 16;

    /// <summary>Training steps each sequence workload's collections are counted over (its steps are long).</summary>
    public const int GcSteps = 5;

    /// <summary>Timed samples of each sequence workload.</summary>
    public const int Samples = 5;

    /// <summary>The [seq, batch, features] input of a workload: the shared uniform values in [−1, 1].</summary>
    public static float[] Input(int steps, int batch, int features) =>
        TrainingCases.Uniform(steps * batch * features, 1f, seed: 21);
}
