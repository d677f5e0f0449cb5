using Backprop.IO;
using Backprop.Nn;

namespace Backprop.Tests.IO;

/// <summary>
/// F16 and BF16 safetensors against files written with PyTorch's conversions (tools/safetensors/make_half_fixture.py):
/// loading gives PyTorch's values, saving gives PyTorch's bytes.
/// </summary>
public class HalfPrecisionTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    // the script's source values, rounded by the same thirds, ties, subnormal, overflow and signed zero
    private static readonly double[] Source =
        [1.0 / 3, -2.0 / 3, 1 + Math.Pow(2, -11), 1 + 3 * Math.Pow(2, -11), 1 + Math.Pow(2, -8), 1 + 3 * Math.Pow(2,
            -8),
         1e-5, 70000, -0.0, 3.14159265, -1e-3, 65504];

    [Fact]
    public void Half_and_bfloat16_tensors_load_as_float32_with_pytorchs_values()
    {
        var file = SafeTensors.Load(Fixture("half.safetensors"));
        Assert.Equal(DType.Float32, file["f16"].DType);
        Assert.Equal([3, 4], file["bf16"].Shape);
        Assert.Equal(file["f16_values"].ToArray<float>(), file["f16"].ToArray<float>());
        Assert.Equal(file["bf16_values"].ToArray<float>(), file["bf16"].ToArray<float>());
        Assert.True(float.IsPositiveInfinity(file["f16"].ToArray<float>()[7]));   // 70000 overflows float16
        Assert.Equal([0L, 1, 2], file["labels"].ToArray<long>());
    }

    [Theory]
    [InlineData("F16", "half_saved_f16.safetensors")]
    [InlineData("BF16", "half_saved_bf16.safetensors")]
    public void Saving_as_half_precision_writes_pytorchs_bytes(string code, string fixture)
    {
        var path = Path.GetTempFileName();
        try
        {
            var tensors = new Dictionary<string, Tensor>
            {
                ["single"] = Tensor.FromArray(Source, [3, 4]).To(DType.Float32),
                ["double"] = Tensor.FromArray(Source, [3, 4]),
                ["labels"] = Tensor.Arange(3, DType.Int64),
            };
            SafeTensors.Save(path, tensors, floatDType: code);
            Assert.Equal(File.ReadAllBytes(Fixture(fixture)), File.ReadAllBytes(path));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_module_saved_as_bfloat16_loads_back_into_float64_weights_rounded()
    {
        var path = Path.GetTempFileName();
        try
        {
            var net = new Sequential(new Linear(4, 3, generator: new Generator(1)), new BatchNorm1d(3));
            net.Save(path, floatDType: "BF16");
            var loaded = new Sequential(new Linear(4, 3, generator: new Generator(2), dtype: DType.Float64),
                new BatchNorm1d(3));
            loaded.To(DType.Float64);
            loaded.Load(path);
            var original = net.StateDict()["0.weight"].ToArray<float>();
            var back = loaded.StateDict()["0.weight"].ToArray<double>();
            for (int i = 0; i < original.Length; i++)
            {
                Assert.True(Math.Abs(original[i] - back[i]) <= Math.Abs(original[i]) / 256, $"weight {i}");
                Assert.Equal(0u, BitConverter.SingleToUInt32Bits((float)back[i]) & 0xFFFF);   // a bfloat16 value
            }
            Assert.Equal(DType.Int64, loaded.StateDict()["1.num_batches_tracked"].DType);
            Assert.Contains("F8", Assert.Throws<ArgumentException>(() => net.Save(path, floatDType: "F8")).Message);
        }
        finally { File.Delete(path); }
    }
}
