namespace Backprop.Tests.Nn;

// Linear's forward and backward take fused kernel paths by shape (few inputs, thin outputs, column sums in blocks of
// four vectors); each must equal the same layer written with plain tensor ops.
public class LinearKernelTests
{
    // in features 1–4 (one pass with the bias), 2 vs 100 outputs (dot products, ragged column blocks), 37 and 70
    // outputs (bias gradient: four-vector blocks, single vectors, a last vector overlapping the one before, odd row
    // counts, and 3 outputs as single columns), float and double
    public static TheoryData<int, int, int, DType> Shapes() => new()
    {
        { 300, 2, 100, DType.Float32 }, { 7, 3, 37, DType.Float64 }, { 5, 1, 70, DType.Float32 }, { 9, 4, 3, DType.Float64 },
        { 64, 20, 70, DType.Float32 }, { 33, 100, 3, DType.Float32 }, { 1, 6, 33, DType.Float64 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Fused_forward_and_backward_match_tensor_ops(int rows, int inFeatures, int outFeatures, DType dtype)
    {
        var g = new Generator(rows * 31 + outFeatures);
        var x = Tensor.Randn([rows, inFeatures], dtype, g, requiresGrad: true);
        var w = Tensor.Randn([outFeatures, inFeatures], dtype, g, requiresGrad: true);
        var b = Tensor.Randn([outFeatures], dtype, g, requiresGrad: true);
        var upstream = Tensor.Randn([rows, outFeatures], dtype, g);

        var y = F.Linear(x, w, b);
        var expected = x.MatMul(w.T) + b;
        Assert.True((y - expected).Abs().Max().Item() < Tolerance(dtype), "forward");

        var fused = Autograd.Grad([y], [x, w, b], [upstream]);
        var reference = new[] { upstream.MatMul(w), upstream.T.MatMul(x), upstream.Sum(0) };
        for (int i = 0; i < 3; i++)
        {
            double error = (fused[i]! - reference[i]).Abs().Max().Item();
            Assert.True(error < Tolerance(dtype) * Math.Sqrt(rows), $"gradient {i}: {error}");
        }
    }

    // LinearRelu, and Relu over Linear with the two rules run as one, must be Relu(Linear) with its rules apart to the
    // bit, forward and backward (the mask read from the output instead of the pre-activation, the bias gradient summed
    // in the masking pass), on every kernel path, with and without a Grad to add into, with and without an input
    // gradient; a NaN bias makes a column NaN forward and stops its gradient, as the ReLU does.
    [Theory]
    [MemberData(nameof(Shapes))]
    [InlineData(50, 1, 1, DType.Float32)]      // one input and one output: its weight gradient is a dot product along the rows
    public void Fused_linear_relu_gives_the_bits_of_relu_after_linear(int rows, int inFeatures, int outFeatures, DType dtype)
    {
        var g = new Generator(rows * 17 + inFeatures);
        var input = Tensor.Randn([rows, inFeatures], dtype, g);
        var w = Tensor.Randn([outFeatures, inFeatures], dtype, g, requiresGrad: true);
        var nanColumn = new double[outFeatures];
        if (outFeatures > 1) nanColumn[outFeatures / 2] = double.NaN;   // a lone column stays a number, or no gradient passes
        var b = (Tensor.Randn([outFeatures], dtype, g) + Tensor.FromArray(nanColumn).To(dtype)).RequiresGrad_();
        var upstream = Tensor.Randn([rows, outFeatures], dtype, g);
        var held = Tensor.Randn([outFeatures, inFeatures], dtype, g);

        foreach (var x in new[] { input.Clone().RequiresGrad_(), input })
            foreach (bool intoGrad in new[] { false, true })
            {
                var grads = new List<double[]>();
                foreach (var layer in ReluLayers)
                {
                    x.Grad = b.Grad = null;
                    w.Grad = intoGrad ? held.Clone() : null;
                    var y = layer(x, w, b);
                    y.Backward(upstream);
                    grads.Add([.. y.To(DType.Float64).ToArray<double>(), .. x.Grad?.To(DType.Float64).ToArray<double>() ?? [],
                        .. w.Grad!.To(DType.Float64).ToArray<double>(), .. b.Grad!.To(DType.Float64).ToArray<double>()]);
                }
                Assert.Equal(grads[0], grads[1]);
                Assert.Equal(grads[0], grads[2]);
            }
        if (outFeatures == 1) return;
        Assert.True(double.IsNaN(F.LinearRelu(input, w, b)[0, outFeatures / 2].Item()));
        Assert.Equal(0, b.Grad![outFeatures / 2].Item());
    }

    // The rules apart (an identity hook on the pre-activation sees its gradient, so the ReLU's node runs its own rule),
    // the fused op, and the ReLU's node running the Linear node's rule as LinearRelu's (nothing sees the gradient between).
    private static readonly Func<Tensor, Tensor, Tensor, Tensor>[] ReluLayers =
    [
        (x, w, b) => { var z = F.Linear(x, w, b); z.RegisterHook(g => g); return F.Relu(z); },
        (x, w, b) => F.LinearRelu(x, w, b),
        (x, w, b) => F.Relu(F.Linear(x, w, b)),
    ];

    // LinearRelu masks its upstream gradient in place only when nothing else can see that gradient: a caller's
    // upstream tensor, the gradient a hook was handed (and kept), and one returned by Autograd.Grad stay unmasked.
    [Fact]
    public void Linear_relu_never_overwrites_a_gradient_that_anything_else_can_see()
    {
        var g = new Generator(9);
        var x = Tensor.Randn([20, 5], generator: g);
        var w = Tensor.Randn([30, 5], generator: g, requiresGrad: true);
        var w2 = Tensor.Randn([4, 30], generator: g, requiresGrad: true);
        var upstream = Tensor.Randn([20, 30], generator: g);
        var kept = upstream.Clone();
        F.LinearRelu(x, w).Backward(upstream);
        Assert.Equal(kept.ToArray<float>(), upstream.ToArray<float>());

        var outer = Tensor.Randn([20, 4], generator: g);
        var expected = outer.MatMul(w2).ToArray<float>();   // dL/dh, before any ReLU mask
        var hidden = F.LinearRelu(x, w);
        Tensor? seen = null;
        using (hidden.RegisterHook(grad => { seen = grad; return grad; }))
            F.Linear(hidden, w2).Backward(outer);
        Assert.Equal(expected, seen!.ToArray<float>());

        hidden = F.LinearRelu(x, w);
        var returned = Autograd.Grad([F.Linear(hidden, w2)], [hidden, w], [outer]);
        Assert.Equal(expected, returned[0]!.ToArray<float>());

        // a sum hands one gradient tensor to both of its inputs: the other branch must get it unmasked, in either order
        var w3 = Tensor.Randn([30, 5], generator: g, requiresGrad: true);
        var branch = (2 * upstream).T.MatMul(x).ToArray<float>();
        foreach (bool reluFirst in new[] { true, false })
        {
            w3.Grad = null;
            var (a, b) = (F.LinearRelu(x, w), F.Linear(x, w3));
            ((reluFirst ? a + b : b + a) * 2).Backward(upstream);
            var error = branch.Zip(w3.Grad!.ToArray<float>(), (e, v) => Math.Abs(e - v)).Max();
            Assert.True(error < 1e-3, $"the other branch's weight gradient is off by {error}");
        }
    }

    // The weight gradient goes straight into an existing Grad only when nothing else could tell: each case below
    // must give Grad = what it held + every contribution, and hooks must see the step's gradient alone.
    [Fact]
    public void A_weight_gradient_added_into_an_existing_grad_equals_the_sum_in_every_case()
    {
        var g = new Generator(5);
        var x = Tensor.Randn([40, 30], generator: g);
        var w = Tensor.Randn([20, 30], generator: g, requiresGrad: true);
        var upstream = Tensor.Randn([40, 20], generator: g);
        var held = Tensor.Randn([20, 30], generator: g);
        var step = upstream.T.MatMul(x);
        void Near(Tensor expected, Tensor actual, string what) =>
            Assert.True((expected - actual).Abs().Max().Item() < 1e-3, what);

        w.Grad = held.Clone();   // one use: taken straight into Grad
        F.Linear(x, w).Backward(upstream);
        Near(held + step, w.Grad, "one use");

        w.Grad = held.Clone();   // two uses in one graph: both contributions, once each
        (F.Linear(x, w) + F.Linear(x * 2, w)).Backward(upstream);
        Near(held + 3 * step, w.Grad, "two uses");

        w.Grad = held.Clone();   // a hook sees this step's gradient only, and what it returns is what is added
        Tensor? seen = null;
        using (w.RegisterHook(grad => { seen = grad.Clone(); return grad * 0.5; }))
            F.Linear(x, w).Backward(upstream);
        Near(step, seen!, "hook input");
        Near(held + 0.5 * step, w.Grad, "hooked");

        w.Grad = held.Clone();   // Autograd.Grad returns the gradient and leaves Grad alone
        var returned = Autograd.Grad([F.Linear(x, w)], [w], [upstream])[0]!;
        Near(step, returned, "returned");
        Assert.Equal(held.ToArray<float>(), w.Grad.ToArray<float>());

        w.Grad = held.T.Contiguous().T;   // a strided Grad is added to, not written through as if contiguous
        F.Linear(x, w).Backward(upstream);
        Near(held + step, w.Grad, "strided grad");

        w.Grad = held.Clone();   // a failure later in the pass leaves Grad as it was
        var input = Tensor.Randn([40, 30], generator: g, requiresGrad: true);
        var scaled = input * 2;
        using (scaled.RegisterHook(_ => throw new InvalidOperationException("hook failed")))
            Assert.Throws<InvalidOperationException>(() => F.Linear(scaled, w).Backward(upstream));
        Assert.Equal(held.ToArray<float>(), w.Grad.ToArray<float>());
        Assert.Null(input.Grad);
    }

    private static double Tolerance(DType dtype) => dtype == DType.Float32 ? 1e-4 : 1e-12;
}
