// A character-level language model on the names data set: each name is read one letter at a time by a GRU, which
// learns to predict the next letter ('.' ends a name). After training, new names are sampled letter by letter,
// carrying the GRU's hidden state from one step to the next.
using Backprop;
using Backprop.Data;
using Backprop.Nn;
using Backprop.Optim;

var names = Datasets.Names();
const string alphabet = ".abcdefghijklmnopqrstuvwxyz";   // token 0 starts and ends every name
int block = names.Max(n => n.Length) + 1;

var generator = new Generator(0);
var embed = new Embedding(alphabet.Length, 24, generator);
var gru = new GRU(24, 96, batchFirst: true, generator: generator);
var readOut = new Linear(96, alphabet.Length, generator: generator);
Module[] parts = [embed, gru, readOut];
var optimizer = new Adam(parts.SelectMany(p => p.Parameters()), lr: 1e-2);

// a batch of names as inputs ".emma" and targets "emma.", padded; the padding is left out of the loss
(Tensor Inputs, Tensor Targets, Tensor Counted) Batch(IEnumerable<string> batch)
{
    var rows = batch.ToArray();
    int size = rows.Length * block;
    var (inputs, targets, counted) = (new long[size], new long[size], new bool[size]);
    for (int i = 0; i < rows.Length; i++)
        for (int t = 0; t <= rows[i].Length; t++)
        {
            inputs[i * block + t] = t == 0 ? 0 : alphabet.IndexOf(rows[i][t - 1]);
            targets[i * block + t] = t == rows[i].Length ? 0 : alphabet.IndexOf(rows[i][t]);
            counted[i * block + t] = true;
        }
    int[] shape = [rows.Length, block];
    return (Tensor.FromArray(inputs, shape), Tensor.FromArray(targets, shape), Tensor.FromArray(counted, shape));
}

var order = new Random(0);
for (int step = 1; step <= 600; step++)
{
    using var scope = new TensorScope();
    var (inputs, targets, counted) = Batch(Enumerable.Range(0, 64).Select(_ => names[order.Next(names.Length)]));
    var (hidden, _) = gru.Forward(embed.Forward(inputs), null);
    var logits = readOut.Forward(hidden).Reshape(-1, alphabet.Length);
    var perLetter = F.CrossEntropy(logits, targets.Reshape(-1), "none");
    var weights = counted.Reshape(-1).To(perLetter.DType);
    var loss = (perLetter * weights).Sum() / weights.Sum();
    optimizer.ZeroGrad();
    loss.Backward();
    optimizer.Step();
    if (step % 100 == 0) Console.WriteLine($"step {step}: loss {loss.Item():F3} per letter");
}

var draws = new Random(1);
using (Autograd.NoGrad())
    for (int sample = 0; sample < 10; sample++)
    {
        Tensor? state = null;
        long token = 0;
        var name = "";
        while (name.Length < block)
        {
            var (output, next) = gru.Forward(embed.Forward(Tensor.FromArray([token], [1, 1])), state);
            state = next;
            var probabilities = F.Softmax(readOut.Forward(output).Reshape(-1), 0).ToArray<float>();
            double u = draws.NextDouble(), sum = 0;
            token = probabilities.Length - 1;
            for (int k = 0; k < probabilities.Length; k++)
                if ((sum += probabilities[k]) > u) { token = k; break; }
            if (token == 0) break;
            name += alphabet[(int)token];
        }
        Console.WriteLine(name);
    }
