using System.Text.Json;

namespace Backprop.Tests.Tensors;

/// <summary>
/// Result dtypes and values of mixed-dtype ops against PyTorch's (tools/golden/make_dtype_golden.py), bit for bit:
/// outputs, and gradients in each input's own dtype. A C# double stands where the case has a Python float, a long
/// where it has a Python int.
/// </summary>
public class DTypeGoldenTests
{
    private static readonly Dictionary<string, Func<Tensor[], Tensor>> Ops = new()
    {
        ["int_div_int_scalar"] = x => x[0] / 10,
        ["int_div_int_tensor"] = x => x[0] / x[1],
        ["int_mul_float_scalar"] = x => x[0] * 2.5,
        ["int_mul_int_scalar"] = x => x[0] * 2,
        ["int_add_float_scalar"] = x => x[0] + 0.5,
        ["int_sub_int_scalar"] = x => x[0] - 3,
        ["int_rsub_int_scalar"] = x => 3 - x[0],
        ["int_rdiv_int_scalar"] = x => 1 / x[0],
        ["int_pow_int_scalar"] = x => x[0].Pow(3),
        ["int_pow_float_scalar"] = x => x[0].Pow(2.0),
        ["int_pow_int_tensor"] = x => x[0].Pow(x[1]),
        ["int_mul_float_scalar_default_f64"] = x => x[0] * 2.5,
        ["int_div_int_scalar_default_f64"] = x => x[0] / 10,
        ["float32_add_float_scalar"] = x => x[0] + 0.1,
        ["float32_mul_int_scalar"] = x => x[0] * 3,
        ["float32_add_float64"] = x => x[0] + x[1],
        ["float32_mul_float64"] = x => x[0] * x[1],
        ["float64_div_float32"] = x => x[0] / x[1],
        ["float32_mul_float64_zero_dim"] = x => x[0] * x[1],
        ["int_add_float64_zero_dim"] = x => x[0] + x[1],
        ["int_mul_float32"] = x => x[0] * x[1],
        ["float32_maximum_float64"] = x => x[0].Maximum(x[1]),
        ["bool_add_bool"] = x => x[0] + x[1],
        ["bool_mul_bool"] = x => x[0] * x[1],
        ["bool_maximum_bool"] = x => x[0].Maximum(x[1]),
        ["bool_add_int"] = x => x[0] + x[1],
        ["bool_mul_int_scalar"] = x => x[0] * 2,
        ["bool_mul_float_scalar"] = x => x[0] * 2.5,
        ["bool_pow_int_scalar"] = x => x[0].Pow(2),
        ["bool_div_bool"] = x => x[0] / x[1],
        ["bool_mul_float32"] = x => x[0] * x[1],
        ["bool_sum"] = x => x[0].Sum(),
        ["bool_sum_dim"] = x => x[0].Sum(1),
        ["float32_div_3"] = x => x[0] / 3,
        ["float64_div_3"] = x => x[0] / 3,
        ["float32_div_float_scalar"] = x => x[0] / 0.1,
        ["float32_div_float32"] = x => x[0] / x[1],
        ["float32_div_3_grad"] = x => x[0] / 3,
        ["float_rdiv_float32"] = x => 1.0 / x[0],
        ["float32_mean"] = x => x[0].Mean(),
        ["int_gt_float_scalar"] = x => x[0].Gt(0.5),
        ["int_eq_float_scalar"] = x => x[0].Eq(1.0),
        ["float32_eq_float64"] = x => x[0].Eq(x[1]),
        ["float32_lt_float32"] = x => x[0].Lt(x[1]),
        ["float32_le_int"] = x => x[0].Le(x[1]),
        ["float32_ge_float_scalar"] = x => x[0].Ge(0.1),
        ["float64_ne_float64"] = x => x[0].Ne(x[1]),
        ["bool_gt_bool"] = x => x[0].Gt(x[1]),
        ["int_ne_int_scalar"] = x => x[0].Ne(2),
        ["where_bool_int_float32"] = x => Tensor.Where(x[0], x[1], x[2]),
        ["logical_not_float"] = x => x[0].LogicalNot(),
        ["logical_and_int_float"] = x => x[0].LogicalAnd(x[1]),
        ["logical_or_bool"] = x => x[0].LogicalOr(x[1]),
        ["logical_xor_bool"] = x => x[0].LogicalXor(x[1]),
        ["any_dim"] = x => x[0].Any(1),
        ["all_dim"] = x => x[0].All(0),
        ["any_float"] = x => x[0].Any(),
        ["all_int"] = x => x[0].All(),
        ["float_to_bool"] = x => x[0].To(DType.Bool),
        ["bool_to_float32"] = x => x[0].To(DType.Float32),
        ["bool_to_int"] = x => x[0].To(DType.Int64),
        ["linspace_one_step"] = _ => Tensor.Linspace(3, 7, 1),
        ["linspace_five_steps"] = _ => Tensor.Linspace(-1, 1, 5),
        ["linspace_default_f64"] = _ => Tensor.Linspace(0, 1, 3),
        ["zeros_default_f64"] = _ => Tensor.Zeros([2]),
    };

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases =
        new(() => GoldenTests.Load("dtype_rules.json"));

    public static TheoryData<string> Names => new(Ops.Keys);

    [Fact]
    public void Every_golden_case_has_an_op()
    {
        Assert.Equal(Cases.Value.Keys.Order(), Ops.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Dtype_and_values_match_PyTorch(string name)
    {
        var c = Cases.Value[name];
        Tensor.SetDefaultDType(Parse(c.GetProperty("default_dtype")));
        try
        {
            var inputs = c.GetProperty("inputs").EnumerateArray()
                .Select(e => Read(e).RequiresGrad_(e.GetProperty("requires_grad").GetBoolean())).ToArray();
            var y = Ops[name](inputs);
            AssertSame($"{name} output", c.GetProperty("output"), y);
            if (!c.TryGetProperty("grads", out var grads)) return;
            y.Backward(Read(c.GetProperty("grad_output")));
            var expected = grads.EnumerateArray().ToArray();
            for (int i = 0; i < inputs.Length; i++)
            {
                if (expected[i].ValueKind == JsonValueKind.Null) Assert.Null(inputs[i].Grad);
                else AssertSame($"{name} grad {i}", expected[i], inputs[i].Grad!);
            }
        }
        finally { Tensor.SetDefaultDType(DType.Float32); }
    }

    private static DType Parse(JsonElement e) => Enum.Parse<DType>(e.GetString()!);

    private static double Value(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.True => 1,
        JsonValueKind.False => 0,
        JsonValueKind.String => v.GetString() switch
        {
            "nan" => double.NaN,
            "inf" => double.PositiveInfinity,
            _ => double.NegativeInfinity,
        },
        _ => v.GetDouble(),
    };

    private static Tensor Read(JsonElement e)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(Value).ToArray();
        return Parse(e.GetProperty("dtype")) switch
        {
            DType.Float32 => Tensor.FromArray(data.Select(v => (float)v).ToArray(), shape),
            DType.Float64 => Tensor.FromArray(data, shape),
            DType.Int64 => Tensor.FromArray(data.Select(v => (long)v).ToArray(), shape),
            _ => Tensor.FromArray(data.Select(v => v != 0).ToArray(), shape),
        };
    }

    // same dtype, shape and values (NaN matching NaN)
    private static void AssertSame(string what, JsonElement expected, Tensor actual)
    {
        var dtype = Parse(expected.GetProperty("dtype"));
        Assert.True(dtype == actual.DType, $"{what}: PyTorch gives {dtype}, ours {actual.DType}");
        Assert.Equal(expected.GetProperty("shape").EnumerateArray().Select(s => s.GetInt32()).ToArray(), actual.Shape);
        var e = expected.GetProperty("data").EnumerateArray().Select(Value).ToArray();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(e[i].Equals(a[i]), $"{what}[{i}]: PyTorch {e[i]:R}, ours {a[i]:R}");
    }
}
