namespace Backprop.Tests.Nn;

/// <summary>Convolution and max pooling write all of the memory they take without clearing, so old contents never leak in.</summary>
public class RecycledMemoryTests
{
    private static float[] Values(int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    // the pooled output, and the gradients of its sum with respect to the input, weight and bias
    private static float[][] Step(float[] input)
    {
        var x = Tensor.FromArray(input, [2, 3, 16, 16], requiresGrad: true);
        var w = Tensor.FromArray(Values(4 * 3 * 3 * 3, 2), [4, 3, 3, 3], requiresGrad: true);
        var b = Tensor.FromArray(Values(4, 3), [4], requiresGrad: true);
        var y = F.MaxPool2d(F.Conv2d(x, w, b, padding: 1), 2);
        y.Sum().Backward();
        return [y.ToArray<float>(), x.Grad!.ToArray<float>(), w.Grad!.ToArray<float>(), b.Grad!.ToArray<float>()];
    }

    [Fact]
    public void A_step_on_recycled_memory_full_of_nans_matches_a_step_on_fresh_memory()
    {
        var input = Values(2 * 3 * 16 * 16, 1);
        var expected = Step(input);
        // the pool hands arrays back by exact length: the columns (27 × 2·16·16), the convolution's output, the pooled output and winners
        using (new TensorScope())
        {
            foreach (int length in new[] { 27 * 512, 2 * 4 * 256, 2 * 4 * 64 }) Tensor.Full([length], double.NaN);
            Tensor.Full([2 * 4 * 64], -1, DType.Int64);
        }
        float[][] actual;
        using (new TensorScope()) actual = Step(input);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }
}
