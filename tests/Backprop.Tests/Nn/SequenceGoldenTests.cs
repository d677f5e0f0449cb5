using System.Text.Json;
using Backprop.Nn;

namespace Backprop.Tests.Nn;

/// <summary>
/// The recurrent and attention modules against PyTorch (tools/golden/make_sequence_golden.py, sequence_modules.json):
/// each case loads PyTorch's state dict by name into our module, so names and layouts are checked with the values;
/// then outputs, input gradients and parameter gradients must agree.
/// </summary>
public class SequenceGoldenTests
{
    internal static readonly int[] Lengths = [5, 3, 1];
    private static readonly bool[] KeyPadding = [false, false, false, true, false, false, false, false];
    private static readonly bool[] MaskAllowed =
        [true, false, true, true, true, true, false, true, false, true, true, true];

    private sealed record Case(Func<DType, Module?> Build, Func<Module?, Tensor[], Tensor[]> Run);

    private static Case Cell<T>(Func<DType, T> build, Func<T, Tensor[], Tensor[]> run) where T : Module =>
        new(d => build(d), (m, x) => run((T)m!, x));

    private static TransformerOptions Small(bool batchFirst = false, bool normFirst = false,
        string activation = "relu") =>
        new(8, 2, DimFeedforward: 16, Dropout: 0, Activation: activation, BatchFirst: batchFirst, NormFirst: normFirst);

    private static Tensor Bools(bool[] values, params int[] shape) => Tensor.FromArray(values, shape);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["rnn_cell_tanh"] = Cell(d => new RNNCell(4, 5, dtype: d), (m, x) => [m.Forward(x[0], x[1])]),
        ["rnn_cell_relu"] = Cell(d => new RNNCell(4, 5, nonlinearity: "relu", dtype: d),
            (m, x) => [m.Forward(x[0], x[1])]),
        ["lstm_cell"] = Cell(d => new LSTMCell(4, 5, dtype: d), (m, x) =>
        {
            var s = m.Forward(x[0], new LstmState(x[1], x[2]));
            return [s.H, s.C];
        }),
        ["gru_cell"] = Cell(d => new GRUCell(4, 5, dtype: d), (m, x) => [m.Forward(x[0], x[1])]),
        ["gru_cell_unbatched"] = Cell(d => new GRUCell(3, 2, bias: false, dtype: d), (m, x) => [m.Forward(x[0], x[1])]),
        ["rnn_2_layers_bidirectional"] = Cell(d => new RNN(4, 3, numLayers: 2, bidirectional: true, dtype: d), (m, x) =>
        {
            var (o, h) = m.Forward(x[0], x[1]);
            return [o, h];
        }),
        ["rnn_relu_unbatched"] = Cell(d => new RNN(3, 4, nonlinearity: "relu", dtype: d), (m, x) =>
        {
            var (o, h) = m.Forward(x[0], null);
            return [o, h];
        }),
        ["lstm_2_layers_bidirectional_batch_first"] = Cell(
            d => new LSTM(4, 3, numLayers: 2, bidirectional: true, batchFirst: true, dtype: d), (m, x) =>
            {
                var (o, s) = m.Forward(x[0], new LstmState(x[1], x[2]));
                return [o, s.H, s.C];
            }),
        ["lstm_lengths_bidirectional"] = Cell(d => new LSTM(4, 3, bidirectional: true, dtype: d), (m, x) =>
        {
            var (o, s) = m.Forward(x[0], null, Lengths);
            return [o, s.H, s.C];
        }),
        ["gru_2_layers_lengths"] = Cell(d => new GRU(4, 3, numLayers: 2, dtype: d), (m, x) =>
        {
            var (o, h) = m.Forward(x[0], null, Lengths);
            return [o, h];
        }),
        ["gru_no_bias"] = Cell(d => new GRU(3, 4, bias: false, dtype: d), (m, x) =>
        {
            var (o, h) = m.Forward(x[0], x[1]);
            return [o, h];
        }),
        ["sdpa_mask"] = new(_ => null,
            (_, x) => [F.ScaledDotProductAttention(x[0], x[1], x[2], Bools(MaskAllowed, 3, 4))]),
        ["sdpa_causal_float_mask"] = new(_ => null,
            (_, x) => [F.ScaledDotProductAttention(x[0], x[1], x[2], x[3], isCausal: true)]),
        ["mha_self_key_padding"] = Cell(d => new MultiheadAttention(6, 2, dtype: d), (m, x) =>
        {
            var (o, w) = m.Forward(x[0], x[0], x[0], keyPaddingMask: Bools(KeyPadding, 2, 4));
            return [o, w!];
        }),
        ["mha_cross_batch_first_mask"] = Cell(d => new MultiheadAttention(6, 3, batchFirst: true, dtype: d), (m, x) =>
        {
            var (o, w) = m.Forward(x[0], x[1], x[2], attnMask: Bools(MaskAllowed, 3, 4).LogicalNot());
            return [o, w!];
        }),
        ["encoder_layer_post_norm"] = Cell(d => new TransformerEncoderLayer(Small(), dtype: d), (m, x) =>
        {
            bool[] padding = [false, false, false, false, true, false, false, false, false, false];
            return [m.Forward(x[0], null, Bools(padding, 2, 5))];
        }),
        ["encoder_layer_pre_norm_gelu_causal"] = Cell(
            d => new TransformerEncoderLayer(Small(batchFirst: true, normFirst: true, activation: "gelu"), dtype: d),
            (m, x) => [m.Forward(x[0], Transformer.GenerateSquareSubsequentMask(5, x[0].DType), null)]),
        ["decoder_layer"] = Cell(d => new TransformerDecoderLayer(Small(), dtype: d),
            (m, x) => [m.Forward(x[0], x[1], tgtMask: Transformer.GenerateSquareSubsequentMask(4, x[0].DType))]),
        ["transformer"] = Cell(d => new Transformer(Small(batchFirst: true), 2, 1, dtype: d),
            (m, x) => [m.Forward(x[0], x[1], tgtMask: Transformer.GenerateSquareSubsequentMask(4, x[0].DType))]),
    };

    private static readonly Lazy<JsonElement> Document = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "sequence_modules.json"))).RootElement);

    private static Dictionary<string, JsonElement> Golden() =>
        Document.Value.GetProperty("cases").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);

    /// <summary>The GAN losses' logits, losses and gradients the generator computed.</summary>
    internal static JsonElement GanLosses => Document.Value.GetProperty("gan_losses");

    /// <summary>The captioning losses the generator computed, by cell type.</summary>
    internal static double CaptioningLoss(string cell) =>
        Document.Value.GetProperty("captioning_loss").GetProperty(cell).GetDouble();

    public static TheoryData<string> Names => new(Cases.Keys);

    [Fact]
    public void Every_golden_case_has_a_module()
    {
        Assert.Equal(Golden().Keys.Order(), Cases.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Float64_matches_PyTorch_to_1e_9(string name) => Compare(name, DType.Float64, 1e-9);

    [Theory]
    [MemberData(nameof(Names))]
    public void Float32_matches_PyTorch_to_1e_4(string name) => Compare(name, DType.Float32, 1e-4);

    /// <summary>Replays a case and compares its outputs and every gradient with PyTorch's.</summary>
    private static void Compare(string name, DType dtype, double tol)
    {
        var golden = Golden()[name];
        var c = Cases[name];
        var module = c.Build(dtype);
        if (module is not null)
        {
            var state = golden.GetProperty("params").EnumerateArray()
                .ToDictionary(p => p.GetProperty("name").GetString()!, p => Read(p, dtype));
            module.LoadStateDict(state);
        }
        var inputs = golden.GetProperty("inputs").EnumerateArray()
            .Select(e => Read(e, dtype).RequiresGrad_()).ToArray();
        var outputs = c.Run(module, inputs);
        var expected = golden.GetProperty("outputs").EnumerateArray().ToArray();
        Assert.Equal(expected.Length, outputs.Length);
        var gradOutputs = golden.GetProperty("grad_outputs").EnumerateArray().Select(e => Read(e, dtype)).ToArray();
        Tensor? loss = null;
        for (int i = 0; i < outputs.Length; i++)
        {
            AssertClose($"{name} output {i}", expected[i], outputs[i], tol);
            var term = (outputs[i] * gradOutputs[i]).Sum();
            loss = loss is null ? term : loss + term;
        }
        loss!.Backward();
        var inputGrads = golden.GetProperty("input_grads").EnumerateArray().ToArray();
        for (int i = 0; i < inputs.Length; i++)
            AssertClose($"{name} input grad {i}", inputGrads[i], inputs[i].Grad ?? Tensor.ZerosLike(inputs[i]), tol);
        if (module is null) return;
        var parameters = module.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var names = golden.GetProperty("params").EnumerateArray()
            .Select(p => p.GetProperty("name").GetString()!).ToArray();
        var paramGrads = golden.GetProperty("param_grads").EnumerateArray().ToArray();
        for (int i = 0; i < names.Length; i++)
            AssertClose($"{name} grad of {names[i]}", paramGrads[i], parameters[names[i]].Grad!, tol);
    }

    /// <summary>The values of a golden tensor, for comparing with a tensor's <c>ToArray</c>.</summary>
    internal static double[] Values(JsonElement e) =>
        e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();

    internal static Tensor Read(JsonElement e, DType dtype)
    {
        var shape = e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt32()).ToArray();
        var data = e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return Tensor.FromArray(data, shape).To(dtype);
    }

    private static void AssertClose(string what, JsonElement expected, Tensor actual, double tol)
    {
        var shape = expected.GetProperty("shape").EnumerateArray().Select(s => s.GetInt32()).ToArray();
        Assert.Equal(shape, actual.Shape);
        var e = expected.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(a[i] - e[i]) <= tol * Math.Max(1, Math.Abs(e[i])),
                $"{what}[{i}]: PyTorch {e[i]:R}, ours {a[i]:R}");
    }
}
