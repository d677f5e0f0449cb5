namespace Backprop;

// One step of the recurrent cells, as PyTorch's RNNCell, LSTMCell and GRUCell compute it. Each step takes the input's
// projection x·W_ihᵀ + b_ih already made, so a sequence projects all its time steps in one GEMM; the step adds the
// hidden projection h·W_hhᵀ + b_hh and applies the gates. Gradients come from the ops the step is written in.
public static partial class F
{
    /// <summary>h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), or ReLU instead of tanh when <paramref name="relu"/>.
    /// </summary>
    public static Tensor RnnCell(Tensor x, Tensor h, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null,
        Tensor? biasHh = null, bool relu = false)
    {
        CheckCell("RnnCell", 1, x, h, weightIh, weightHh);
        return RnnStep(Linear(x, weightIh, biasIh), h, weightHh, biasHh, relu);
    }

    /// <summary>
    /// One LSTM step: gates x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh split into input, forget, cell and output parts (i, f, g,
    /// o, PyTorch's order); c' = σ(f)⊙c + σ(i)⊙tanh(g) and h' = σ(o)⊙tanh(c').
    /// </summary>
    public static (Tensor H, Tensor C) LstmCell(Tensor x, Tensor h, Tensor c, Tensor weightIh, Tensor weightHh,
        Tensor? biasIh = null, Tensor? biasHh = null)
    {
        CheckCell("LstmCell", 4, x, h, weightIh, weightHh);
        if (!Shapes.Equal(c.shape, h.shape))
            throw new ArgumentException(
                $"LstmCell: the cell state {Shapes.Format(c.shape)} differs from the hidden state " +
                $"{Shapes.Format(h.shape)}");
        return LstmStep(Linear(x, weightIh, biasIh), h, c, weightHh, biasHh);
    }

    /// <summary>
    /// One GRU step with PyTorch's gates r, z, n: r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r⊙h_n) and
    /// h' = (1 − z)⊙n + z⊙h, where x_· = x·W_ihᵀ + b_ih and h_· = h·W_hhᵀ + b_hh split in three.
    /// </summary>
    public static Tensor GruCell(Tensor x, Tensor h, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null,
        Tensor? biasHh = null)
    {
        CheckCell("GruCell", 3, x, h, weightIh, weightHh);
        return GruStep(Linear(x, weightIh, biasIh), h, weightHh, biasHh);
    }

    internal static Tensor RnnStep(Tensor inputPart, Tensor h, Tensor weightHh, Tensor? biasHh, bool relu)
    {
        var pre = inputPart + Linear(h, weightHh, biasHh);
        return relu ? Relu(pre) : Tanh(pre);
    }

    internal static (Tensor H, Tensor C) LstmStep(Tensor inputGates, Tensor h, Tensor c, Tensor weightHh,
        Tensor? biasHh)
    {
        var gates = (inputGates + Linear(h, weightHh, biasHh)).Chunk(4, -1);
        var cNext = Sigmoid(gates[1]) * c + Sigmoid(gates[0]) * Tanh(gates[2]);
        return (Sigmoid(gates[3]) * Tanh(cNext), cNext);
    }

    internal static Tensor GruStep(Tensor inputGates, Tensor h, Tensor weightHh, Tensor? biasHh)
    {
        var xg = inputGates.Chunk(3, -1);
        var hg = Linear(h, weightHh, biasHh).Chunk(3, -1);
        var r = Sigmoid(xg[0] + hg[0]);
        var z = Sigmoid(xg[1] + hg[1]);
        var n = Tanh(xg[2] + r * hg[2]);
        return n + z * (h - n);   // (1 − z)⊙n + z⊙h with one product fewer
    }

    private static void CheckCell(string op, int gates, Tensor x, Tensor h, Tensor weightIh, Tensor weightHh)
    {
        if (weightHh.NDim != 2 || weightHh.shape[0] != gates * weightHh.shape[1])
            throw new ArgumentException($"{op}: weight_hh must be [{gates}·hidden, hidden], got " +
                $"{Shapes.Format(weightHh.shape)}");
        int hidden = weightHh.shape[1];
        if (weightIh.NDim != 2 || weightIh.shape[0] != gates * hidden)
            throw new ArgumentException(
                $"{op}: weight_ih {Shapes.Format(weightIh.shape)} must have {gates * hidden} rows to match weight_hh " +
                Shapes.Format(weightHh.shape));
        if (x.NDim is not (1 or 2) || x.shape[^1] != weightIh.shape[1])
            throw new ArgumentException(
                $"{op}: input {Shapes.Format(x.shape)} must be [batch, {weightIh.shape[1]}] or [{weightIh.shape[1]}]");
        if (h.NDim != x.NDim || h.shape[^1] != hidden || (x.NDim == 2 && h.shape[0] != x.shape[0]))
            throw new ArgumentException(
                $"{op}: hidden state {Shapes.Format(h.shape)} does not fit input {Shapes.Format(x.shape)} and " +
                $"hidden size {hidden}");
    }
}
