namespace Backprop.Tests.Kernels;

/// <summary>
/// Where over rows of a contiguous mask selects by vector lanes (whole vectors, then the row's tail one by one): every
/// element must be the one its mask byte picks, for 4- and 8-byte elements, contiguous and scalar operands, a mask
/// broadcast over leading dims, and NaNs, whose bits must pass unchanged.
/// </summary>
public class WhereKernelTests
{
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int64)]
    public void Each_element_is_the_one_its_mask_picks(DType dtype)
    {
        var gen = new Generator(4);
        var mask = Tensor.Rand([37], generator: gen).Gt(0.5);
        var values = (Tensor.Randn([3, 37], DType.Float64, gen) * 10).ToArray<double>();
        if (dtype != DType.Int64) values[5] = double.NaN;
        var a = Tensor.FromArray(values, [3, 37]).To(dtype);
        var b = (Tensor.Randn([3, 37], generator: gen) * 10).To(dtype);
        var picks = mask.ToArray<bool>();
        var (av, bv) = (a.ToArray<double>(), b.ToArray<double>());
        var scalar = Tensor.Scalar(-7, dtype);
        foreach (var (first, second, name) in new[] { (a, b, "both"), (a, scalar, "scalar second"),
                     (scalar, b, "scalar first") })
        {
            var y = Tensor.Where(mask, first, second).ToArray<double>();
            for (int i = 0; i < y.Length; i++)
            {
                double expected = picks[i % 37] ? (first == scalar ? -7 : av[i]) : (second == scalar ? -7 : bv[i]);
                Assert.True(expected.Equals(y[i]), $"{name} [{i}]: {y[i]} vs {expected}");
            }
        }
    }
}
