using Backprop.Nn;

namespace Backprop.Cli;

/// <summary>
/// Words as token sequences for a character-level language model: token 0 marks both the start and the end of a
/// word (as in makemore), tokens 1.. are the alphabet's characters in sorted order.
/// </summary>
internal sealed class CharacterCorpus
{
    public CharacterCorpus(IReadOnlyList<string> words)
    {
        Alphabet = new string([.. words.SelectMany(w => w).Distinct().Order()]);
        BlockSize = words.Max(w => w.Length) + 1;
    }

    /// <summary>The characters, token i + 1 being Alphabet[i].</summary>
    public string Alphabet { get; }

    /// <summary>Tokens: the characters and the boundary.</summary>
    public int VocabularySize => Alphabet.Length + 1;

    /// <summary>Positions per example: the longest word plus its boundary.</summary>
    public int BlockSize { get; }

    /// <summary>
    /// For each word, inputs [0, c₁, …, cₙ] and targets [c₁, …, cₙ, 0], padded to <see cref="BlockSize"/>;
    /// the padding's targets are left out of the loss by <c>Counted</c>.
    /// </summary>
    public (Tensor Inputs, Tensor Targets, Tensor Counted) Encode(IReadOnlyList<string> words)
    {
        var inputs = new long[words.Count * BlockSize];
        var targets = new long[inputs.Length];
        var counted = new bool[inputs.Length];
        for (int i = 0; i < words.Count; i++)
        {
            string w = words[i];
            if (w.Length >= BlockSize)
                throw new ArgumentException($"'{w}' is longer than the corpus' block of {BlockSize - 1} characters");
            for (int t = 0; t <= w.Length; t++)
            {
                int at = i * BlockSize + t;
                inputs[at] = t == 0 ? 0 : Token(w[t - 1]);
                targets[at] = t == w.Length ? 0 : Token(w[t]);
                counted[at] = true;
            }
        }
        int[] shape = [words.Count, BlockSize];
        return (Tensor.FromArray(inputs, shape), Tensor.FromArray(targets, shape), Tensor.FromArray(counted, shape));
    }

    private long Token(char c) => Alphabet.IndexOf(c) is >= 0 and var i
        ? i + 1 : throw new ArgumentException($"'{c}' is not in the corpus' alphabet");

    /// <summary>
    /// A new word drawn token by token from the model's next-token distribution, until the boundary or the block
    /// is full; <paramref name="uniform"/> gives the draws.
    /// </summary>
    public string Sample(Module model, Func<double> uniform)
    {
        var tokens = new List<long> { 0 };
        using var _ = Autograd.NoGrad();
        while (tokens.Count < BlockSize)
        {
            var logits = model.Forward(Tensor.FromArray(tokens.ToArray(), [1, tokens.Count]));
            var probabilities = F.Softmax(logits[0, ^1], -1).To(DType.Float64).ToArray<double>();
            double u = uniform(), sum = 0;
            int next = probabilities.Length - 1;
            for (int k = 0; k < probabilities.Length; k++)
                if ((sum += probabilities[k]) > u) { next = k; break; }
            if (next == 0) break;
            tokens.Add(next);
        }
        return new string([.. tokens.Skip(1).Select(t => Alphabet[(int)t - 1])]);
    }
}

/// <summary>Next-character logits from an embedding, an LSTM and a linear read-out (children as named here).</summary>
internal sealed class CharacterLstm : Module
{
    private readonly Embedding _embedding;
    private readonly LSTM _lstm;
    private readonly Linear _head;

    public CharacterLstm(int vocabulary, int hidden, int layers, Generator generator)
    {
        _embedding = RegisterModule("embedding", new Embedding(vocabulary, hidden / 2, generator));
        _lstm = RegisterModule("lstm", new LSTM(hidden / 2, hidden, layers, batchFirst: true, generator: generator));
        _head = RegisterModule("head", new Linear(hidden, vocabulary, generator: generator));
    }

    /// <summary>Logits [batch, block, vocabulary] for tokens [batch, block].</summary>
    public override Tensor Forward(Tensor input) => _head.Forward(_lstm.Forward(_embedding.Forward(input)));
}

/// <summary>
/// Next-character logits from a causal pre-norm Transformer encoder over token plus learned position embeddings,
/// then a layer norm and a linear read-out (a small GPT).
/// </summary>
internal sealed class CharacterTransformer : Module
{
    private readonly Embedding _tokens, _positions;
    private readonly TransformerEncoder _encoder;
    private readonly LayerNorm _norm;
    private readonly Linear _head;

    public CharacterTransformer(int vocabulary, int blockSize, int dModel, int layers, Generator generator)
    {
        var options = new TransformerOptions(dModel, NHead: 4, DimFeedforward: 4 * dModel, Dropout: 0,
            Activation: "gelu", BatchFirst: true, NormFirst: true);
        _tokens = RegisterModule("token_embedding", new Embedding(vocabulary, dModel, generator));
        _positions = RegisterModule("position_embedding", new Embedding(blockSize, dModel, generator));
        _encoder = RegisterModule("encoder", new TransformerEncoder(options, layers, generator: generator));
        _norm = RegisterModule("norm", new LayerNorm([dModel]));
        _head = RegisterModule("head", new Linear(dModel, vocabulary, generator: generator));
    }

    /// <summary>Logits [batch, block, vocabulary] for tokens [batch, block]; a position sees only its past.</summary>
    public override Tensor Forward(Tensor input)
    {
        int steps = input.Shape[1];
        var positions = Tensor.Arange(steps, DType.Int64);
        var x = _tokens.Forward(input) + _positions.Forward(positions);
        var future = F.CausalMask(steps, steps).LogicalNot();   // true where a key is left out
        return _head.Forward(_norm.Forward(_encoder.Forward(x, future, null)));
    }
}
