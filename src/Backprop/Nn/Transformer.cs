namespace Backprop.Nn;

/// <summary>The settings every Transformer layer shares, as torch.nn.TransformerEncoderLayer takes them.</summary>
public sealed record TransformerOptions(int DModel, int NHead, int DimFeedforward = 2048, double Dropout = 0.1,
    string Activation = "relu", double LayerNormEps = 1e-5, bool BatchFirst = false, bool NormFirst = false)
{
    // the feed-forward block linear2(dropout(activation(linear1(x)))); a ReLU after an unhooked linear1 runs fused
    // with it as the explicit op Sequential also picks (the same values and gradients, one pass fewer each way)
    internal Tensor FeedForward(Linear linear1, Dropout dropout, Linear linear2, Tensor x)
    {
        var hidden = Activation == "relu" && !linear1.HasHooks
            ? F.LinearRelu(x, linear1.Weight, linear1.Bias) : Activate(linear1.Call(x));
        return linear2.Call(dropout.Call(hidden));
    }

    internal Linear Linear1(Generator? generator, DType? dtype) =>
        new(DModel, DimFeedforward, generator: generator, dtype: dtype);

    internal Linear Linear2(Generator? generator, DType? dtype) =>
        new(DimFeedforward, DModel, generator: generator, dtype: dtype);

    internal Tensor Activate(Tensor x) => Activation switch
    {
        "relu" => F.Relu(x),
        "gelu" => F.Gelu(x),
        _ => throw new ArgumentException($"Transformer: activation must be 'relu' or 'gelu', got '{Activation}'"),
    };
}

/// <summary>
/// Self-attention then a feed-forward block, each with a residual connection and layer norm
/// (torch.nn.TransformerEncoderLayer): after each block (post-norm, the default) or before it
/// (<see cref="TransformerOptions.NormFirst"/>). Children as in PyTorch: <c>self_attn</c>, <c>linear1</c>,
/// <c>dropout</c>, <c>linear2</c>, <c>norm1</c>, <c>norm2</c>, <c>dropout1</c>, <c>dropout2</c>.
/// </summary>
public sealed class TransformerEncoderLayer : Module
{
    private readonly TransformerOptions _options;
    private readonly MultiheadAttention _selfAttn;
    private readonly Linear _linear1, _linear2;
    private readonly Dropout _dropout;
    private readonly LayerNorm _norm1, _norm2;
    private readonly Dropout _dropout1, _dropout2;

    /// <summary>Creates the layer; the generator seeds its weights and dropout masks.</summary>
    public TransformerEncoderLayer(TransformerOptions options, Generator? generator = null, DType? dtype = null)
    {
        _options = options;
        _options.Activate(Tensor.Zeros([1]));   // refuses an unknown activation now, not at the first forward
        _selfAttn = RegisterModule("self_attn",
            new MultiheadAttention(options.DModel, options.NHead, options.Dropout, batchFirst: options.BatchFirst,
                generator: generator, dtype: dtype));
        _linear1 = RegisterModule("linear1", options.Linear1(generator, dtype));
        _dropout = RegisterModule("dropout", new Dropout(options.Dropout, generator));
        _linear2 = RegisterModule("linear2", options.Linear2(generator, dtype));
        _norm1 = RegisterModule("norm1", new LayerNorm([options.DModel], options.LayerNormEps, dtype: dtype));
        _norm2 = RegisterModule("norm2", new LayerNorm([options.DModel], options.LayerNormEps, dtype: dtype));
        _dropout1 = RegisterModule("dropout1", new Dropout(options.Dropout, generator));
        _dropout2 = RegisterModule("dropout2", new Dropout(options.Dropout, generator));
    }

    /// <summary>The layer's settings.</summary>
    public TransformerOptions Options => _options;

    private Tensor FeedForward(Tensor x) => _options.FeedForward(_linear1, _dropout, _linear2, x);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, null, null);

    /// <summary>Runs <see cref="Forward(Tensor, Tensor?, Tensor?)"/> between the layer's hooks, as the encoder calls
    /// it.</summary>
    public Tensor Call(Tensor src, Tensor? srcMask, Tensor? srcKeyPaddingMask) =>
        HasHooks
            ? Invoke([src, srcMask, srcKeyPaddingMask],
                i => Forward(ArgumentAt<Tensor>(i, 0), ArgumentAt<Tensor?>(i, 1), ArgumentAt<Tensor?>(i, 2)))
            : Forward(src, srcMask, srcKeyPaddingMask);

    /// <summary>
    /// The layer's output for <paramref name="src"/>; the masks are those of <see cref="MultiheadAttention.Forward(
    /// Tensor, Tensor, Tensor, Tensor?, bool, Tensor?, bool)"/>.
    /// </summary>
    public Tensor Forward(Tensor src, Tensor? srcMask, Tensor? srcKeyPaddingMask)
    {
        Tensor SelfAttention(Tensor x) =>
            _dropout1.Call(_selfAttn.Call(x, x, x, srcKeyPaddingMask, needWeights: false, srcMask).Output);
        var h = src;
        if (_options.NormFirst)
        {
            h = h + SelfAttention(_norm1.Call(h));
            return h + _dropout2.Call(FeedForward(_norm2.Call(h)));
        }
        h = _norm1.Call(h + SelfAttention(h));
        return _norm2.Call(h + _dropout2.Call(FeedForward(h)));
    }
}

/// <summary>
/// Self-attention over the target, attention to the encoder's memory, and a feed-forward block, each with a residual
/// connection and layer norm (torch.nn.TransformerDecoderLayer). Children as in PyTorch: <c>self_attn</c>,
/// <c>multihead_attn</c>, <c>linear1</c>, <c>dropout</c>, <c>linear2</c>, <c>norm1</c>..<c>norm3</c>,
/// <c>dropout1</c>..<c>dropout3</c>.
/// </summary>
public sealed class TransformerDecoderLayer : Module
{
    private readonly TransformerOptions _options;
    private readonly MultiheadAttention _selfAttn, _crossAttn;
    private readonly Linear _linear1, _linear2;
    private readonly Dropout _dropout;
    private readonly LayerNorm _norm1, _norm2, _norm3;
    private readonly Dropout _dropout1, _dropout2, _dropout3;

    /// <summary>Creates the layer; the generator seeds its weights and dropout masks.</summary>
    public TransformerDecoderLayer(TransformerOptions options, Generator? generator = null, DType? dtype = null)
    {
        _options = options;
        _options.Activate(Tensor.Zeros([1]));
        MultiheadAttention Attention() => new(options.DModel, options.NHead, options.Dropout,
            batchFirst: options.BatchFirst, generator: generator, dtype: dtype);
        _selfAttn = RegisterModule("self_attn", Attention());
        _crossAttn = RegisterModule("multihead_attn", Attention());
        _linear1 = RegisterModule("linear1", options.Linear1(generator, dtype));
        _dropout = RegisterModule("dropout", new Dropout(options.Dropout, generator));
        _linear2 = RegisterModule("linear2", options.Linear2(generator, dtype));
        LayerNorm Norm() => new([options.DModel], options.LayerNormEps, dtype: dtype);
        (_norm1, _norm2, _norm3) = (RegisterModule("norm1", Norm()), RegisterModule("norm2", Norm()),
            RegisterModule("norm3", Norm()));
        (_dropout1, _dropout2, _dropout3) = (RegisterModule("dropout1", new Dropout(options.Dropout, generator)),
            RegisterModule("dropout2", new Dropout(options.Dropout, generator)),
            RegisterModule("dropout3", new Dropout(options.Dropout, generator)));
    }

    /// <summary>The layer's settings.</summary>
    public TransformerOptions Options => _options;

    private Tensor FeedForward(Tensor x) => _options.FeedForward(_linear1, _dropout, _linear2, x);

    /// <summary>Refused: a decoder layer attends to an encoder's memory, which <see cref="Forward(Tensor, Tensor,
    /// Tensor?, Tensor?, Tensor?, Tensor?)"/> takes.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("TransformerDecoderLayer: needs the encoder's memory; " +
            "call Forward(tgt, memory)");

    /// <summary>Runs <see cref="Forward(Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?)"/> between the layer's
    /// hooks, as the decoder calls it.</summary>
    public Tensor Call(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null) =>
        HasHooks
            ? InvokeDecoding(Forward, tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask)
            : Forward(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask);

    /// <summary>The layer's output for <paramref name="tgt"/> attending to <paramref name="memory"/>.</summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null)
    {
        Tensor SelfAttention(Tensor x) =>
            _dropout1.Call(_selfAttn.Call(x, x, x, tgtKeyPaddingMask, needWeights: false, tgtMask).Output);
        Tensor CrossAttention(Tensor x) => _dropout2.Call(
            _crossAttn.Call(x, memory, memory, memoryKeyPaddingMask, needWeights: false, memoryMask).Output);
        Tensor Feed(Tensor x) => _dropout3.Call(FeedForward(x));
        var h = tgt;
        if (_options.NormFirst)
        {
            h = h + SelfAttention(_norm1.Call(h));
            h = h + CrossAttention(_norm2.Call(h));
            return h + Feed(_norm3.Call(h));
        }
        h = _norm1.Call(h + SelfAttention(h));
        h = _norm2.Call(h + CrossAttention(h));
        return _norm3.Call(h + Feed(h));
    }
}

/// <summary>
/// Encoder layers applied in turn, then an optional layer norm (torch.nn.TransformerEncoder): children
/// <c>layers.0</c>, <c>layers.1</c>, ... and <c>norm</c>.
/// </summary>
public sealed class TransformerEncoder : Module
{
    private readonly TransformerEncoderLayer[] _layers;
    private readonly LayerNorm? _norm;

    /// <summary>Stacks <paramref name="numLayers"/> layers, each drawn fresh from the generator.</summary>
    public TransformerEncoder(TransformerOptions options, int numLayers, bool finalNorm = false,
        Generator? generator = null, DType? dtype = null)
    {
        if (numLayers <= 0)
            throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers,
                "TransformerEncoder: numLayers must be positive");
        _layers = new TransformerEncoderLayer[numLayers];
        var layers = RegisterModule("layers", new Sequential());
        for (int i = 0; i < numLayers; i++)
            layers.Add(_layers[i] = new TransformerEncoderLayer(options, generator, dtype));
        if (finalNorm)
            _norm = RegisterModule("norm", new LayerNorm([options.DModel], options.LayerNormEps, dtype: dtype));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, null, null);

    /// <summary>Runs <see cref="Forward(Tensor, Tensor?, Tensor?)"/> between the encoder's hooks, as the Transformer
    /// calls it.</summary>
    public Tensor Call(Tensor src, Tensor? mask, Tensor? srcKeyPaddingMask) =>
        HasHooks
            ? Invoke([src, mask, srcKeyPaddingMask],
                i => Forward(ArgumentAt<Tensor>(i, 0), ArgumentAt<Tensor?>(i, 1), ArgumentAt<Tensor?>(i, 2)))
            : Forward(src, mask, srcKeyPaddingMask);

    /// <summary>The encoding of <paramref name="src"/>, every layer given the same masks.</summary>
    public Tensor Forward(Tensor src, Tensor? mask, Tensor? srcKeyPaddingMask)
    {
        var h = src;
        foreach (var layer in _layers) h = layer.Call(h, mask, srcKeyPaddingMask);
        return _norm is null ? h : _norm.Call(h);
    }
}

/// <summary>
/// Decoder layers applied in turn, then an optional layer norm (torch.nn.TransformerDecoder): children
/// <c>layers.0</c>, ... and <c>norm</c>.
/// </summary>
public sealed class TransformerDecoder : Module
{
    private readonly TransformerDecoderLayer[] _layers;
    private readonly LayerNorm? _norm;

    /// <summary>Stacks <paramref name="numLayers"/> layers, each drawn fresh from the generator.</summary>
    public TransformerDecoder(TransformerOptions options, int numLayers, bool finalNorm = false,
        Generator? generator = null, DType? dtype = null)
    {
        if (numLayers <= 0)
            throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers,
                "TransformerDecoder: numLayers must be positive");
        _layers = new TransformerDecoderLayer[numLayers];
        var layers = RegisterModule("layers", new Sequential());
        for (int i = 0; i < numLayers; i++)
            layers.Add(_layers[i] = new TransformerDecoderLayer(options, generator, dtype));
        if (finalNorm)
            _norm = RegisterModule("norm", new LayerNorm([options.DModel], options.LayerNormEps, dtype: dtype));
    }

    /// <summary>Refused: a decoder attends to an encoder's memory.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("TransformerDecoder: needs the encoder's memory; " +
            "call Forward(tgt, memory)");

    /// <summary>Runs <see cref="Forward(Tensor, Tensor, Tensor?, Tensor?, Tensor?, Tensor?)"/> between the decoder's
    /// hooks, as the Transformer calls it.</summary>
    public Tensor Call(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null) =>
        HasHooks
            ? InvokeDecoding(Forward, tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask)
            : Forward(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask);

    /// <summary>The decoding of <paramref name="tgt"/> attending to <paramref name="memory"/>.</summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null)
    {
        var h = tgt;
        foreach (var layer in _layers)
            h = layer.Call(h, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask);
        return _norm is null ? h : _norm.Call(h);
    }
}

/// <summary>
/// An encoder-decoder Transformer (torch.nn.Transformer): children <c>encoder</c> and <c>decoder</c>, each ending
/// in a layer norm, as PyTorch builds them.
/// </summary>
public sealed class Transformer : Module
{
    /// <summary>Creates the model; the generator seeds its weights and dropout masks.</summary>
    public Transformer(TransformerOptions options, int numEncoderLayers = 6, int numDecoderLayers = 6,
        Generator? generator = null, DType? dtype = null)
    {
        Encoder = RegisterModule("encoder", new TransformerEncoder(options, numEncoderLayers, true, generator, dtype));
        Decoder = RegisterModule("decoder", new TransformerDecoder(options, numDecoderLayers, true, generator, dtype));
    }

    /// <summary>The encoder stack.</summary>
    public TransformerEncoder Encoder { get; }

    /// <summary>The decoder stack.</summary>
    public TransformerDecoder Decoder { get; }

    /// <summary>Refused: the model maps a source and a target.</summary>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("Transformer: needs a source and a target; call Forward(src, tgt)");

    /// <summary>The decoder's output for <paramref name="tgt"/> given the encoding of <paramref name="src"/>.</summary>
    public Tensor Forward(Tensor src, Tensor tgt, Tensor? srcMask = null, Tensor? tgtMask = null,
        Tensor? memoryMask = null, Tensor? srcKeyPaddingMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null)
    {
        var memory = Encoder.Call(src, srcMask, srcKeyPaddingMask);
        return Decoder.Call(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask);
    }

    /// <summary>
    /// The float causal mask PyTorch's <c>generate_square_subsequent_mask</c> makes: 0 where key j ≤ query i, −∞
    /// above the diagonal.
    /// </summary>
    public static Tensor GenerateSquareSubsequentMask(int size, DType? dtype = null, Device? device = null)
    {
        var allowed = F.CausalMask(size, size, device);
        var zero = Tensor.Zeros([], dtype, device: device);
        return Tensor.Where(allowed, zero, Tensor.Full([], double.NegativeInfinity, dtype, device));
    }
}
