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
        var state = LstmGates(inputGates + Linear(h, weightHh, biasHh), c);
        return (state[0], state[1]);
    }

    /// <summary>
    /// The LSTM's pointwise step as one op: from <paramref name="gates"/> [..., 4H], the pre-activations i, f, g, o,
    /// and the cell state <paramref name="c"/> [..., H], the new states stacked as [2, ..., H]: h' = σ(o)⊙tanh(c')
    /// then c' = σ(f)⊙c + σ(i)⊙tanh(g). One pass forward and one backward (outside a create-graph pass) replace the
    /// ten elementwise ops of its unfused spelling, which it equals to rounding (within 1e-6 in Float32).
    /// </summary>
    public static Tensor LstmGates(Tensor gates, Tensor c)
    {
        const string op = "LstmGates";
        Op.RequireSame(op, gates, c);
        Op.RequireFloat(op, gates);
        if (c.NDim == 0 || gates.NDim != c.NDim || gates.shape[^1] != 4 * c.shape[^1] ||
            !Shapes.Equal(gates.shape[..^1], c.shape[..^1]))
            throw new ArgumentException($"{op}: gates {Shapes.Format(gates.shape)} must be [..., 4·hidden] for the " +
                $"cell state {Shapes.Format(c.shape)}");
        (gates, c) = (gates.Contiguous(), c.Contiguous());
        var state = Tensor.Uninitialized([2, .. c.shape], c.DType, c.Device);
        c.Backend.LstmCell(gates, c, state);
        return Op.RecordFused(op, state, [gates, c], (g, pass) =>
        {
            if (pass.CreateGraph)
            {
                var (dGates, dc) = LstmPointwiseGradients(g[0], g[1], gates, c, state[1]);
                return [dGates, dc];
            }
            var dGatesFused = Tensor.Uninitialized(gates.shape, gates.DType, gates.Device);
            var dcFused = Tensor.Uninitialized(c.shape, c.DType, c.Device);
            c.Backend.LstmCellBackward(g.Contiguous(), gates, c, state, dGatesFused, dcFused);
            return [dGatesFused, dcFused];
        }, saved: [gates, c, state]);
    }

    /// <summary>The unfused spelling of <see cref="LstmGates"/>: (h', c') in elementwise tensor ops.</summary>
    internal static (Tensor H, Tensor C) LstmPointwise(Tensor gates, Tensor c)
    {
        var parts = gates.Chunk(4, -1);
        var cNext = Sigmoid(parts[1]) * c + Sigmoid(parts[0]) * Tanh(parts[2]);
        return (Sigmoid(parts[3]) * Tanh(cNext), cNext);
    }

    /// <summary>
    /// The gradients of <see cref="LstmGates"/> in tensor ops (so they differentiate again), from the upstream
    /// gradients of h' and c', the gates, c and c'.
    /// </summary>
    internal static (Tensor DGates, Tensor DC) LstmPointwiseGradients(Tensor gradH, Tensor gradC, Tensor gates,
        Tensor c, Tensor cNext)
    {
        var parts = gates.Chunk(4, -1);
        var (i, f, g, o) = (Sigmoid(parts[0]), Sigmoid(parts[1]), Tanh(parts[2]), Sigmoid(parts[3]));
        var tanhC = Tanh(cNext);
        var dcNext = gradC + gradH * o * (1 - tanhC * tanhC);   // through c' directly and through h' = o·tanh(c')
        var dGates = Tensor.Cat([dcNext * g * i * (1 - i), dcNext * c * f * (1 - f), dcNext * i * (1 - g * g),
            gradH * tanhC * o * (1 - o)], -1);
        return (dGates, dcNext * f);
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
