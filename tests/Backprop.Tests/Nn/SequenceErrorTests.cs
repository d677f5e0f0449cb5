using Backprop.Nn;

namespace Backprop.Tests.Nn;

/// <summary>
/// Bad input to the sequence modules is refused with a message naming the module, the shapes and the argument.
/// </summary>
public class SequenceErrorTests
{
    private static void Refused(string message, Action action) =>
        Assert.Contains(message, Assert.ThrowsAny<ArgumentException>(action).Message);

    [Fact]
    public void Recurrent_layers_name_the_input_and_state_shapes_that_do_not_fit()
    {
        var lstm = new LSTM(4, 3, numLayers: 2);
        Refused("LSTM: input [5,2,6] must be [seq, batch, 4] (seq first) or [seq, 4]",
            () => lstm.Forward(Tensor.Zeros([5, 2, 6])));
        var h = Tensor.Zeros([1, 2, 3]);
        Refused("LSTM: h0 [1,2,3] must be [2,2,3]", () => lstm.Forward(Tensor.Zeros([5, 2, 4]), new LstmState(h, h)));
        Refused("GRU: lengths [3, 7] must give one length in 1..5 per batch entry (2)",
            () => new GRU(4, 3).Forward(Tensor.Zeros([5, 2, 4]), null, [3, 7]));
        Refused("RNN: nonlinearity must be 'tanh' or 'relu', got 'sigmoid'",
            () => new RNN(4, 3, nonlinearity: "sigmoid"));
    }

    [Fact]
    public void Cells_name_the_weights_and_states_that_do_not_fit()
    {
        Refused("GruCell: input [2,5] must be [batch, 4] or [4]",
            () => new GRUCell(4, 3).Forward(Tensor.Zeros([2, 5])));
        Refused("LstmCell: the cell state [2,4] differs from the hidden state [2,3]",
            () => new LSTMCell(4, 3).Forward(Tensor.Zeros([2, 4]),
                new LstmState(Tensor.Zeros([2, 3]), Tensor.Zeros([2, 4]))));
        Refused("RnnCell: weight_hh must be [1·hidden, hidden], got [3,2]",
            () => F.RnnCell(Tensor.Zeros([1, 2]), Tensor.Zeros([1, 2]), Tensor.Zeros([3, 2]), Tensor.Zeros([3, 2])));
    }

    [Fact]
    public void Attention_names_the_shapes_and_masks_that_do_not_fit()
    {
        Refused("ScaledDotProductAttention: query [2,3] and key [4,5] differ in their last dim",
            () => F.ScaledDotProductAttention(Tensor.Zeros([2, 3]), Tensor.Zeros([4, 5]), Tensor.Zeros([4, 5])));
        Refused("MultiheadAttention: embedDim 6 must be a positive multiple of numHeads 4",
            () => new MultiheadAttention(6, 4));
        var attention = new MultiheadAttention(4, 2);
        var x = Tensor.Zeros([3, 2, 4]);
        Refused("MultiheadAttention: keyPaddingMask [3,2] must be [2,3]",
            () => attention.Forward(x, x, x, keyPaddingMask: Tensor.Zeros([3, 2]).Gt(0)));
        Refused("MultiheadAttention: attnMask [2,2] must be [3, 3] or [4, 3, 3]",
            () => attention.Forward(x, x, x, attnMask: Tensor.Zeros([2, 2]).Gt(0)));
        Refused("Transformer: activation must be 'relu' or 'gelu', got 'tanh'",
            () => new TransformerEncoderLayer(new TransformerOptions(4, 2, Activation: "tanh")));
    }

    [Fact]
    public void A_decoder_without_memory_is_refused()
    {
        var decoder = new TransformerDecoderLayer(new TransformerOptions(4, 2, DimFeedforward: 8));
        var e = Assert.Throws<InvalidOperationException>(() => decoder.Forward(Tensor.Zeros([3, 2, 4])));
        Assert.Contains("call Forward(tgt, memory)", e.Message);
    }
}
