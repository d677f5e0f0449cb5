namespace Backprop.Bench;

/// <summary>
/// The DCGAN training step both benchmark programs measure (this file is linked into the TorchSharp baseline):
/// PyTorch's DCGAN example at its sizes, G (nz=100, ngf=64) and D (ndf=64) on 64×64 RGB images in batches of 64,
/// one D step then one G step, each with Adam (lr 2e-4, β = (0.5, 0.999)), on fixed images, noise and weights.
/// </summary>
public static class DcganCases
{
    /// <summary>Latent size, generator and discriminator widths, image channels, image side and batch.</summary>
    public const int Nz = 100, Ngf = 64, Ndf = 64, Channels = 3, Side = 64, Batch = 64;

    /// <summary>Adam's step size and moment decays, as the DCGAN example sets them.</summary>
    public const float LearningRate = 2e-4f, Beta1 = 0.5f, Beta2 = 0.999f;

    /// <summary>Threads the step runs on: the step takes seconds, so only the two-thread figure.</summary>
    public const int Threads = 2;

    /// <summary>Timed samples (one step each) after two warm-up steps.</summary>
    public const int Samples = 5;

    /// <summary>Fixed real images in [−1, 1], [Batch, Channels, Side, Side].</summary>
    public static float[] Images() => TrainingCases.Uniform(Batch * Channels * Side * Side, 1f, 50);

    /// <summary>Fixed noise, [Batch, Nz, 1, 1].</summary>
    public static float[] Noise() => TrainingCases.Uniform(Batch * Nz, 1.7f, 51);

    /// <summary>
    /// The values of the <paramref name="index"/>-th convolution weight of <paramref name="count"/> elements: uniform
    /// with DCGAN's N(0, 0.02) standard deviation (batch-norm parameters keep their ones and zeros).
    /// </summary>
    public static float[] ConvWeight(int index, int count) =>
        TrainingCases.Uniform(count, 0.02f * MathF.Sqrt(3), 60 + index);
}
