using System.Text.Json;
using Backprop.Tests.Tensors;

namespace Backprop.Tests.Nn;

/// <summary>
/// The convolution, pooling and resampling family against PyTorch's outputs and input gradients
/// (tools/golden/make_conv_golden.py, conv_ops.json), in Float64 and Float32.
/// </summary>
public class ConvolutionFamilyGoldenTests
{
    private static readonly Dictionary<string, Func<Tensor[], Tensor>> Ops = new()
    {
        ["conv2d_rectangular"] = x => F.Conv2d(x[0], x[1], x[2], stride: (2, 1), padding: (1, 2), dilation: (1, 2)),
        ["conv2d_same_even_kernel"] = x => F.Conv2d(x[0], x[1], x[2], padding: "same", dilation: (1, 2), groups: 2),
        ["conv2d_valid"] = x => F.Conv2d(x[0], x[1], padding: "valid"),
        ["conv1d"] = x => F.Conv1d(x[0], x[1], x[2], stride: 2, padding: 1, dilation: 2, groups: 2),
        ["conv1d_same"] = x => F.Conv1d(x[0], x[1], padding: "same"),
        ["conv3d"] = x => F.Conv3d(x[0], x[1], x[2], stride: (2, 1, 2), padding: (1, 0, 1), dilation: (1, 2, 1),
            groups: 2),
        ["conv3d_same"] = x => F.Conv3d(x[0], x[1], padding: "same"),
        ["conv_transpose2d"] = x => F.ConvTranspose2d(x[0], x[1], x[2], stride: (2, 3), padding: (1, 0),
            outputPadding: (1, 2), dilation: (1, 2)),
        ["conv_transpose2d_groups"] = x => F.ConvTranspose2d(x[0], x[1], x[2], stride: 2, padding: 1, groups: 2,
            dilation: 2),
        ["conv_transpose2d_dilated_output_padding"] = x => F.ConvTranspose2d(x[0], x[1], outputPadding: 1,
            dilation: 2),
        ["conv_transpose2d_dcgan"] = x => F.ConvTranspose2d(x[0], x[1], stride: 2, padding: 1),
        ["conv_transpose1d"] = x => F.ConvTranspose1d(x[0], x[1], x[2], stride: 3, padding: 1, outputPadding: 2),
    };

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => GoldenTests.Load("conv_ops.json"));

    public static TheoryData<string> Names => new(Ops.Keys);

    [Fact]
    public void Every_golden_case_has_an_op() => Assert.Equal(Cases.Value.Keys.Order(), Ops.Keys.Order());

    [Theory]
    [MemberData(nameof(Names))]
    public void Float64_matches_PyTorch_to_1e_10(string name) =>
        GoldenTests.Compare(name, Cases.Value[name], Ops[name], DType.Float64, 1e-10);

    [Theory]
    [MemberData(nameof(Names))]
    public void Float32_matches_PyTorch_to_1e_5(string name) =>
        GoldenTests.Compare(name, Cases.Value[name], Ops[name], DType.Float32, 1e-5);
}
