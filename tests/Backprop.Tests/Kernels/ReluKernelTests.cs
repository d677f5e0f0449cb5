namespace Backprop.Tests.Kernels;

/// <summary>The vector ReLU kernels give every element the bits of the scalar rule, edge values included.</summary>
public class ReluKernelTests
{
    private static readonly float[] Edges = [-1f, 0f, -0f, 2f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-40f, -1e-40f, 3.5f];

    [Theory]
    [InlineData(10)]   // one vector and a tail
    [InlineData(29)]   // several vectors and a tail
    [InlineData(5)]    // the tail alone
    public void Forward_and_backward_match_the_scalar_rule_bit_for_bit(int length)
    {
        var values = Enumerable.Range(0, length).Select(i => Edges[(i * 7) % Edges.Length]).ToArray();
        var upstream = Enumerable.Range(0, length).Select(i => i + 0.5f).ToArray();
        var x = Tensor.FromArray(values, requiresGrad: true);
        var y = x.Relu();
        y.Backward(Tensor.FromArray(upstream));

        var forward = y.ToArray<float>();
        var backward = x.Grad!.ToArray<float>();
        for (int i = 0; i < length; i++)
        {
            float v = values[i];
            float expected = v > 0 || float.IsNaN(v) ? v : 0f;   // NaN passes, −0 becomes +0
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(forward[i]));
            Assert.Equal(v > 0 ? upstream[i] : 0f, backward[i]);
        }
    }
}
