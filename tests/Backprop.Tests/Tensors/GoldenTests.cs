using System.Globalization;
using System.Text.Json;

namespace Backprop.Tests.Tensors;

/// <summary>Outputs and gradients against PyTorch's (tools/golden/make_golden.py), in Float64 and Float32.</summary>
public class GoldenTests
{
    private static readonly long[][] GatherIndex = [[0, 2], [1, 1], [2, 0]];
    private static readonly long[][] ScatterIndex = [[1, 0, 1], [0, 0, 1]];
    private static readonly long[] SelectIndex = [2, 0, 2, 1];
    private static readonly long[][] EmbedIndex = [[3, 0], [1, 3], [2, 2]];

    private static Tensor Index(long[][] rows) => Tensor.FromArray(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);

    private static readonly Dictionary<string, Func<Tensor[], Tensor>> Ops = new()
    {
        ["add"] = x => x[0] + x[1],
        ["sub"] = x => x[0] - x[1],
        ["mul"] = x => x[0] * x[1],
        ["div"] = x => x[0] / x[1],
        ["pow"] = x => x[0].Pow(x[1]),
        ["pow_scalar"] = x => x[0].Pow(2.5),
        ["maximum"] = x => x[0].Maximum(x[1]),
        ["minimum"] = x => x[0].Minimum(x[1]),
        ["neg"] = x => -x[0],
        ["exp"] = x => x[0].Exp(),
        ["log"] = x => x[0].Log(),
        ["sqrt"] = x => x[0].Sqrt(),
        ["abs"] = x => x[0].Abs(),
        ["tanh"] = x => x[0].Tanh(),
        ["sigmoid"] = x => x[0].Sigmoid(),
        ["relu"] = x => x[0].Relu(),
        ["leaky_relu"] = x => F.LeakyRelu(x[0], 0.2),
        ["gelu"] = x => F.Gelu(x[0]),
        ["gelu_tanh"] = x => F.Gelu(x[0], tanhApproximation: true),
        ["silu"] = x => F.Silu(x[0]),
        ["softplus"] = x => F.Softplus(x[0]),
        ["clamp"] = x => x[0].Clamp(-0.5, 0.7),
        ["where"] = x => Tensor.Where(x[0].Gt(0), x[0], x[1]),
        ["sum_dims"] = x => x[0].Sum([0, 2], keepDim: true),
        ["mean"] = x => x[0].Mean(1),
        ["max_dim"] = x => x[0].Max(1).Values,
        ["min_dim"] = x => x[0].Min(0).Values,
        ["amax"] = x => x[0].Amax([-1]),
        ["logsumexp"] = x => x[0].LogSumExp(1),
        ["var"] = x => x[0].Var([1]),
        ["std"] = x => x[0].Std([0], correction: 0),
        ["matmul"] = x => x[0].MatMul(x[1]),
        ["matmul_batched"] = x => x[0].MatMul(x[1]),
        ["matmul_vector"] = x => x[0].MatMul(x[1]),
        ["cat"] = x => Tensor.Cat([x[0], x[1]], dim: 1),
        ["stack"] = x => Tensor.Stack([x[0], x[1]]),
        ["gather"] = x => x[0].Gather(1, Index(GatherIndex)),
        ["scatter_add"] = x => Tensor.ScatterAdd(x[0], 0, Index(ScatterIndex), x[1]),
        ["index_select"] = x => x[0].IndexSelect(0, Tensor.FromArray(SelectIndex)),
        ["embedding"] = x => F.Embedding(Index(EmbedIndex), x[0]),
        ["permute_reshape"] = x => x[0].Permute(2, 0, 1).Reshape(4, 6) * 2,
        ["slice"] = x => x[0][1.., ..].Slice(1, 0, 5, 2),
    };

    private static readonly Lazy<Dictionary<string, JsonElement>> Cases = new(() => Load("tensor_ops.json"));

    /// <summary>The cases of a golden file, by name.</summary>
    internal static Dictionary<string, JsonElement> Load(string fileName)
    {
        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", fileName)));
        return doc.RootElement.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
    }

    public static TheoryData<string> Names => new(Ops.Keys);

    /// <summary>The names of every case.</summary>
    internal static IEnumerable<string> CaseNames => Ops.Keys;

    [Fact]
    public void Every_golden_case_has_an_op()
    {
        Assert.Equal(Cases.Value.Keys.Order(), Ops.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Float64_matches_PyTorch_to_1e_10(string name) => Compare(name, DType.Float64, 1e-10);

    [Theory]
    [MemberData(nameof(Names))]
    public void Float32_matches_PyTorch_to_1e_5(string name) => Compare(name, DType.Float32, 1e-5);

    private static void Compare(string name, DType dtype, double tol) => Compare(name, Cases.Value[name], Ops[name], dtype, tol);

    /// <summary>Replays the named case with its inputs on <paramref name="device"/> (cases whose op makes CPU index tensors excluded by the caller).</summary>
    internal static void CompareOn(Device device, string name, DType dtype, double tol) => Compare(name, Cases.Value[name], Ops[name], dtype, tol, device);

    /// <summary>Replays one case in <paramref name="dtype"/> and compares the output and every input gradient.</summary>
    internal static void Compare(string name, JsonElement c, Func<Tensor[], Tensor> op, DType dtype, double tol, Device? device = null)
    {
        var on = device ?? Device.Cpu;
        var inputs = c.GetProperty("inputs").EnumerateArray().Select(e => Read(e, dtype).To(on).RequiresGrad_()).ToArray();
        var y = op(inputs);
        AssertClose($"{name} output", c.GetProperty("output"), y, tol, dtype);
        var grads = c.GetProperty("grads").EnumerateArray().ToArray();
        if (grads.Length == 0) return;   // a mask or an index: PyTorch records no gradient, and neither do we
        y.Backward(Read(c.GetProperty("grad_output"), dtype).To(on));
        for (int i = 0; i < inputs.Length; i++) AssertClose($"{name} grad {i}", grads[i], inputs[i].Grad!, tol, dtype);
    }

    private static Tensor Read(JsonElement e, DType dtype)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt32()).ToArray();
        return Tensor.FromArray(Numbers(e), shape).To(dtype);
    }

    // the generator writes NaN and the infinities, which JSON lacks, as strings
    private static double[] Numbers(JsonElement e) => e.GetProperty("data").EnumerateArray()
        .Select(v => v.ValueKind == JsonValueKind.String ? double.Parse(v.GetString()!, CultureInfo.InvariantCulture)
            : v.GetDouble()).ToArray();

    // relative tolerance; Float32 gets an absolute floor of tol (its rounding is relative to O(1) inputs)
    private static void AssertClose(string what, JsonElement expected, Tensor actual, double tol, DType dtype)
    {
        var shape = expected.GetProperty("shape").EnumerateArray().Select(s => s.GetInt32()).ToArray();
        Assert.Equal(shape, actual.Shape);
        var e = Numbers(expected);
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
        {
            if (!double.IsFinite(e[i]))
            {
                Assert.True(e[i].Equals(a[i]), $"{what}[{i}]: PyTorch {e[i]:R}, ours {a[i]:R}");
                continue;
            }
            double bound = tol * (dtype == DType.Float32 ? Math.Max(1, Math.Abs(e[i])) : Math.Abs(e[i]) + 1e-6);
            Assert.True(Math.Abs(a[i] - e[i]) <= bound, $"{what}[{i}]: PyTorch {e[i]:R}, ours {a[i]:R}");
        }
    }
}
