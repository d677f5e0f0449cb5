using Backprop.Nn;

namespace Backprop.Tests.Nn;

/// <summary>
/// The checks of CS231n assignment 3's notebooks (RNN and LSTM steps and sequences, word embedding, temporal softmax
/// loss, the captioning RNN's loss), run through the library's modules with the course's weights loaded by
/// PyTorch's names. The expected numbers are the notebooks' published ones, each recomputed with NumPy before being
/// asserted here; the LSTM captioning loss, which the notebook does not print to these digits, is PyTorch's.
/// </summary>
public class Assignment3Tests
{
    private static Tensor Linspace(double start, double end, params int[] shape) =>
        Cs231nTests.Linspace(start, end, shape);

    // the course's Wx [in, gates·hidden] (LSTM gates i, f, o, g) as PyTorch's weight [gates·hidden, in] (i, f, g, o)
    private static Tensor Gates(Tensor courseWeight, bool lstm)
    {
        if (!lstm) return courseWeight.T.Contiguous();
        var parts = courseWeight.Chunk(4, -1);
        return Tensor.Cat([parts[0], parts[1], parts[3], parts[2]], -1).T.Contiguous();
    }

    private static Dictionary<string, Tensor> CellState(Tensor wx, Tensor wh, Tensor b, bool lstm, string suffix = "")
    {
        var bias = b.Reshape(1, -1);
        return new()
        {
            ["weight_ih" + suffix] = Gates(wx, lstm),
            ["weight_hh" + suffix] = Gates(wh, lstm),
            ["bias_ih" + suffix] = Gates(bias, lstm).Reshape(-1),
            ["bias_hh" + suffix] = Tensor.Zeros([b.Shape[0]], DType.Float64),
        };
    }

    private static void AssertClose(Tensor actual, double[] expected)
    {
        double error = Cs231nTests.RelError(actual, expected);
        Assert.True(error < 1e-7, $"rel error {error:E2}");
    }

    [Fact]
    public void Rnn_step_forward_matches_the_notebook()
    {
        var cell = new RNNCell(10, 4, dtype: DType.Float64);
        var (wx, wh, b) = (Linspace(-0.1, 0.9, 10, 4), Linspace(-0.3, 0.7, 4, 4), Linspace(-0.2, 0.4, 4));
        cell.LoadStateDict(CellState(wx, wh, b, false));
        var next = cell.Forward(Linspace(-0.4, 0.7, 3, 10), Linspace(-0.2, 0.5, 3, 4));
        AssertClose(next, [
            -0.58172089, -0.50182032, -0.41232771, -0.31410098, 0.66854692, 0.79562378, 0.87755553, 0.92795967,
            0.97934501, 0.99144213, 0.99646691, 0.99854353]);
    }

    [Fact]
    public void Rnn_forward_matches_the_notebook()
    {
        var rnn = new RNN(4, 5, batchFirst: true, dtype: DType.Float64);
        var (wx, wh, b) = (Linspace(-0.2, 0.4, 4, 5), Linspace(-0.4, 0.1, 5, 5), Linspace(-0.7, 0.1, 5));
        rnn.LoadStateDict(CellState(wx, wh, b, false, "_l0"));
        var (h, _) = rnn.Forward(Linspace(-0.1, 0.3, 2, 3, 4), Linspace(-0.3, 0.1, 2, 5).Unsqueeze(0));
        AssertClose(h, [
            -0.42070749, -0.27279261, -0.11074945, 0.05740409, 0.22236251,
            -0.39525808, -0.22554661, -0.0409454, 0.14649412, 0.32397316,
            -0.42305111, -0.24223728, -0.04287027, 0.15997045, 0.35014525,
            -0.55857474, -0.39065825, -0.19198182, 0.02378408, 0.23735671,
            -0.27150199, -0.07088804, 0.13562939, 0.33099728, 0.50158768,
            -0.51014825, -0.30524429, -0.06755202, 0.17806392, 0.40333043]);
    }

    [Fact]
    public void Lstm_step_forward_matches_the_notebook()
    {
        var cell = new LSTMCell(4, 5, dtype: DType.Float64);
        var (wx, wh, b) = (Linspace(-2.1, 1.3, 4, 20), Linspace(-0.7, 2.2, 5, 20), Linspace(0.3, 0.7, 20));
        cell.LoadStateDict(CellState(wx, wh, b, true));
        var previous = new LstmState(Linspace(-0.3, 0.7, 3, 5), Linspace(-0.4, 0.9, 3, 5));
        var state = cell.Forward(Linspace(-0.4, 1.2, 3, 4), previous);
        AssertClose(state.H, [
            0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904,
            0.49223563, 0.55611431, 0.61507696, 0.66844003, 0.7159181,
            0.56735664, 0.66310127, 0.74419266, 0.80889665, 0.858299]);
        AssertClose(state.C, [
            0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407,
            0.66382255, 0.76674007, 0.87195994, 0.97902709, 1.08751345,
            0.74192008, 0.90592151, 1.07717006, 1.25120233, 1.42395676]);
    }

    [Fact]
    public void Lstm_forward_matches_the_notebook()
    {
        var lstm = new LSTM(5, 4, batchFirst: true, dtype: DType.Float64);
        var (wx, wh, b) = (Linspace(-0.2, 0.9, 5, 16), Linspace(-0.3, 0.6, 4, 16), Linspace(0.2, 0.7, 16));
        lstm.LoadStateDict(CellState(wx, wh, b, true, "_l0"));
        var h0 = Linspace(-0.4, 0.8, 2, 4).Unsqueeze(0);
        var (h, _) = lstm.Forward(Linspace(-0.4, 0.6, 2, 3, 5), new LstmState(h0, Tensor.ZerosLike(h0)));
        AssertClose(h, [
            0.01764008, 0.01823233, 0.01882671, 0.0194232, 0.11287491, 0.12146228, 0.13018446, 0.13902939,
            0.31358768, 0.33338627, 0.35304453, 0.37250975, 0.45767879, 0.4761092, 0.4936887, 0.51041945,
            0.6704845, 0.69350089, 0.71486014, 0.7346449, 0.81733511, 0.83677871, 0.85403753, 0.86935314]);
    }

    [Fact]
    public void Word_embedding_forward_matches_the_notebook()
    {
        var embedding = new Embedding(5, 3, dtype: DType.Float64);
        embedding.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Linspace(0, 1, 5, 3) });
        var output = embedding.Forward(Tensor.FromArray(new long[] { 0, 3, 1, 2, 2, 1, 0, 3 }, [2, 4]));
        double[] rows = [0, 0.07142857, 0.14285714, 0.64285714, 0.71428571, 0.78571429,
            0.21428571, 0.28571429, 0.35714286, 0.42857143, 0.5, 0.57142857];
        int[] order = [0, 1, 2, 3, 3, 2, 0, 1];
        AssertClose(output, order.SelectMany(r => rows.Skip(3 * r).Take(3)).ToArray());
    }

    // the course's temporal softmax loss: per-step cross-entropy, masked, summed and divided by the batch size
    private static Tensor TemporalSoftmaxLoss(Tensor scores, Tensor targets, Tensor mask)
    {
        int n = scores.Shape[0], vocabulary = scores.Shape[2];
        var perStep = F.CrossEntropy(scores.Reshape(-1, vocabulary), targets.Reshape(-1), "none");
        return (perStep * mask.Reshape(-1).To(scores.DType)).Sum() / n;
    }

    [Fact]
    public void Temporal_softmax_loss_of_uniform_scores_is_ln_v_per_unmasked_step()
    {
        bool[] kept = [true, true, false, true, true, true, false, false, true, true, false, true];
        var mask = Tensor.FromArray(kept, [4, 3]);
        var targets = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (long)(i % 10)).ToArray(), [4, 3]);
        var loss = TemporalSoftmaxLoss(Tensor.Zeros([4, 3, 10], DType.Float64), targets, mask);
        Assert.Equal(8 * Math.Log(10) / 4, loss.Item(), 12);
    }

    // the GAN notebook's losses: the discriminator's and generator's binary cross-entropy on logits, and the
    // least-squares versions, with their gradients, against PyTorch
    [Theory]
    [InlineData("discriminator")]
    [InlineData("generator")]
    [InlineData("ls_discriminator")]
    [InlineData("ls_generator")]
    public void Gan_losses_match_PyTorch(string name)
    {
        var golden = SequenceGoldenTests.GanLosses;
        var real = SequenceGoldenTests.Read(golden.GetProperty("real"), DType.Float64).RequiresGrad_();
        var fake = SequenceGoldenTests.Read(golden.GetProperty("fake"), DType.Float64).RequiresGrad_();
        var (ones, zeros) = (Tensor.OnesLike(real), Tensor.ZerosLike(real));
        var loss = name switch
        {
            "discriminator" => F.BinaryCrossEntropyWithLogits(real, ones) + F.BinaryCrossEntropyWithLogits(fake, zeros),
            "generator" => F.BinaryCrossEntropyWithLogits(fake, ones),
            "ls_discriminator" => 0.5 * (real - 1).Pow(2).Mean() + 0.5 * fake.Pow(2).Mean(),
            _ => 0.5 * (fake - 1).Pow(2).Mean(),
        };
        loss.Backward();
        var expected = golden.GetProperty(name);
        Assert.Equal(expected.GetProperty("loss").GetDouble(), loss.Item(), 12);
        var realGrad = real.Grad ?? Tensor.ZerosLike(real);
        AssertClose(realGrad, SequenceGoldenTests.Values(expected.GetProperty("grad_real")));
        AssertClose(fake.Grad!, SequenceGoldenTests.Values(expected.GetProperty("grad_fake")));
    }

    [Theory]
    [InlineData("rnn", 9.83235591003)]
    [InlineData("lstm", double.NaN)]
    public void Captioning_loss_matches(string cell, double published)
    {
        const int n = 10, d = 20, w = 30, h = 40, v = 3, t = 13;
        bool lstm = cell == "lstm";
        int gates = lstm ? 4 : 1;
        var project = new Linear(d, h, dtype: DType.Float64);
        var embed = new Embedding(v, w, dtype: DType.Float64);
        var vocabulary = new Linear(h, v, dtype: DType.Float64);
        // the notebook sets every parameter to a linspace over [-1.4, 1.3] of its own size
        Tensor Course(params int[] shape) => Linspace(-1.4, 1.3, shape);
        project.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Course(d, h).T, ["bias"] = Course(h) });
        embed.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Course(v, w) });
        vocabulary.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Course(h, v).T, ["bias"] = Course(v) });
        var features = Linspace(-1.5, 0.3, n, d);
        var captions = Tensor.FromArray(Enumerable.Range(0, n * t).Select(i => (long)(i % v)).ToArray(), [n, t]);
        var (stepsIn, stepsOut) = (captions[.., ..^1], captions[.., 1..]);
        var h0 = project.Forward(features).Unsqueeze(0);
        var words = embed.Forward(stepsIn);
        Tensor hidden;
        if (lstm)
        {
            var module = new LSTM(w, h, batchFirst: true, dtype: DType.Float64);
            module.LoadStateDict(CellState(Course(w, gates * h), Course(h, gates * h), Course(gates * h), true, "_l0"));
            hidden = module.Forward(words, new LstmState(h0, Tensor.ZerosLike(h0))).Output;
        }
        else
        {
            var module = new RNN(w, h, batchFirst: true, dtype: DType.Float64);
            module.LoadStateDict(CellState(Course(w, h), Course(h, h), Course(h), false, "_l0"));
            hidden = module.Forward(words, h0).Output;
        }
        var loss = TemporalSoftmaxLoss(vocabulary.Forward(hidden), stepsOut, stepsOut.Ne(0L)).Item();
        Assert.Equal(SequenceGoldenTests.CaptioningLoss(cell), loss, 10);
        if (!double.IsNaN(published)) Assert.Equal(published, loss, 10);
    }
}
