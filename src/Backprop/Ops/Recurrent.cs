using Backprop.Kernels;

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
    /// One LSTM step: gates x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh split into input, forget, cell and output parts (i,
    /// f, g, o, PyTorch's order); c' = σ(f)⊙c + σ(i)⊙tanh(g) and h' = σ(o)⊙tanh(c').
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
    /// then c' = σ(f)⊙c + σ(i)⊙tanh(g). One pass forward and one backward (outside a create-graph pass) replace
    /// the ten elementwise ops of its unfused spelling, which it equals to rounding (within 1e-6 in Float32).
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

    /// <summary>
    /// A whole LSTM direction as one op: from every step's input gates <paramref name="inputGates"/> [T, B, 4H] and
    /// the initial states [B, H], the states after each step stacked as [T, 2, B, H] (h', c'). Each step computes
    /// what <see cref="LstmStep"/> computes, in the same kernels, so the forward pass has its bits; the backward pass
    /// runs the steps' recurrent products one by one but the weight gradient as one product over all steps. With
    /// <paramref name="mask"/> (Bool [T, B, 1]) a row whose step is masked keeps its previous states.
    /// </summary>
    internal static Tensor LstmSequence(Tensor inputGates, Tensor h0, Tensor c0, Tensor weightHh, Tensor? biasHh,
        bool reverse, Tensor? mask)
    {
        var backend = inputGates.Backend;
        int steps = inputGates.shape[0];
        int[] stateShape = [2, .. h0.shape];
        var states = Tensor.Uninitialized([steps, .. stateShape], h0.DType, h0.Device);
        var gates = new Tensor[steps];
        var cellStates = new Tensor[steps];   // each step's own output, before the mask keeps a row's old state
        var hRead = new Tensor[steps];
        var cRead = new Tensor[steps];
        (h0, c0) = (h0.Contiguous(), c0.Contiguous());
        Tensor h = h0, c = c0;
        using (Autograd.NoGrad())
        using (var recurrent = backend.PrepareRight(weightHh.MT))
        {
            var kept = mask is null ? null : Tensor.Stack([h0, c0]);   // the states a masked row keeps
            foreach (int t in Order(steps, reverse))
            {
                (hRead[t], cRead[t]) = (h, c);
                var hidden = Tensor.Uninitialized(inputGates.shape[1..], h0.DType, h0.Device);
                backend.MatMul(h, recurrent, biasHh, hidden);
                gates[t] = Tensor.Uninitialized(hidden.shape, h0.DType, h0.Device);
                backend.Binary(BinaryKernel.Add, inputGates.Select(0, t), hidden, gates[t]);
                // unmasked, the cell writes its states straight into the output
                var cell = cellStates[t] = mask is null
                    ? states.Select(0, t) : Tensor.Uninitialized(stateShape, h0.DType, h0.Device);
                backend.LstmCell(gates[t], c, cell);
                if (mask is not null)
                {
                    var next = Tensor.Uninitialized(stateShape, h0.DType, h0.Device);
                    backend.Where(mask.Select(0, t), cell, kept!, next);
                    backend.Copy(next, states.Select(0, t));
                    kept = cell = next;
                }
                (h, c) = (cell.Select(0, 0), cell.Select(0, 1));
            }
        }
        return Op.RecordFused("LstmSequence", states, [inputGates, h0, c0, weightHh, .. Optional(biasHh)],
            (g, pass) => pass.CreateGraph
                ? LstmSequenceGradients(g, inputGates, h0, c0, weightHh, biasHh, reverse, mask)
                : LstmSequenceBackward(g.Contiguous(), gates, cellStates, hRead, cRead, weightHh, biasHh, reverse,
                    mask, [h0.RequiresGrad, c0.RequiresGrad, weightHh.RequiresGrad, biasHh?.RequiresGrad ?? false]),
            saved: [h0, c0, weightHh, states]);
    }

    // the fused rule: per step, the gates' gradient from the upstream gradient plus what the later steps sent back,
    // and the states' gradient for the step before; then dW_hh and db_hh over all steps at once
    private static Tensor?[] LstmSequenceBackward(Tensor g, Tensor[] gates, Tensor[] cellStates, Tensor[] hRead,
        Tensor[] cRead, Tensor weightHh, Tensor? biasHh, bool reverse, Tensor? mask, bool[] need)
    {
        var backend = g.Backend;
        int steps = g.shape[0];
        int[] stateShape = g.shape[1..];
        var dGates = Tensor.Uninitialized([steps, .. gates[0].shape], g.DType, g.Device);
        Tensor? carry = null;   // the gradient the later steps sent back to this step's output states
        using var recurrent = backend.PrepareRight(weightHh);
        foreach (int t in Order(steps, !reverse))
        {
            var (total, cellGrad) = StepGradient(g, t, carry, mask);
            var back = Tensor.Uninitialized(stateShape, g.DType, g.Device);
            backend.LstmCellBackward(cellGrad, gates[t], cRead[t], cellStates[t], dGates.Select(0, t),
                back.Select(0, 1));
            backend.MatMul(dGates.Select(0, t), recurrent, null, back.Select(0, 0));
            carry = back;
            if (mask is not null)
            {
                carry = Tensor.Uninitialized(stateShape, g.DType, g.Device);
                backend.Where(mask.Select(0, t), back, total, carry);   // a masked row passed its states through
            }
        }
        var (dW, dB) = RecurrentWeightGradients(hRead, dGates, weightHh, biasHh, need[2], need[3]);
        return [dGates, need[0] ? carry!.Select(0, 0) : null, need[1] ? carry!.Select(0, 1) : null, dW,
            .. biasHh is null ? Array.Empty<Tensor?>() : [dB]];
    }

    // the same gradients in recorded tensor ops, from a recomputed forward pass, so they differentiate again
    private static Tensor?[] LstmSequenceGradients(Tensor g, Tensor inputGates, Tensor h0, Tensor c0,
        Tensor weightHh, Tensor? biasHh, bool reverse, Tensor? mask)
    {
        int steps = inputGates.shape[0];
        var (gates, cRead, cOut, hRead) = (new Tensor[steps], new Tensor[steps], new Tensor[steps], new Tensor[steps]);
        Tensor h = h0, c = c0;
        foreach (int t in Order(steps, reverse))
        {
            (hRead[t], cRead[t]) = (h, c);
            gates[t] = inputGates[t] + Linear(h, weightHh, biasHh);
            var (hNext, cNext) = LstmPointwise(gates[t], c);
            cOut[t] = cNext;
            (h, c) = mask is null ? (hNext, cNext) : (Tensor.Where(mask[t], hNext, h), Tensor.Where(mask[t], cNext, c));
        }
        var dGates = new Tensor[steps];
        Tensor dh = Op.Scalar(0, g), dc = Op.Scalar(0, g);
        foreach (int t in Order(steps, !reverse))
        {
            var (gh, gc) = (g[t, 0] + dh, g[t, 1] + dc);
            var (cellH, cellC) = mask is null ? (gh, gc)
                : (Tensor.Where(mask[t], gh, Op.Scalar(0, g)), Tensor.Where(mask[t], gc, Op.Scalar(0, g)));
            var (dGate, dcPrev) = LstmPointwiseGradients(cellH, cellC, gates[t], cRead[t], cOut[t]);
            dGates[t] = dGate;
            var dhPrev = dGate.MatMul(weightHh);
            (dh, dc) = mask is null
                ? (dhPrev, dcPrev) : (Tensor.Where(mask[t], dhPrev, gh), Tensor.Where(mask[t], dcPrev, gc));
        }
        var (dW, dB) = RecurrentWeightGradientsInOps(hRead, dGates, weightHh, biasHh);
        return [Tensor.Stack(dGates), dh.BroadcastTo(h0.shape), dc.BroadcastTo(c0.shape), dW,
            .. biasHh is null ? Array.Empty<Tensor?>() : [dB]];
    }

    // dW_hh = Σ_t dGates[t]ᵀ·h[t] as one product over all steps' rows, and db_hh the column sums of dGates
    private static (Tensor? DW, Tensor? DB) RecurrentWeightGradients(Tensor[] hRead, Tensor dGates, Tensor weightHh,
        Tensor? biasHh, bool needWeight, bool needBias)
    {
        needBias &= biasHh is not null;
        if (!needWeight && !needBias) return (null, null);
        int steps = hRead.Length, rows = steps * hRead[0].shape[0];
        var hAll = Tensor.Uninitialized([steps, .. hRead[0].shape], dGates.DType, dGates.Device);
        for (int t = 0; t < steps; t++) dGates.Backend.Copy(hRead[t], hAll.Select(0, t));
        var (_, dW, dB) = dGates.Backend.LinearBackward(hAll.Reshape(rows, hAll.shape[^1]), weightHh,
            dGates.Reshape(rows, dGates.shape[^1]), false, needWeight, needBias);
        return (dW, dB);
    }

    private static (Tensor DW, Tensor? DB) RecurrentWeightGradientsInOps(Tensor[] hRead, Tensor[] dGates,
        Tensor weightHh, Tensor? biasHh)
    {
        var rows = Tensor.Stack(dGates).Reshape(-1, weightHh.shape[0]);
        var dW = rows.Transpose(0, 1).MatMul(Tensor.Stack(hRead).Reshape(-1, weightHh.shape[1]));
        return (dW, biasHh is null ? null : rows.Sum(0));
    }

    // a step's output gradient in total (its own plus what the later steps sent back), and the part of it that
    // reaches the cell: none in the rows a mask passes through
    private static (Tensor Total, Tensor CellGrad) StepGradient(Tensor g, int t, Tensor? carry, Tensor? mask)
    {
        var total = g.Select(0, t);
        if (carry is not null)
        {
            total = Tensor.Uninitialized(total.shape, g.DType, g.Device);
            g.Backend.Binary(BinaryKernel.Add, g.Select(0, t), carry, total);
        }
        if (mask is null) return (total, total);
        var cellGrad = Tensor.Uninitialized(total.shape, g.DType, g.Device);
        g.Backend.Where(mask.Select(0, t), total, Op.Scalar(0, g), cellGrad);
        return (total, cellGrad);
    }

    private static IEnumerable<int> Order(int steps, bool reverse)
    {
        for (int i = 0; i < steps; i++) yield return reverse ? steps - 1 - i : i;
    }

    private static Tensor[] Optional(Tensor? x) => x is null ? [] : [x];

    internal static Tensor GruStep(Tensor inputGates, Tensor h, Tensor weightHh, Tensor? biasHh) =>
        GruPointwise(inputGates, Linear(h, weightHh, biasHh), h);

    /// <summary>The GRU's pointwise step in tensor ops, from the input's and the hidden state's gates.</summary>
    internal static Tensor GruPointwise(Tensor inputGates, Tensor hiddenGates, Tensor h)
    {
        var (xg, hg) = (inputGates.Chunk(3, -1), hiddenGates.Chunk(3, -1));
        var r = Sigmoid(xg[0] + hg[0]);
        var z = Sigmoid(xg[1] + hg[1]);
        var n = Tanh(xg[2] + r * hg[2]);
        return n + z * (h - n);   // (1 − z)⊙n + z⊙h with one product fewer
    }

    /// <summary>
    /// The gradients of <see cref="GruPointwise"/> in tensor ops: both gate sets' and the part of h's that does not
    /// pass through the hidden gates, from h's upstream gradient.
    /// </summary>
    internal static (Tensor DInputGates, Tensor DHiddenGates, Tensor DH) GruPointwiseGradients(Tensor gradH,
        Tensor inputGates, Tensor hiddenGates, Tensor h)
    {
        var (xg, hg) = (inputGates.Chunk(3, -1), hiddenGates.Chunk(3, -1));
        var r = Sigmoid(xg[0] + hg[0]);
        var z = Sigmoid(xg[1] + hg[1]);
        var n = Tanh(xg[2] + r * hg[2]);
        var dn = gradH * (1 - z) * (1 - n * n);   // the gradient of n's pre-activation x_n + r⊙h_n
        var dr = dn * hg[2] * r * (1 - r);
        var dz = gradH * (h - n) * z * (1 - z);
        return (Tensor.Cat([dr, dz, dn], -1), Tensor.Cat([dr, dz, dn * r], -1), gradH * z);
    }

    /// <summary>
    /// A whole GRU direction as one op, as <see cref="LstmSequence"/> is for the LSTM: from every step's input gates
    /// [T, B, 3H] and h0 [B, H], the hidden state after each step, [T, B, H].
    /// </summary>
    internal static Tensor GruSequence(Tensor inputGates, Tensor h0, Tensor weightHh, Tensor? biasHh, bool reverse,
        Tensor? mask)
    {
        var backend = inputGates.Backend;
        int steps = inputGates.shape[0];
        h0 = h0.Contiguous();
        var states = Tensor.Uninitialized([steps, .. h0.shape], h0.DType, h0.Device);
        var hiddenGates = new Tensor[steps];
        var hRead = new Tensor[steps];
        var h = h0;
        using (Autograd.NoGrad())
        using (var recurrent = backend.PrepareRight(weightHh.MT))
            foreach (int t in Order(steps, reverse))
            {
                hRead[t] = h;
                hiddenGates[t] = Tensor.Uninitialized(inputGates.shape[1..], h0.DType, h0.Device);
                backend.MatMul(h, recurrent, biasHh, hiddenGates[t]);
                // unmasked, the cell writes its state straight into the output
                var next = mask is null ? states.Select(0, t) : Tensor.Uninitialized(h0.shape, h0.DType, h0.Device);
                backend.GruCell(inputGates.Select(0, t), hiddenGates[t], h, next);
                if (mask is not null)
                {
                    var kept = Tensor.Uninitialized(h0.shape, h0.DType, h0.Device);
                    backend.Where(mask.Select(0, t), next, h, kept);
                    backend.Copy(kept, states.Select(0, t));
                    next = kept;
                }
                h = next;
            }
        return Op.RecordFused("GruSequence", states, [inputGates, h0, weightHh, .. Optional(biasHh)],
            (g, pass) => pass.CreateGraph
                ? GruSequenceGradients(g, inputGates, h0, weightHh, biasHh, reverse, mask)
                : GruSequenceBackward(g.Contiguous(), inputGates, hiddenGates, hRead, weightHh, biasHh, reverse,
                    mask, [h0.RequiresGrad, weightHh.RequiresGrad, biasHh?.RequiresGrad ?? false]),
            saved: [inputGates, h0, weightHh, states]);
    }

    // the fused rule: per step both gate sets' gradients and h's for the step before; then dW_hh and db_hh over all
    // steps at once
    private static Tensor?[] GruSequenceBackward(Tensor g, Tensor inputGates, Tensor[] hiddenGates, Tensor[] hRead,
        Tensor weightHh, Tensor? biasHh, bool reverse, Tensor? mask, bool[] need)
    {
        var backend = g.Backend;
        int steps = g.shape[0];
        int[] stateShape = g.shape[1..];
        var dInput = Tensor.Uninitialized(inputGates.shape, g.DType, g.Device);
        var dHidden = Tensor.Uninitialized(inputGates.shape, g.DType, g.Device);
        Tensor? carry = null;   // the gradient the later steps sent back to this step's output
        using var recurrent = backend.PrepareRight(weightHh);
        foreach (int t in Order(steps, !reverse))
        {
            var (total, cellGrad) = StepGradient(g, t, carry, mask);
            var direct = Tensor.Uninitialized(stateShape, g.DType, g.Device);
            backend.GruCellBackward(cellGrad, inputGates.Select(0, t), hiddenGates[t], hRead[t], dInput.Select(0, t),
                dHidden.Select(0, t), direct);
            var throughGates = Tensor.Uninitialized(stateShape, g.DType, g.Device);
            backend.MatMul(dHidden.Select(0, t), recurrent, null, throughGates);
            carry = Tensor.Uninitialized(stateShape, g.DType, g.Device);
            backend.Binary(BinaryKernel.Add, throughGates, direct, carry);
            if (mask is not null)
            {
                var passed = Tensor.Uninitialized(stateShape, g.DType, g.Device);
                backend.Where(mask.Select(0, t), carry, total, passed);   // a masked row passed its state through
                carry = passed;
            }
        }
        var (dW, dB) = RecurrentWeightGradients(hRead, dHidden, weightHh, biasHh, need[1], need[2]);
        return [dInput, need[0] ? carry : null, dW, .. biasHh is null ? Array.Empty<Tensor?>() : [dB]];
    }

    // the same gradients in recorded tensor ops, from a recomputed forward pass, so they differentiate again
    private static Tensor?[] GruSequenceGradients(Tensor g, Tensor inputGates, Tensor h0, Tensor weightHh,
        Tensor? biasHh, bool reverse, Tensor? mask)
    {
        int steps = inputGates.shape[0];
        var (hiddenGates, hRead) = (new Tensor[steps], new Tensor[steps]);
        var h = h0;
        foreach (int t in Order(steps, reverse))
        {
            hRead[t] = h;
            hiddenGates[t] = Linear(h, weightHh, biasHh);
            var next = GruPointwise(inputGates[t], hiddenGates[t], h);
            h = mask is null ? next : Tensor.Where(mask[t], next, h);
        }
        var (dInput, dHidden) = (new Tensor[steps], new Tensor[steps]);
        Tensor dh = Op.Scalar(0, g);
        foreach (int t in Order(steps, !reverse))
        {
            var total = g[t] + dh;
            var cellGrad = mask is null ? total : Tensor.Where(mask[t], total, Op.Scalar(0, g));
            Tensor direct;
            (dInput[t], dHidden[t], direct) = GruPointwiseGradients(cellGrad, inputGates[t], hiddenGates[t], hRead[t]);
            var back = dHidden[t].MatMul(weightHh) + direct;
            dh = mask is null ? back : Tensor.Where(mask[t], back, total);
        }
        var (dW, dB) = RecurrentWeightGradientsInOps(hRead, dHidden, weightHh, biasHh);
        return [Tensor.Stack(dInput), dh.BroadcastTo(h0.shape), dW, .. biasHh is null ? Array.Empty<Tensor?>() : [dB]];
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
