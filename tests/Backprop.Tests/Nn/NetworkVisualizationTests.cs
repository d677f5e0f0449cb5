using System.Text.Json;
using Backprop.Nn;

namespace Backprop.Tests.Nn;

/// <summary>
/// CS231n assignment 3's network visualization and style transfer, run through the library on a small conv net
/// whose weights PyTorch drew (tools/golden/make_visualization_golden.py, network_visualization.json): saliency
/// maps, fooling-image steps until the net is fooled, a class-visualization step with jitter by Roll, Gram
/// matrices, the style loss and the total-variation loss, each with PyTorch's numbers in Float64.
/// </summary>
public class NetworkVisualizationTests
{
    // the constants of the generator
    private const int FoolingTarget = 4;
    private const double FoolingLearningRate = 0.02;
    private static readonly int[] Jitter = [1, 2];
    private const int VisualizationTarget = 2;
    private const double VisualizationL2 = 1e-3;
    private const double VisualizationLearningRate = 5.0;
    private static readonly double[] StyleWeights = [0.7, 1.3];
    private const double TvWeight = 0.25;

    private static readonly Lazy<JsonElement> Golden = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden",
            "network_visualization.json"))).RootElement);

    private static Tensor Read(string name) => Read(Golden.Value.GetProperty(name));

    private static Tensor Read(JsonElement e) => Tensor.FromArray(
        e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
        e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt32()).ToArray());

    // conv 3→4, ReLU, 2×2 max pool, conv 4→6, ReLU, flatten, linear to 5 classes, with PyTorch's weights by name
    private static Sequential Net()
    {
        var net = new Sequential(new Conv2d(3, 4, 3, padding: 1, dtype: DType.Float64), new ReLU(), new MaxPool2d(2),
            new Conv2d(4, 6, 3, padding: 1, dtype: DType.Float64), new ReLU(), new Flatten(),
            new Linear(96, 5, dtype: DType.Float64));
        net.LoadStateDict(Golden.Value.GetProperty("state_dict").EnumerateObject()
            .ToDictionary(p => p.Name, p => Read(p.Value)));
        return net;
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tol = 1e-10)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var (e, a) = (expected.ToArray<double>(), actual.ToArray<double>());
        double scale = e.Max(Math.Abs);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tol * scale, $"at {i}: PyTorch {e[i]:R}, ours {a[i]:R}");
    }

    [Fact]
    public void Scores_of_the_net_match_PyTorch() => AssertClose(Read("scores"), Net().Forward(Read("images")));

    [Fact]
    public void Saliency_is_the_largest_gradient_magnitude_of_the_class_score_over_the_channels()
    {
        var net = Net();
        var images = Read("images").RequiresGrad_();
        var labels = Tensor.FromArray(Golden.Value.GetProperty("labels").EnumerateArray()
            .Select(l => l.GetInt64()).ToArray());
        net.Forward(images).Gather(1, labels.Unsqueeze(1)).Squeeze().Sum().Backward();
        var saliency = images.Grad!.Abs().Max(1).Values;
        AssertClose(Read("saliency"), saliency);
    }

    // one step of gradient ascent on the target's score, normalized to the learning rate
    private static Tensor FoolingStep(Module net, Tensor image)
    {
        var x = image.Detach().Clone().RequiresGrad_();
        net.Forward(x)[0, FoolingTarget].Backward();
        using (Autograd.NoGrad()) return x + x.Grad! * (FoolingLearningRate / x.Grad!.Norm().Item());
    }

    [Fact]
    public void Fooling_steps_climb_the_target_score_until_the_net_predicts_it()
    {
        var net = Net();
        var image = Read("images").Narrow(0, 0, 1);
        AssertClose(Read("fooling_step"), FoolingStep(net, image));
        int steps = 0;
        while (net.Forward(image).ArgMax(1).Item<long>() != FoolingTarget)
        {
            image = FoolingStep(net, image);
            Assert.True(++steps <= 100, "not fooled in 100 steps");
        }
        Assert.Equal(Golden.Value.GetProperty("fooling_steps").GetInt32(), steps);
        Assert.True(steps > 1);
        AssertClose(Read("fooled"), image);
    }

    [Fact]
    public void Class_visualization_step_jitters_with_roll_climbs_the_regularized_score_and_rolls_back()
    {
        var net = Net();
        var img = Read("images").Narrow(0, 1, 1).Roll(Jitter, [2, 3]).Contiguous().RequiresGrad_();
        var norm = img.Norm();
        (net.Forward(img)[0, VisualizationTarget] - VisualizationL2 * norm * norm).Backward();
        Tensor stepped;
        using (Autograd.NoGrad())
            stepped = img + img.Grad! * (VisualizationLearningRate / img.Grad!.Norm().Item());
        var result = stepped.Roll([-Jitter[0], -Jitter[1]], [2, 3]).Clamp(-1.5, 1.5);
        AssertClose(Read("visualization_step"), result);
    }

    private static Tensor[] Features(Sequential net, Tensor x)
    {
        var first = net[1].Forward(net[0].Forward(x));
        return [first, net[4].Forward(net[3].Forward(net[2].Forward(first)))];
    }

    private static Tensor Gram(Tensor features, bool normalize = true)
    {
        int n = features.Shape[0], c = features.Shape[1], hw = features.Shape[2] * features.Shape[3];
        var flat = features.Reshape(n, c, hw);
        var gram = flat.MatMul(flat.MT);
        return normalize ? gram / (c * hw) : gram;
    }

    [Fact]
    public void Gram_matrices_of_the_features_match()
    {
        var features = Features(Net(), Read("images"));
        AssertClose(Read("gram"), Gram(features[1]));
        AssertClose(Read("gram_unnormalized"), Gram(features[0], normalize: false));
    }

    private static void AssertLoss(string name, Func<Tensor, Tensor> loss, Tensor image)
    {
        var expected = Golden.Value.GetProperty(name);
        var x = image.RequiresGrad_();
        var value = loss(x);
        value.Backward();
        double want = expected.GetProperty("value").GetDouble();
        Assert.True(Math.Abs(value.Item() - want) <= 1e-10 * Math.Abs(want),
            $"{name}: PyTorch {want:R}, ours {value.Item():R}");
        AssertClose(Read(expected.GetProperty("grad")), x.Grad!);
    }

    [Fact]
    public void Style_loss_over_two_layers_and_its_gradient_match()
    {
        var net = Net();
        var targets = Features(net, Read("style_image")).Select(f => Gram(f)).ToArray();
        AssertLoss("style_loss", x =>
        {
            var features = Features(net, x);
            var loss = Tensor.Zeros([], DType.Float64);
            for (int i = 0; i < features.Length; i++)
                loss = loss + StyleWeights[i] * (Gram(features[i]) - targets[i]).Square().Sum();
            return loss;
        }, Read("images").Narrow(0, 0, 1).Contiguous());
    }

    [Fact]
    public void Total_variation_loss_and_its_gradient_match()
    {
        AssertLoss("tv_loss", x =>
        {
            int h = x.Shape[2], w = x.Shape[3];
            var down = x.Narrow(2, 1, h - 1) - x.Narrow(2, 0, h - 1);
            var right = x.Narrow(3, 1, w - 1) - x.Narrow(3, 0, w - 1);
            return TvWeight * (down.Square().Sum() + right.Square().Sum());
        }, Read("images"));
    }
}
