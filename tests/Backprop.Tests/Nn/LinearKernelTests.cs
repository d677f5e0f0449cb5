namespace Backprop.Tests.Nn;

// Linear's forward and backward take fused kernel paths by shape (few inputs, thin outputs, column sums in blocks of
// four vectors); each must equal the same layer written with plain tensor ops.
public class LinearKernelTests
{
    // in features 1–4 (one pass with the bias), 2 vs 100 outputs (dot products, ragged column blocks), 37 and 70
    // outputs (bias gradient: four-vector blocks, single vectors and a scalar tail), float and double
    public static TheoryData<int, int, int, DType> Shapes() => new()
    {
        { 300, 2, 100, DType.Float32 }, { 7, 3, 37, DType.Float64 }, { 5, 1, 70, DType.Float32 }, { 9, 4, 3, DType.Float64 },
        { 64, 20, 70, DType.Float32 }, { 33, 100, 3, DType.Float32 }, { 1, 6, 33, DType.Float64 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fused_forward_and_backward_match_tensor_ops(int rows, int inFeatures, int outFeatures, DType dtype)
    {
        var g = new Generator(rows * 31 + outFeatures);
        var x = Tensor.Randn([rows, inFeatures], dtype, g, requiresGrad: true);
        var w = Tensor.Randn([outFeatures, inFeatures], dtype, g, requiresGrad: true);
        var b = Tensor.Randn([outFeatures], dtype, g, requiresGrad: true);
        var upstream = Tensor.Randn([rows, outFeatures], dtype, g);

        var y = F.Linear(x, w, b);
        var expected = x.MatMul(w.T) + b;
        Assert.True((y - expected).Abs().Max().Item() < Tolerance(dtype), "forward");

        var fused = Autograd.Grad([y], [x, w, b], [upstream]);
        var reference = new[] { upstream.MatMul(w), upstream.T.MatMul(x), upstream.Sum(0) };
        for (int i = 0; i < 3; i++)
        {
            double error = (fused[i]! - reference[i]).Abs().Max().Item();
            Assert.True(error < Tolerance(dtype) * Math.Sqrt(rows), $"gradient {i}: {error}");
        }
    }

    private static double Tolerance(DType dtype) => dtype == DType.Float32 ? 1e-4 : 1e-12;
}
