namespace Backprop.Bench;

/// <summary>
/// The training steps both benchmark programs measure (this file is linked into the TorchSharp baseline): their
/// sizes, learning rates, targets and deterministic data, so the two programs train the same nets on the same numbers.
/// </summary>
public static class TrainingCases
{
    /// <summary>Spiral classifier: 100 points of each of 3 classes in 2-D, hidden layer of 100, softmax + L2.</summary>
    public const int SpiralPointsPerClass = 100, SpiralClasses = 3, SpiralHidden = 100;
    /// <summary>Step size and L2 strength of the spiral net (the course's values).</summary>
    public const float SpiralLearningRate = 1f, SpiralRegularization = 1e-3f;

    /// <summary>The MLP 784-512-512-10 on a batch of 128.</summary>
    public const int MlpBatch = 128;
    /// <summary>Layer widths of the MLP, input first.</summary>
    public static readonly int[] MlpWidths = [784, 512, 512, 10];

    /// <summary>The conv net's batch: 32 images of 3×32×32, 10 classes.</summary>
    public const int ConvBatch = 32;

    /// <summary>Learning rate of the MLP and conv-net SGD steps.</summary>
    public const float LearningRate = 0.01f;

    /// <summary>Ops in the 0-dim chain (half multiplies, half adds).</summary>
    public const int ChainOps = 10_000;

    /// <summary>Training steps between the two GC counts reported with each step workload.</summary>
    public const int GcWindowSteps = 100;

    /// <summary>Thread counts each multi-threaded step is measured at.</summary>
    public static readonly int[] ThreadCounts = [1, 2];

    /// <summary>The metric name of a figure measured on <paramref name="threads"/> threads.</summary>
    public static string PerStep(int threads) => threads == 1 ? "per step 1T" : $"per step {threads}T";

    /// <summary>The course's spiral: class k's points lie on an arm at angle 4k..4(k+1), with small deterministic jitter.</summary>
    public static (float[] Points, long[] Labels) Spiral()
    {
        int n = SpiralPointsPerClass, total = n * SpiralClasses;
        var points = new float[total * 2];
        var labels = new long[total];
        var noise = Uniform(total, 0.2f, seed: 7);
        for (int k = 0; k < SpiralClasses; k++)
            for (int i = 0; i < n; i++)
            {
                int row = k * n + i;
                float radius = i / (float)(n - 1);
                float angle = 4f * k + 4f * i / (n - 1) + noise[row];
                points[2 * row] = radius * MathF.Sin(angle);
                points[2 * row + 1] = radius * MathF.Cos(angle);
                labels[row] = k;
            }
        return (points, labels);
    }

    /// <summary><paramref name="count"/> values uniform in [−scale, scale] from a fixed xorshift sequence.</summary>
    public static float[] Uniform(int count, float scale, int seed)
    {
        var values = new float[count];
        ulong state = 0x9E3779B97F4A7C15UL ^ (ulong)seed;
        for (int i = 0; i < count; i++)
        {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            values[i] = scale * (2f * (state >> 40) / (1UL << 24) - 1f);
        }
        return values;
    }

    /// <summary>Class labels 0..classes−1 cycling over a batch.</summary>
    public static long[] Labels(int count, int classes) => Enumerable.Range(0, count).Select(i => (long)(i * 7 % classes)).ToArray();

    /// <summary>The weight scale for a layer of fan-in <paramref name="fanIn"/> (uniform ±1/√fanIn, as PyTorch's default).</summary>
    public static float Scale(int fanIn) => 1f / MathF.Sqrt(fanIn);
}
