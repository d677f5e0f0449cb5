namespace Backprop.Nn;

/// <summary>The hidden and cell states of an LSTM: each [layers·directions, batch, hidden] for a sequence
/// module.</summary>
public readonly record struct LstmState(Tensor H, Tensor C);

/// <summary>
/// What the recurrent cells share (torch.nn.RNNCellBase): <c>weight_ih</c> [gates·hidden, input],
/// <c>weight_hh</c> [gates·hidden, hidden] and the biases <c>bias_ih</c>, <c>bias_hh</c>, all drawn
/// U(−1/√hidden, 1/√hidden) as PyTorch does.
/// </summary>
public abstract class RecurrentCell : Module
{
    private protected RecurrentCell(int inputSize, int hiddenSize, int gates, bool bias, Generator? generator,
        DType? dtype)
    {
        RecurrentShapes.Check(GetType().Name, inputSize, hiddenSize);
        (InputSize, HiddenSize) = (inputSize, hiddenSize);
        var g = generator ?? Generator.Default;
        double bound = 1 / Math.Sqrt(hiddenSize);
        Tensor Draw(params int[] shape) => Init.Uniform(Tensor.Zeros(shape, dtype), -bound, bound, g);
        WeightIh = RegisterParameter("weight_ih", Draw(gates * hiddenSize, inputSize));
        WeightHh = RegisterParameter("weight_hh", Draw(gates * hiddenSize, hiddenSize));
        if (!bias) return;
        BiasIh = RegisterParameter("bias_ih", Draw(gates * hiddenSize));
        BiasHh = RegisterParameter("bias_hh", Draw(gates * hiddenSize));
    }

    /// <summary>Features of each input.</summary>
    public int InputSize { get; }

    /// <summary>Features of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>[gates·HiddenSize, InputSize].</summary>
    public Tensor WeightIh { get; }

    /// <summary>[gates·HiddenSize, HiddenSize].</summary>
    public Tensor WeightHh { get; }

    /// <summary>[gates·HiddenSize], or null without biases.</summary>
    public Tensor? BiasIh { get; }

    /// <summary>[gates·HiddenSize], or null without biases.</summary>
    public Tensor? BiasHh { get; }

    /// <summary>Zeros for the hidden state of <paramref name="input"/> ([batch, hidden], or [hidden]
    /// unbatched).</summary>
    private protected Tensor ZeroState(Tensor input) =>
        Tensor.Zeros(input.NDim == 1 ? [HiddenSize] : [input.shape[0], HiddenSize], input.DType, device: input.Device);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{InputSize}, {HiddenSize}" + (BiasIh is null ? ", bias=False" : "");
}

/// <summary>An Elman RNN step h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (torch.nn.RNNCell); ReLU on
/// request.</summary>
public sealed class RNNCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh",
    Generator? generator = null, DType? dtype = null) : RecurrentCell(inputSize, hiddenSize, 1, bias, generator, dtype)
{
    private readonly bool _relu = RecurrentShapes.IsRelu("RNNCell", nonlinearity);

    /// <summary>The next hidden state from zeros.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>The next hidden state from <paramref name="hx"/> (zeros when null).</summary>
    public Tensor Forward(Tensor input, Tensor? hx) =>
        F.RnnCell(input, hx ?? ZeroState(input), WeightIh, WeightHh, BiasIh, BiasHh, _relu);
}

/// <summary>One LSTM step (torch.nn.LSTMCell), gates in PyTorch's order i, f, g, o.</summary>
public sealed class LSTMCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null,
    DType? dtype = null) : RecurrentCell(inputSize, hiddenSize, 4, bias, generator, dtype)
{
    /// <summary>The next hidden state from zero states.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null).H;

    /// <summary>The next hidden and cell states from <paramref name="state"/> (zeros when null).</summary>
    public LstmState Forward(Tensor input, LstmState? state)
    {
        var (h, c) = state is { } s ? (s.H, s.C) : (ZeroState(input), ZeroState(input));
        var (hNext, cNext) = F.LstmCell(input, h, c, WeightIh, WeightHh, BiasIh, BiasHh);
        return new LstmState(hNext, cNext);
    }
}

/// <summary>One GRU step (torch.nn.GRUCell), gates in PyTorch's order r, z, n.</summary>
public sealed class GRUCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null,
    DType? dtype = null) : RecurrentCell(inputSize, hiddenSize, 3, bias, generator, dtype)
{
    /// <summary>The next hidden state from zeros.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>The next hidden state from <paramref name="hx"/> (zeros when null).</summary>
    public Tensor Forward(Tensor input, Tensor? hx) =>
        F.GruCell(input, hx ?? ZeroState(input), WeightIh, WeightHh, BiasIh, BiasHh);
}

/// <summary>
/// A stack of recurrent layers over a sequence (torch.nn.RNN, LSTM, GRU): input [seq, batch, input]
/// ([batch, seq, input] when <see cref="BatchFirst"/>, [seq, input] unbatched), each layer's output the next one's
/// input (with dropout between layers in training), both directions concatenated when bidirectional. Parameters
/// are named as in PyTorch: <c>weight_ih_l{k}</c>, <c>weight_hh_l{k}</c>, <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c>,
/// with <c>_reverse</c> for the backward direction, all drawn U(−1/√hidden, 1/√hidden).
/// </summary>
public abstract class RecurrentLayers : Module
{
    private readonly Tensor[][] _weights;   // per layer and direction: weight_ih, weight_hh, bias_ih?, bias_hh?
    private readonly Generator? _generator;

    private protected RecurrentLayers(int inputSize, int hiddenSize, int gates, int numLayers, bool bias,
        bool batchFirst, double dropout, bool bidirectional, Generator? generator, DType? dtype)
    {
        string name = GetType().Name;
        RecurrentShapes.Check(name, inputSize, hiddenSize);
        if (numLayers <= 0)
            throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, $"{name}: numLayers must be positive");
        if (!(dropout is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"{name}: dropout must be in [0, 1]");
        (InputSize, HiddenSize, NumLayers, BatchFirst, Dropout, Bidirectional, _generator) =
            (inputSize, hiddenSize, numLayers, batchFirst, dropout, bidirectional, generator);
        var g = generator ?? Generator.Default;
        double bound = 1 / Math.Sqrt(hiddenSize);
        Tensor Draw(params int[] shape) => Init.Uniform(Tensor.Zeros(shape, dtype), -bound, bound, g);
        _weights = new Tensor[numLayers * Directions][];
        for (int layer = 0; layer < numLayers; layer++)
            for (int direction = 0; direction < Directions; direction++)
            {
                string suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
                int layerInput = layer == 0 ? inputSize : hiddenSize * Directions;
                var w = new List<Tensor>
                {
                    RegisterParameter("weight_ih" + suffix, Draw(gates * hiddenSize, layerInput)),
                    RegisterParameter("weight_hh" + suffix, Draw(gates * hiddenSize, hiddenSize)),
                };
                if (bias)
                {
                    w.Add(RegisterParameter("bias_ih" + suffix, Draw(gates * hiddenSize)));
                    w.Add(RegisterParameter("bias_hh" + suffix, Draw(gates * hiddenSize)));
                }
                _weights[layer * Directions + direction] = [.. w];
            }
    }

    /// <summary>Features of each input step.</summary>
    public int InputSize { get; }

    /// <summary>Features of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>Layers stacked.</summary>
    public int NumLayers { get; }

    /// <summary>Whether inputs and outputs are [batch, seq, features].</summary>
    public bool BatchFirst { get; }

    /// <summary>Dropout probability on each layer's output but the last, in training.</summary>
    public double Dropout { get; }

    /// <summary>Whether each layer also runs the sequence backwards.</summary>
    public bool Bidirectional { get; }

    private int Directions => Bidirectional ? 2 : 1;

    /// <summary>The output sequence for zero initial states.</summary>
    public override Tensor Forward(Tensor input) => Run(input, null, null, null).Output;

    /// <summary>
    /// The whole pass: output [seq, batch, directions·hidden] (batch first when asked), and the final states, each
    /// [layers·directions, batch, hidden]. With <paramref name="lengths"/> (one per batch entry, each in 1..seq) the
    /// batch is padded: a sequence's steps past its length leave its state unchanged and give zeros in the output,
    /// and the backward direction starts at its last real step, as a packed sequence does in PyTorch.
    /// </summary>
    private protected (Tensor Output, Tensor H, Tensor? C) Run(Tensor input, Tensor? h0, Tensor? c0, int[]? lengths)
    {
        string name = GetType().Name;
        bool unbatched = input.NDim == 2;
        if (input.NDim is not (2 or 3) || input.shape[^1] != InputSize)
            throw new ArgumentException(
                $"{name}: input {Shapes.Format(input.shape)} must be [seq, batch, {InputSize}] " +
                $"({(BatchFirst ? "batch first" : "seq first")}) or [seq, {InputSize}]");
        var x = unbatched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input;
        int steps = x.shape[0], batch = x.shape[1];
        int[] stateShape = [NumLayers * Directions, batch, HiddenSize];
        h0 = State(name, "h0", h0, stateShape, unbatched, x);
        if (IsLstm) c0 = State(name, "c0", c0, stateShape, unbatched, x);
        var valid = Lengths(name, lengths, steps, batch, x.Device);
        var hFinal = new Tensor[stateShape[0]];
        var cFinal = new Tensor?[stateShape[0]];
        for (int layer = 0; layer < NumLayers; layer++)
        {
            if (layer > 0 && Dropout > 0) x = F.Dropout(x, Dropout, Training, _generator);
            var outputs = new Tensor[Directions];
            for (int direction = 0; direction < Directions; direction++)
            {
                int k = layer * Directions + direction;
                var w = _weights[k];
                var inputParts = F.Linear(x, w[0], w.Length > 2 ? w[2] : null);   // every step's projection in one GEMM
                (outputs[direction], hFinal[k], cFinal[k]) =
                    RunDirection(inputParts, h0[k], IsLstm ? c0![k] : null, w[1], w.Length > 2 ? w[3] : null,
                        reverse: direction == 1, valid);
            }
            x = Directions == 1 ? outputs[0] : Tensor.Cat(outputs, -1);
        }
        var output = unbatched ? x.Squeeze(1) : BatchFirst ? x.Transpose(0, 1) : x;
        Tensor Final(Tensor[] states) => unbatched ? Tensor.Stack(states).Squeeze(1) : Tensor.Stack(states);
        return (output, Final(hFinal), IsLstm ? Final([.. cFinal.Select(state => state!)]) : null);
    }

    /// <summary>
    /// One direction of one layer from every step's input projection [seq, batch, gates·hidden] and the initial
    /// states: the output [seq, batch, hidden] and the final states. With <paramref name="valid"/> (Bool [seq, batch,
    /// 1]) a row keeps its states past its length and outputs zeros there.
    /// </summary>
    private protected abstract (Tensor Output, Tensor H, Tensor? C) RunDirection(Tensor inputParts, Tensor h,
        Tensor? c, Tensor weightHh, Tensor? biasHh, bool reverse, Tensor? valid);

    private protected virtual bool IsLstm => false;

    // the hidden states of a whole direction as its output: zeros at the steps past a sequence's length
    private protected static Tensor ZerosPastLength(Tensor hidden, Tensor? valid) =>
        valid is null ? hidden : Tensor.Where(valid, hidden, Op.Scalar(0, hidden));

    private static Tensor State(string name, string what, Tensor? given, int[] shape, bool unbatched, Tensor like)
    {
        if (given is null) return Tensor.Zeros(shape, like.DType, device: like.Device);
        var state = unbatched ? given.Unsqueeze(1) : given;
        if (!Shapes.Equal(state.shape, shape))
            throw new ArgumentException(
                $"{name}: {what} {Shapes.Format(given.shape)} must be " +
                $"{Shapes.Format(unbatched ? [shape[0], shape[2]] : shape)}" +
                " ([layers·directions, batch, hidden])");
        return state;
    }

    // a Bool [seq, batch, 1] that is true where the step lies within the sequence
    private static Tensor? Lengths(string name, int[]? lengths, int steps, int batch, Device device)
    {
        if (lengths is null) return null;
        if (lengths.Length != batch || lengths.Any(n => n < 1 || n > steps))
            throw new ArgumentException(
                $"{name}: lengths [{string.Join(", ", lengths)}] must give one length in 1..{steps} " +
                $"per batch entry ({batch})");
        var row = Tensor.FromArray(lengths.Select(n => (long)n).ToArray(), [1, batch, 1], device);
        var times = Tensor.FromArray(Enumerable.Range(0, steps).Select(t => (long)t).ToArray(), [steps, 1, 1], device);
        return row.Gt(times);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{InputSize}, {HiddenSize}" + (NumLayers != 1 ? $", num_layers={NumLayers}" : "") +
        (_weights[0].Length == 2 ? ", bias=False" : "") + (BatchFirst ? ", batch_first=True" : "") +
        (Dropout != 0 ? $", dropout={Dropout}" : "") + (Bidirectional ? ", bidirectional=True" : "");
}

/// <summary>A multi-layer Elman RNN (torch.nn.RNN), tanh or ReLU.</summary>
public sealed class RNN(int inputSize, int hiddenSize, int numLayers = 1, string nonlinearity = "tanh",
    bool bias = true, bool batchFirst = false, double dropout = 0, bool bidirectional = false,
    Generator? generator = null, DType? dtype = null)
    : RecurrentLayers(inputSize, hiddenSize, 1, numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype)
{
    private readonly bool _relu = RecurrentShapes.IsRelu("RNN", nonlinearity);

    /// <summary>The output sequence and the final hidden states; <paramref name="h0"/> defaults to zeros.</summary>
    public (Tensor Output, Tensor H) Forward(Tensor input, Tensor? h0, int[]? lengths = null)
    {
        var (output, h, _) = Run(input, h0, null, lengths);
        return (output, h);
    }

    private protected override (Tensor Output, Tensor H, Tensor? C) RunDirection(Tensor inputParts, Tensor h,
        Tensor? c, Tensor weightHh, Tensor? biasHh, bool reverse, Tensor? valid) =>
        StepByStep(inputParts, h, reverse, valid, (x, hPrev) => F.RnnStep(x, hPrev, weightHh, biasHh, _relu));

    /// <summary>A direction as a loop of recorded steps: an RNN step is only a product and an activation.</summary>
    private static (Tensor Output, Tensor H, Tensor? C) StepByStep(Tensor inputParts, Tensor h,
        bool reverse, Tensor? valid, Func<Tensor, Tensor, Tensor> step)
    {
        int steps = inputParts.shape[0];
        var outputs = new Tensor[steps];
        for (int i = 0; i < steps; i++)
        {
            int t = reverse ? steps - 1 - i : i;
            var hNext = step(inputParts[t], h);
            if (valid is null)
            {
                outputs[t] = h = hNext;
                continue;
            }
            outputs[t] = Tensor.Where(valid[t], hNext, Op.Scalar(0, hNext));
            h = Tensor.Where(valid[t], hNext, h);
        }
        return (Tensor.Stack(outputs), h, null);
    }
}

/// <summary>A multi-layer LSTM (torch.nn.LSTM), gates in PyTorch's order i, f, g, o.</summary>
public sealed class LSTM(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
    double dropout = 0, bool bidirectional = false, Generator? generator = null, DType? dtype = null)
    : RecurrentLayers(inputSize, hiddenSize, 4, numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype)
{
    /// <summary>The output sequence and the final hidden and cell states; <paramref name="state"/> defaults to
    /// zeros.</summary>
    public (Tensor Output, LstmState State) Forward(Tensor input, LstmState? state, int[]? lengths = null)
    {
        var (output, h, c) = Run(input, state?.H, state?.C, lengths);
        return (output, new LstmState(h, c!));
    }

    private protected override bool IsLstm => true;

    private protected override (Tensor Output, Tensor H, Tensor? C) RunDirection(Tensor inputParts, Tensor h,
        Tensor? c, Tensor weightHh, Tensor? biasHh, bool reverse, Tensor? valid)
    {
        var states = F.LstmSequence(inputParts, h, c!, weightHh, biasHh, reverse, valid);
        int last = reverse ? 0 : inputParts.shape[0] - 1;
        return (ZerosPastLength(states.Select(1, 0), valid), states[last, 0], states[last, 1]);
    }
}

/// <summary>A multi-layer GRU (torch.nn.GRU), gates in PyTorch's order r, z, n.</summary>
public sealed class GRU(int inputSize, int hiddenSize, int numLayers = 1, bool bias = true, bool batchFirst = false,
    double dropout = 0, bool bidirectional = false, Generator? generator = null, DType? dtype = null)
    : RecurrentLayers(inputSize, hiddenSize, 3, numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype)
{
    /// <summary>The output sequence and the final hidden states; <paramref name="h0"/> defaults to zeros.</summary>
    public (Tensor Output, Tensor H) Forward(Tensor input, Tensor? h0, int[]? lengths = null)
    {
        var (output, h, _) = Run(input, h0, null, lengths);
        return (output, h);
    }

    private protected override (Tensor Output, Tensor H, Tensor? C) RunDirection(Tensor inputParts, Tensor h,
        Tensor? c, Tensor weightHh, Tensor? biasHh, bool reverse, Tensor? valid)
    {
        var states = F.GruSequence(inputParts, h, weightHh, biasHh, reverse, valid);
        return (ZerosPastLength(states, valid), states[reverse ? 0 : inputParts.shape[0] - 1], null);
    }
}

internal static class RecurrentShapes
{
    public static void Check(string name, int inputSize, int hiddenSize)
    {
        if (inputSize <= 0 || hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize),
                $"{name}: sizes must be positive, got input {inputSize} and hidden {hiddenSize}");
    }

    public static bool IsRelu(string name, string nonlinearity) => nonlinearity switch
    {
        "tanh" => false,
        "relu" => true,
        _ => throw new ArgumentException($"{name}: nonlinearity must be 'tanh' or 'relu', got '{nonlinearity}'"),
    };
}
