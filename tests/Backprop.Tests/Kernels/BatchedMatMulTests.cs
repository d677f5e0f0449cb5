namespace Backprop.Tests.Kernels;

/// <summary>
/// A batched MatMul, whether its items go to the threads whole (batch dims of one uniform stride) or one by one
/// (any other layout), has the bits of the items multiplied alone.
/// </summary>
public class BatchedMatMulTests
{
    public static TheoryData<string> Layouts => new("contiguous", "broadcast b", "transposed items", "permuted batch",
        "double", "few items");

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Every_item_equals_its_product_alone(string layout)
    {
        var gen = new Generator(21);
        Tensor Randn(params int[] shape) => Tensor.Randn(shape, layout == "double" ? DType.Float64 : DType.Float32, gen);
        var (a, b) = layout switch
        {
            "broadcast b" => (Randn(12, 37, 50), Randn(50, 29)),
            "transposed items" => (Randn(3, 4, 50, 37).MT, Randn(3, 4, 29, 50).MT),
            "permuted batch" => (Randn(4, 3, 37, 50).Transpose(0, 1), Randn(3, 4, 50, 29)),
            "few items" => (Randn(3, 37, 50), Randn(3, 50, 29)),
            _ => (Randn(3, 4, 37, 50), Randn(3, 4, 50, 29)),
        };
        var y = a.MatMul(b);
        var items = a.Reshape(-1, 37, 50);
        var others = b.NDim == 2 ? null : b.Reshape(-1, 50, 29);
        Assert.Equal(items.shape[0], y.Numel / (37 * 29));
        var flat = y.Reshape(-1, 37, 29);
        for (int s = 0; s < items.shape[0]; s++)
        {
            var alone = items[s].MatMul(others is null ? b : others[s]);
            Assert.Equal(alone.ToArray<double>(), flat[s].ToArray<double>());
        }
    }
}
