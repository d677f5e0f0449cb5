namespace Backprop.Tests.Tensors;

/// <summary>
/// The Bool dtype, PyTorch's type promotion and the default dtype; the values PyTorch gives are in DTypeGoldenTests.
/// </summary>
public class DTypeTests
{
    [Fact]
    public void Division_divides_in_every_path_and_never_multiplies_by_the_reciprocal()
    {
        // long enough for the vectorized and multithreaded spans; odd divisors round differently as reciprocals
        var rng = new Random(5);
        var values = Enumerable.Range(0, 70_001).Select(_ => (float)(rng.NextDouble() * 200 - 100)).ToArray();
        var divisors = Enumerable.Range(0, 70_001).Select(_ => (float)(rng.NextDouble() * 9 + 0.5)).ToArray();
        var x = Tensor.FromArray(values);
        foreach (float s in new[] { 3f, 7f, 0.1f, 10f })
        {
            Assert.Equal(values.Select(v => v / s).ToArray(), (x / (double)s).ToArray<float>());
            Assert.Equal(values.Select(v => v / s).ToArray(), (x / Tensor.Scalar(s)).ToArray<float>());
        }
        Assert.Equal(values.Select(v => v / 3).ToArray(), (x / 3).ToArray<float>());
        var quotients = values.Zip(divisors, (v, d) => v / d).ToArray();
        Assert.Equal(quotients, (x / Tensor.FromArray(divisors)).ToArray<float>());
        Assert.Equal(values.Select(v => 3 / v).ToArray(), (3 / x).ToArray<float>());
        var doubles = values.Select(v => v * 1.1).ToArray();
        Assert.Equal(doubles.Select(v => v / 3).ToArray(), (Tensor.FromArray(doubles) / 3).ToArray<double>());
        // the gradient of x / s is g / s as well
        var leaf = Tensor.FromArray(new[] { 1f, 2f }, requiresGrad: true);
        (leaf / 3).Backward(Tensor.FromArray(new[] { 1f, 10f }));
        Assert.Equal(new[] { 1f / 3, 10f / 3 }, leaf.Grad!.ToArray<float>());
    }
}
