using System.Text.Json;

namespace Backprop.Tests.Tensors;

/// <summary>
/// The ops a PyTorch port needs beyond the core set, against PyTorch's outputs and input gradients
/// (tools/golden/make_ported_golden.py, ported_ops.json), in Float64 and Float32.
/// </summary>
public class PortedOpsGoldenTests
{
    private static readonly Dictionary<string, Func<Tensor[], Tensor>> Ops = new()
    {
        ["sin"] = x => x[0].Sin(),
        ["cos"] = x => x[0].Cos(),
        ["tan"] = x => x[0].Tan(),
        ["asin"] = x => x[0].Asin(),
        ["acos"] = x => x[0].Acos(),
        ["atan"] = x => x[0].Atan(),
        ["atan2"] = x => x[0].Atan2(x[1]),
        ["sinh"] = x => x[0].Sinh(),
        ["cosh"] = x => x[0].Cosh(),
        ["log1p"] = x => x[0].Log1p(),
        ["expm1"] = x => x[0].Expm1(),
        ["log2"] = x => x[0].Log2(),
        ["log10"] = x => x[0].Log10(),
        ["erf"] = x => x[0].Erf(),
        ["erfinv"] = x => x[0].Erfinv(),
        ["floor"] = x => x[0].Floor(),
        ["ceil"] = x => x[0].Ceil(),
        ["round"] = x => x[0].Round(),
        ["trunc"] = x => x[0].Trunc(),
        ["frac"] = x => x[0].Frac(),
        ["fmod"] = x => x[0].Fmod(x[1]),
        ["remainder"] = x => x[0].Remainder(x[1]),
        ["reciprocal"] = x => x[0].Reciprocal(),
        ["rsqrt"] = x => x[0].Rsqrt(),
        ["square"] = x => x[0].Square(),
        ["isnan"] = x => x[0].IsNan(),
        ["isinf"] = x => x[0].IsInf(),
        ["isfinite"] = x => x[0].IsFinite(),
        ["nan_to_num"] = x => x[0].NanToNum(),
        ["nan_to_num_values"] = x => x[0].NanToNum(nan: -1, posinf: 7, neginf: -8),
        ["lerp"] = x => x[0].Lerp(x[1], x[2]),
        ["lerp_scalar"] = x => x[0].Lerp(x[1], 0.75),
        ["hypot"] = x => x[0].Hypot(x[1]),
        ["elu"] = x => F.Elu(x[0], 0.7),
        ["selu"] = x => F.Selu(x[0]),
        ["celu"] = x => F.Celu(x[0], 1.5),
        ["softplus_beta"] = x => F.Softplus(x[0], beta: 2, threshold: 5),
        ["softplus_default"] = x => F.Softplus(x[0]),
        ["mish"] = x => F.Mish(x[0]),
        ["hardtanh"] = x => F.Hardtanh(x[0], -1, 1),
        ["relu6"] = x => F.Relu6(x[0]),
        ["hardswish"] = x => F.Hardswish(x[0]),
        ["hardsigmoid"] = x => F.Hardsigmoid(x[0]),
        ["logsigmoid"] = x => F.LogSigmoid(x[0]),
        ["prelu_shared"] = x => F.Prelu(x[0], x[1]),
        ["prelu_channels"] = x => F.Prelu(x[0], x[1]),
        ["softmin"] = x => F.Softmin(x[0], 1),
        ["glu"] = x => F.Glu(x[0], 1),
        ["glu_last"] = x => F.Glu(x[0]),
    };

    // the largest double has no Float32 value, and erf⁻¹ near ±1 magnifies Float32's rounding of its input 10⁴-fold
    private static readonly HashSet<string> Float64Only = ["nan_to_num", "erfinv"];

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => GoldenTests.Load("ported_ops.json"));

    public static TheoryData<string> Names => new(Ops.Keys);

    public static TheoryData<string> Float32Names => new(Ops.Keys.Where(n => !Float64Only.Contains(n)));

    [Fact]
    public void Every_golden_case_has_an_op()
    {
        Assert.Equal(Cases.Value.Keys.Order(), Ops.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Float64_matches_PyTorch_to_1e_10(string name) =>
        GoldenTests.Compare(name, Cases.Value[name], Ops[name], DType.Float64, 1e-10);

    [Theory]
    [MemberData(nameof(Float32Names))]
    public void Float32_matches_PyTorch_to_1e_5(string name) =>
        GoldenTests.Compare(name, Cases.Value[name], Ops[name], DType.Float32, 1e-5);
}
