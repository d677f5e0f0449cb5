using static Backprop.Tests.Cuda.Simulated;

namespace Backprop.Tests.Cuda;

/// <summary>The recurrent steps and attention, values and gradients, on the simulated device against the CPU.</summary>
[Collection(Simulated.Collection)]
public class SequenceOpsTests
{
    // a fixed random projection of the output to a scalar, on the output's device
    private static void SameOnBothDevices(Func<Tensor[], Tensor> f, double tol, params Tensor[] inputs) =>
        Simulated.SameOnBothDevices(x =>
        {
            var y = f(x);
            return (y * Random(y.Shape, DType.Float32, 99).To(y.Device)).Sum();
        }, tol, inputs);

    private static Tensor[] Weights(int seed, params int[][] shapes) =>
        shapes.Select((s, i) => Random(s, DType.Float32, seed + i, -0.6, 0.6)).ToArray();

    [Fact]
    public void An_lstm_unrolled_over_three_steps_matches() =>
        SameOnBothDevices(x =>
        {
            var (h, c) = (x[1], x[2]);
            for (int t = 0; t < 3; t++) (h, c) = F.LstmCell(x[0][t], h, c, x[3], x[4], x[5], x[6]);
            return Tensor.Cat([h, c], -1);
        }, 1e-5, Weights(60, [3, 4, 5], [4, 6], [4, 6], [24, 5], [24, 6], [24], [24]));

    [Fact]
    public void Gru_and_rnn_steps_match() =>
        SameOnBothDevices(x => F.GruCell(x[0], F.RnnCell(x[0], x[1], x[2], x[3], x[4], x[5], relu: true), x[6], x[7]),
            1e-5, Weights(70, [3, 4], [3, 5], [5, 4], [5, 5], [5], [5], [15, 4], [15, 5]));

    // the whole-sequence ops, reversed and masked (the second row's sequence ends after two steps)
    [Fact]
    public void Lstm_and_gru_sequences_match()
    {
        var valid = Tensor.FromArray([true, true, true, true, true, false], [3, 2, 1]);
        SameOnBothDevices(x =>
        {
            var mask = valid.To(x[0].Device);
            var lstm = F.LstmSequence(x[0], x[1], x[2], x[3], x[4], true, mask);
            var gru = F.GruSequence(x[5], x[1], x[6], null, false, mask);
            return Tensor.Cat([lstm.Reshape(-1), gru.Reshape(-1)]);
        }, 1e-5, Weights(90, [3, 2, 16], [2, 4], [2, 4], [16, 4], [16], [3, 2, 12], [12, 4]));
    }

    [Fact]
    public void Causal_masked_attention_matches()
    {
        var allowed = Tensor.FromArray([true, false, true, true, true], [1, 5]);
        SameOnBothDevices(x => F.ScaledDotProductAttention(x[0], x[1], x[2], allowed.To(x[0].Device), isCausal: true),
            1e-5, Weights(80, [2, 2, 5, 4], [2, 2, 5, 4], [2, 2, 5, 3]));
    }
}
