using Backprop.Nn;

namespace Backprop.Tests.Nn;

/// <summary>
/// The recurrent steps and attention against centered differences in Float64: the functional forms with respect to
/// every input and weight, the modules with respect to their inputs and initial states (their weights' gradients are
/// matched with PyTorch's in <see cref="SequenceGoldenTests"/>).
/// </summary>
public class SequenceGradientTests
{
    private sealed record Case(Func<Tensor[], Tensor> F, int[][] Shapes);

    private static T Seeded<T>(Func<Generator, T> build) => build(new Generator(3));

    private static readonly RNN Rnn =
        Seeded(g => new RNN(3, 4, nonlinearity: "relu", generator: g, dtype: DType.Float64));
    private static readonly LSTM Lstm =
        Seeded(g => new LSTM(3, 2, numLayers: 2, bidirectional: true, generator: g, dtype: DType.Float64));
    private static readonly GRU Gru =
        Seeded(g => new GRU(2, 3, bidirectional: true, batchFirst: true, generator: g, dtype: DType.Float64));
    private static readonly MultiheadAttention Attention =
        Seeded(g => new MultiheadAttention(4, 2, generator: g, dtype: DType.Float64));
    private static readonly TransformerOptions Options = new(4, 2, DimFeedforward: 6, Dropout: 0, Activation: "gelu");
    private static readonly TransformerEncoderLayer Encoder =
        Seeded(g => new TransformerEncoderLayer(Options with { NormFirst = true }, g, DType.Float64));
    private static readonly TransformerDecoderLayer Decoder =
        Seeded(g => new TransformerDecoderLayer(Options with { BatchFirst = true }, g, DType.Float64));

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["RnnCell"] = new(x => F.RnnCell(x[0], x[1], x[2], x[3], x[4], x[5]),
            [[3, 2], [3, 4], [4, 2], [4, 4], [4], [4]]),
        ["RnnCellUnbatchedNoBias"] = new(x => F.RnnCell(x[0], x[1], x[2], x[3]), [[2], [1], [1, 2], [1, 1]]),
        ["LstmCell"] = new(x => Pair(F.LstmCell(x[0], x[1], x[2], x[3], x[4], x[5], x[6])),
            [[2, 3], [2, 2], [2, 2], [8, 3], [8, 2], [8], [8]]),
        ["LstmCellSingle"] = new(x => Pair(F.LstmCell(x[0], x[1], x[2], x[3], x[4])),
            [[1, 1], [1, 1], [1, 1], [4, 1], [4, 1]]),
        ["LstmGates"] = new(x => F.LstmGates(x[0], x[1]), [[3, 8], [3, 2]]),
        ["LstmGatesUnbatched"] = new(x => F.LstmGates(x[0] * 3, x[1]), [[4], [1]]),
        ["LstmSequence"] = new(x => F.LstmSequence(x[0], x[1], x[2], x[3], x[4], false, null),
            [[3, 2, 8], [2, 2], [2, 2], [8, 2], [8]]),
        ["LstmSequenceReverseMasked"] = new(x => F.LstmSequence(x[0], x[1], x[2], x[3], null, true, Mask),
            [[3, 2, 8], [2, 2], [2, 2], [8, 2]]),
        ["GruSequence"] = new(x => F.GruSequence(x[0], x[1], x[2], x[3], false, null),
            [[3, 2, 6], [2, 2], [6, 2], [6]]),
        ["GruSequenceReverseMasked"] = new(x => F.GruSequence(x[0], x[1], x[2], null, true, Mask),
            [[3, 2, 6], [2, 2], [6, 2]]),
        ["GruCell"] = new(x => F.GruCell(x[0], x[1], x[2], x[3], x[4], x[5]),
            [[2, 3], [2, 2], [6, 3], [6, 2], [6], [6]]),
        ["Attention"] = new(x => F.ScaledDotProductAttention(x[0], x[1], x[2]), [[2, 3, 4], [2, 5, 4], [2, 5, 2]]),
        ["AttentionCausalMasked"] = new(x => F.ScaledDotProductAttention(x[0], x[1], x[2],
            Tensor.FromArray([true, true, false, true], [1, 4]), isCausal: true),
            [[2, 1, 4, 3], [2, 1, 4, 3], [1, 2, 4, 2]]),
        ["AttentionFloatMaskScaled"] = new(x => F.ScaledDotProductAttention(x[0], x[1], x[2], x[3], scale: 0.3),
            [[3, 2], [4, 2], [4, 3], [3, 4]]),
        ["RnnModuleUnbatched"] = new(x => Rnn.Forward(x[0], x[1]).Output, [[5, 3], [1, 4]]),
        ["LstmModuleLengths"] = new(x =>
        {
            var (o, s) = Lstm.Forward(x[0], new LstmState(x[1], x[2]), [4, 2, 3]);
            return Tensor.Cat([o.Reshape(-1), s.H.Reshape(-1), s.C.Reshape(-1)]);
        }, [[4, 3, 3], [4, 3, 2], [4, 3, 2]]),
        ["GruModuleBatchFirst"] = new(x =>
        {
            var (o, h) = Gru.Forward(x[0], x[1]);
            return Tensor.Cat([o.Reshape(-1), h.Reshape(-1)]);
        }, [[2, 3, 2], [2, 2, 3]]),
        ["MultiheadAttentionKeyPadding"] = new(x =>
        {
            var padding = Tensor.FromArray([false, true, false, false, false, false], [2, 3]);
            var (o, w) = Attention.Forward(x[0], x[1], x[2], padding);
            return Tensor.Cat([o.Reshape(-1), w!.Reshape(-1)]);
        }, [[2, 2, 4], [3, 2, 4], [3, 2, 4]]),
        ["EncoderLayerPreNorm"] = new(x => Encoder.Forward(x[0], F.CausalMask(3, 3).LogicalNot(), null), [[3, 2, 4]]),
        ["DecoderLayerPostNorm"] = new(x => Decoder.Forward(x[0], x[1]), [[2, 3, 4], [2, 2, 4]]),
    };

    // the second row's sequence ends after its first step
    private static readonly Tensor Mask = Tensor.FromArray([true, true, true, false, true, false], [3, 2, 1]);

    private static Tensor Pair((Tensor H, Tensor C) state) => Tensor.Cat([state.H, state.C], -1);

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradient_matches_centered_differences(string name)
    {
        var c = Cases[name];
        var gen = new Generator(11 + Cases.Keys.ToList().IndexOf(name));
        var inputs = c.Shapes.Select(s => Tensor.Randn(s, DType.Float64, gen, requiresGrad: true)).ToArray();
        var result = GradCheck.Check(c.F, inputs);
        Assert.True(result.Passed, $"{name}\n{result}");
    }

    [Fact]
    public void Fused_lstm_gates_differentiate_twice()
    {
        var gen = new Generator(5);
        Tensor[] inputs =
            [Tensor.Randn([2, 12], DType.Float64, gen, true), Tensor.Randn([2, 3], DType.Float64, gen, true)];
        var result = GradCheck.GradGradCheck(x => F.LstmGates(x[0], x[1]), inputs);
        Assert.True(result.Passed, result.ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Recurrent_sequences_differentiate_twice(bool masked)
    {
        var gen = new Generator(6);
        int[][] lstmShapes = [[3, 2, 8], [2, 2], [2, 2], [8, 2], [8]], gruShapes = [[3, 2, 6], [2, 2], [6, 2], [6]];
        var lstm = GradCheck.GradGradCheck(
            x => F.LstmSequence(x[0], x[1], x[2], x[3], x[4], masked, masked ? Mask : null),
            [.. lstmShapes.Select(s => Tensor.Randn(s, DType.Float64, gen, true))]);
        Assert.True(lstm.Passed, lstm.ToString());
        var gru = GradCheck.GradGradCheck(x => F.GruSequence(x[0], x[1], x[2], x[3], masked, masked ? Mask : null),
            [.. gruShapes.Select(s => Tensor.Randn(s, DType.Float64, gen, true))]);
        Assert.True(gru.Passed, gru.ToString());
    }

    // the sequence ops against the loops of recorded steps they replace: the forward bits, and every gradient to
    // rounding (the weight gradient is one product over all steps, summed in another order)
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Lstm_sequence_equals_its_steps(bool reverse, bool masked) => SequenceEqualsItsSteps(4, reverse,
        masked, x => F.LstmSequence(x[0], x[1], x[2], x[3], x[4], reverse, Valid(masked)), (x, t, state) =>
        {
            var (h, c) = F.LstmStep(x[0][t], state.Select(0, 0), state.Select(0, 1), x[3], x[4]);
            return Tensor.Stack([h, c]);
        });

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Gru_sequence_equals_its_steps(bool reverse, bool masked) => SequenceEqualsItsSteps(3, reverse, masked,
        x => F.GruSequence(x[0], x[1], x[3], x[4], reverse, Valid(masked)),
        (x, t, h) => F.GruStep(x[0][t], h, x[3], x[4]));

    private const int Steps = 7, Batch = 5, Hidden = 40;

    private static Tensor? Valid(bool masked) => masked
        ? Tensor.FromArray([7L, 2, 5, 1, 7], [1, Batch, 1]).Gt(Tensor.Arange(Steps, DType.Int64).Reshape(Steps, 1, 1))
        : null;

    // inputs: gates [T, B, gates·H], h0, c0 (unused by the GRU), weight_hh, bias_hh; a step maps the state before
    // it ([B, H], or [2, B, H] for the LSTM) to the state after it
    private static void SequenceEqualsItsSteps(int gates, bool reverse, bool masked, Func<Tensor[], Tensor> sequence,
        Func<Tensor[], int, Tensor, Tensor> step)
    {
        var gen = new Generator(4);
        Tensor[] inputs = [Tensor.Randn([Steps, Batch, gates * Hidden], generator: gen),
            Tensor.Randn([Batch, Hidden], generator: gen), Tensor.Randn([Batch, Hidden], generator: gen),
            Tensor.Randn([gates * Hidden, Hidden], generator: gen) * 0.2,
            Tensor.Randn([gates * Hidden], generator: gen)];
        var valid = Valid(masked);
        var fusedInputs = inputs.Select(x => x.Detach().RequiresGrad_()).ToArray();
        var fused = sequence(fusedInputs);
        var upstream = Tensor.Randn(fused.shape, generator: gen);
        (fused * upstream).Sum().Backward();

        var loopInputs = inputs.Select(x => x.Detach().RequiresGrad_()).ToArray();
        var states = new Tensor[Steps];
        var state = gates == 4 ? Tensor.Stack([loopInputs[1], loopInputs[2]]) : loopInputs[1];
        for (int i = 0; i < Steps; i++)
        {
            int t = reverse ? Steps - 1 - i : i;
            var next = step(loopInputs, t, state);
            states[t] = state = valid is null ? next : Tensor.Where(valid[t], next, state);
        }
        var looped = Tensor.Stack(states);
        (looped * upstream).Sum().Backward();

        Assert.Equal(looped.ToArray<float>(), fused.ToArray<float>());
        for (int k = 0; k < inputs.Length; k++)
        {
            if (loopInputs[k].Grad is null) continue;   // the GRU has no cell state
            var (a, b) = (fusedInputs[k].Grad!.ToArray<float>(), loopInputs[k].Grad!.ToArray<float>());
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4 * Math.Max(1, Math.Abs(b[i])),
                    $"input {k} [{i}]: {a[i]} vs {b[i]}");
        }
    }

    // the fused kernel against its unfused spelling: values and both gradients, to rounding
    [Theory]
    [InlineData(DType.Float32, 1e-6)]
    [InlineData(DType.Float64, 1e-14)]
    public void Fused_lstm_gates_equal_their_unfused_spelling(DType dtype, double tol)
    {
        var gen = new Generator(9);
        var gates = (Tensor.Randn([64, 4 * 300], dtype, gen) * 3).RequiresGrad_();   // large enough to use the threads
        var c = Tensor.Randn([64, 300], dtype, gen).RequiresGrad_();
        var (gh, gc) = (Tensor.Randn([64, 300], dtype, gen), Tensor.Randn([64, 300], dtype, gen));
        var fused = F.LstmGates(gates, c);
        (fused[0] * gh + fused[1] * gc).Sum().Backward();
        Tensor[] fusedResults = [fused[0], fused[1], gates.Grad!, c.Grad!];
        var (gates2, c2) = (gates.Detach().RequiresGrad_(), c.Detach().RequiresGrad_());
        var (h, cNext) = F.LstmPointwise(gates2, c2);
        (h * gh + cNext * gc).Sum().Backward();
        Tensor[] unfusedResults = [h, cNext, gates2.Grad!, c2.Grad!];
        for (int k = 0; k < 4; k++)
        {
            var (a, b) = (fusedResults[k].ToArray<double>(), unfusedResults[k].ToArray<double>());
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= tol * Math.Max(1, Math.Abs(b[i])),
                    $"result {k} [{i}]: {a[i]} vs {b[i]}");
        }
    }

    [Fact]
    public void Lstm_gates_name_the_shapes_that_do_not_fit()
    {
        var e = Assert.Throws<ArgumentException>(() => F.LstmGates(Tensor.Zeros([2, 8]), Tensor.Zeros([2, 3])));
        Assert.Contains("LstmGates: gates [2,8] must be [..., 4·hidden] for the cell state [2,3]", e.Message);
    }
}
