using Backprop.Kernels.Cpu;

namespace Backprop.Tests.Nn;

// Linear over LinearRelu on data, or over a ReLU of a Linear (a two-layer net), runs both layers' backward rules in one
// pass over the hidden layer, with the gradient at the hidden layer never formed. Every Grad must get the bits the rules
// give apart, which the same net gives with a hook on its hidden layer (a hook sees that gradient, so nothing is paired).
public class TwoLayerBackwardTests
{
    // the spiral; hidden units a multiple of the vector, exactly one vector, and ragged (the last block overlapping);
    // 1 to 4 classes and inputs; row counts off the bias sums' groups of four; one row; double's shorter vector
    public static TheoryData<int, int, int, int, DType> Nets() => new()
    {
        { 300, 2, 100, 3, DType.Float32 }, { 64, 1, 64, 1, DType.Float32 }, { 7, 4, 8, 4, DType.Float32 },
        { 1, 3, 37, 2, DType.Float32 }, { 30, 2, 37, 3, DType.Float64 }, { 5, 4, 4, 2, DType.Float64 },
        { 436, 2, 100, 3, DType.Float32 }, { 437, 2, 100, 3, DType.Float32 },   // the last size the pass takes, and the first past it
    };

    [Theory]
    [MemberData(nameof(Nets))]
    public void A_two_layer_net_gets_the_bits_of_its_layers_apart(int rows, int inputs, int hidden, int classes, DType dtype)
    {
        var g = new Generator(rows * 13 + hidden);
        var x = Tensor.Randn([rows, inputs], dtype, g);
        var w1 = Tensor.Randn([hidden, inputs], dtype, g, requiresGrad: true);
        var b1 = Tensor.Randn([hidden], dtype, g, requiresGrad: true);
        var w2 = Tensor.Randn([classes, hidden], dtype, g, requiresGrad: true);
        var b2 = Tensor.Randn([classes], dtype, g, requiresGrad: true);
        var labels = Tensor.FromArray(Enumerable.Range(0, rows).Select(i => (long)(i * 7 % classes)).ToArray());
        Tensor[] parameters = [w1, b1, w2, b2];
        var held = parameters.Select(p => Tensor.Randn(p.shape, dtype, g)).ToArray();
        // with no Grad yet and with one to add into; the L2 term is a second gradient for each weight, added after
        // this net's, as the rules apart add them
        foreach (bool intoGrad in new[] { false, true })
        {
            var runs = new List<double[]>();
            foreach (var layer in HiddenLayers)
            {
                for (int i = 0; i < parameters.Length; i++) parameters[i].Grad = intoGrad ? held[i].Clone() : null;
                var (h, hook) = layer(x, w1, b1);
                var loss = F.CrossEntropy(F.Linear(h, w2, b2), labels) + 1e-3 * ((w1 * w1).Sum() + (w2 * w2).Sum());
                loss.Backward();
                hook?.Dispose();
                runs.Add(parameters.SelectMany(p => p.Grad!.To(DType.Float64).ToArray<double>()).ToArray());
            }
            Assert.Equal(runs[0], runs[1]);
            Assert.Equal(runs[0], runs[2]);
        }
    }

    // the hidden layer apart (an identity hook on it), fused, and with its ReLU as an op of its own
    private static readonly Func<Tensor, Tensor, Tensor, (Tensor, IDisposable?)>[] HiddenLayers =
    [
        (x, w, b) => { var h = F.Relu(F.Linear(x, w, b)); return (h, h.RegisterHook(g => g)); },
        (x, w, b) => (F.LinearRelu(x, w, b), null),
        (x, w, b) => (F.Relu(F.Linear(x, w, b)), null),
    ];

    // The pair runs only when nothing sees the gradients between the layers: a hook on the pre-activation or on the
    // ReLU's output, a second reader of the pre-activation, or a grad asked for it keeps the rules apart.
    [Fact]
    public void A_relu_of_its_own_pairs_only_when_nothing_else_sees_the_layers_gradients()
    {
        var g = new Generator(6);
        var x = Tensor.Randn([30, 2], generator: g);
        var w1 = Tensor.Randn([16, 2], generator: g, requiresGrad: true);
        var w2 = Tensor.Randn([3, 16], generator: g, requiresGrad: true);
        var upstream = Tensor.Randn([30, 3], generator: g);
        Tensor Fused() => (F.Linear(F.LinearRelu(x, w1), w2) * upstream).Sum();
        int preActivationHooks = 0, activationHooks = 0;
        Near(w1, w2, () =>
        {
            var z = F.Linear(x, w1);
            z.RegisterHook(_ => { preActivationHooks++; return null; });
            return (F.Linear(F.Relu(z), w2) * upstream).Sum();
        }, Fused);
        Near(w1, w2, () =>
        {
            var h = F.Relu(F.Linear(x, w1));
            h.RegisterHook(_ => { activationHooks++; return null; });
            return (F.Linear(h, w2) * upstream).Sum();
        }, Fused);
        Assert.Equal((1, 1), (preActivationHooks, activationHooks));
        Near(w1, w2, () => { var z = F.Linear(x, w1); return (F.Linear(F.Relu(z), w2) * upstream).Sum() + z.Sum(); },
            () => { var z = F.Linear(x, w1); return (F.Linear(F.LinearRelu(x, w1), w2) * upstream).Sum() + z.Sum(); });
        var zAsked = F.Linear(x, w1);
        var dz = Autograd.Grad([(F.Linear(F.Relu(zAsked), w2) * upstream).Sum()], [zAsked])[0]!;
        var reference = (upstream.MatMul(w2) * zAsked.Gt(0)).Detach();
        Assert.True((dz - reference).Abs().Max().Item() < 1e-5);
    }

    // What the pass cannot take, the rules apart do: a hidden layer read twice, an input that needs its gradient, a
    // hidden layer narrower than a vector, more classes or inputs than registers hold; and a classifier weight stored
    // transposed, which the pass reads through a contiguous copy.
    [Fact]
    public void Nets_outside_the_pass_still_get_their_gradients()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([50, 3], generator: g);
        var w1 = Tensor.Randn([16, 3], generator: g, requiresGrad: true);
        var w2 = Tensor.Randn([2, 16], generator: g, requiresGrad: true);
        var upstream = Tensor.Randn([50, 2], generator: g);
        Near(w1, w2, () => { var h = F.LinearRelu(x, w1); return F.Linear(h, w2).Sum() + h.Sum(); },
            () => { var h = F.Relu(F.Linear(x, w1)); return F.Linear(h, w2).Sum() + h.Sum(); });
        var input = x.Clone().RequiresGrad_();
        Near(w1, w2, () => (F.Linear(F.LinearRelu(input, w1), w2) * upstream).Sum(), () => (F.Linear(F.Relu(F.Linear(input, w1)), w2) * upstream).Sum());
        var wide = Tensor.Randn([6, 16], generator: g, requiresGrad: true);
        var wideUpstream = Tensor.Randn([50, 6], generator: g);
        Near(w1, wide, () => (F.Linear(F.LinearRelu(x, w1), wide) * wideUpstream).Sum(), () => (F.Linear(F.Relu(F.Linear(x, w1)), wide) * wideUpstream).Sum());
        var narrow = Tensor.Randn([5, 3], generator: g, requiresGrad: true);
        var w2Narrow = Tensor.Randn([2, 5], generator: g, requiresGrad: true);
        Near(narrow, w2Narrow, () => (F.Linear(F.LinearRelu(x, narrow), w2Narrow) * upstream).Sum(),
            () => (F.Linear(F.Relu(F.Linear(x, narrow)), w2Narrow) * upstream).Sum());
        var stored = Tensor.Randn([16, 2], generator: g);
        var w2T = stored.T.RequiresGrad_();   // a leaf view with strides (1, 2)
        Near(w1, w2T, () => (F.Linear(F.LinearRelu(x, w1), w2T) * upstream).Sum(), () => (F.Linear(F.Relu(F.Linear(x, w1)), w2T) * upstream).Sum());
        Assert.Null(CpuMatMul.TwoLayerBackward<float>(upstream, wide, Tensor.Zeros([50, 16]), x));
    }

    // The pass's weight gradients are added into Grad when the pass ends: a failure later in the pass leaves every
    // Grad as it was.
    [Fact]
    public void A_failure_after_the_pass_leaves_every_grad_as_it_was()
    {
        var g = new Generator(4);
        var x = Tensor.Randn([40, 2], generator: g);
        var w1 = Tensor.Randn([24, 2], generator: g, requiresGrad: true);
        var w2 = Tensor.Randn([3, 24], generator: g, requiresGrad: true);
        var other = Tensor.Randn([3], generator: g, requiresGrad: true);
        // the failing branch runs before the pair and after it
        foreach (bool pairFirst in new[] { true, false })
        {
            w1.Grad = Tensor.Ones([24, 2]);
            w2.Grad = Tensor.Ones([3, 24]);
            var scaled = other * 2;
            var net = F.Linear(F.LinearRelu(x, w1), w2) * 3;
            using (scaled.RegisterHook(_ => throw new InvalidOperationException("hook failed")))
                Assert.Throws<InvalidOperationException>(() => (pairFirst ? scaled + net : net + scaled).Sum().Backward());
            Assert.All(w1.Grad.ToArray<float>(), v => Assert.Equal(1f, v));
            Assert.All(w2.Grad.ToArray<float>(), v => Assert.Equal(1f, v));
        }
    }

    // the two losses' gradients for both weights agree to rounding
    private static void Near(Tensor a, Tensor b, Func<Tensor> loss, Func<Tensor> reference)
    {
        a.Grad = b.Grad = null;
        loss().Backward();
        var (ga, gb) = (a.Grad!.Clone(), b.Grad!.Clone());
        a.Grad = b.Grad = null;
        reference().Backward();
        Assert.True((ga - a.Grad!).Abs().Max().Item() < 1e-4, "first weight");
        Assert.True((gb - b.Grad!).Abs().Max().Item() < 1e-4, "second weight");
    }
}
