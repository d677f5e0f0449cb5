using Backprop.Nn;
using Backprop.Optim;

namespace Backprop.Tests.Tensors;

// In-place writes bump a version counter that a tensor shares with its views; a node records the version of every
// tensor its rule reads and refuses to run once it changed, as PyTorch does, instead of giving a wrong gradient.
public class VersionCounterTests
{
    private const string PyTorchPhrase =
        "a variable needed for gradient computation has been modified by an inplace operation";

    private static Tensor Floats(params float[] values) => Tensor.FromArray(values, [values.Length]);

    private static Tensor Leaf(params float[] values) => Tensor.FromArray(values, [values.Length], requiresGrad: true);

    [Fact]
    public void An_optimizer_step_between_forward_and_backward_is_refused_naming_op_shape_and_versions()
    {
        var w = Leaf(1, 2);
        var x = Leaf(2, 3);
        var lossA = (w * w).Sum();
        lossA.Backward();
        var lossB = (x * w).Sum();
        new SGD([w], 1).Step();

        var ex = Assert.Throws<InvalidOperationException>(() => lossB.Backward());
        Assert.Contains(PyTorchPhrase, ex.Message);
        Assert.Contains("Mul", ex.Message);
        Assert.Contains("[2]", ex.Message);
        Assert.Contains("version 0", ex.Message);
        Assert.Contains("version 1", ex.Message);
        Assert.Contains("Clone", ex.Message);
        Assert.Null(x.Grad);   // not the silent [-2, -3] computed from the stepped weights
    }

    [Fact]
    public void Copy_into_a_saved_input_that_needs_no_grad_is_refused()
    {
        var w = Leaf(1, 2);
        var a = Floats(3, 4);
        var loss = (w * a).Sum();
        a.Copy_(Tensor.ZerosLike(a));

        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains(PyTorchPhrase, ex.Message);
        Assert.Contains("Mul", ex.Message);
        Assert.Contains("version 0 and is now at version 1", ex.Message);
        Assert.Null(w.Grad);
    }

    [Fact]
    public void Add_saves_no_input_so_a_write_after_it_leaves_its_gradient_right()
    {
        var w = Leaf(1, 2);
        var a = Floats(3, 4);
        var y = w + a;
        a.Copy_(Tensor.ZerosLike(a));
        y.Sum().Backward();
        Assert.Equal(new float[] { 1, 1 }, w.Grad!.ToArray<float>());
    }

    [Fact]
    public void A_rule_keeps_only_what_it_reads_so_writing_a_weight_whose_own_gradient_needs_it_not_is_allowed()
    {
        // d(w·a)/dw = a: with a needing no gradient the product never reads w, as in PyTorch
        var w = Leaf(1, 2);
        var a = Floats(3, 4);
        var loss = (w * a).Sum();
        using (Autograd.NoGrad()) w.Copy_(Floats(5, 6));
        loss.Backward();
        Assert.Equal(new float[] { 3, 4 }, w.Grad!.ToArray<float>());
    }

    [Fact]
    public void Exp_saves_its_output_and_a_write_through_a_detached_alias_of_it_is_caught()
    {
        var x = Leaf(0, 1);
        var y = x.Exp();
        var loss = y.Sum();
        y.Detach().Zero_();   // Detach shares the storage, and so the counter
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("Exp", ex.Message);
    }

    [Fact]
    public void In_place_updates_after_backward_in_a_training_loop_are_allowed()
    {
        var w = Leaf(1, 2);
        var x = Floats(2, 3);
        var optimizer = new SGD([w], 0.5);
        for (int step = 0; step < 3; step++)
        {
            optimizer.ZeroGrad();
            var loss = (w * x).Sum();
            loss.Backward();
            optimizer.Step();
        }
        using (Autograd.NoGrad()) w.Copy_(w * 2);   // a manual update, also after backward
        optimizer.ZeroGrad();
        (w * x).Sum().Backward();
        // three steps of w ← w − 0.5·x, doubled: (1 − 3, 2 − 4.5)·2
        Assert.Equal(new float[] { -4, -5 }, w.ToArray<float>());
        Assert.Equal(new float[] { 2, 3 }, w.Grad!.ToArray<float>());
    }

    [Fact]
    public void Views_share_the_counter_so_a_write_through_a_slice_of_a_saved_tensor_is_caught()
    {
        var w = Leaf(1, 2, 3);
        var a = Floats(4, 5, 6);
        var view = a.Narrow(0, 1, 2);
        var loss = (w * a).Sum();
        view.Copy_(Floats(0, 0));
        Assert.Equal(1, a.Version);
        Assert.Equal(a.Version, view.Version);
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
    }

    [Fact]
    public void A_write_into_a_saved_view_is_caught_through_its_base()
    {
        var w = Leaf(1, 2);
        var a = Floats(3, 4, 5, 6);
        var loss = (w * a.Narrow(0, 0, 2)).Sum();
        a.Copy_(Tensor.ZerosLike(a));
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("[2]", ex.Message);
    }

    [Fact]
    public void A_second_backward_of_a_retained_graph_after_an_in_place_write_is_refused()
    {
        var w = Leaf(1, 2);
        var a = Floats(3, 4);
        var loss = (w * a).Sum();
        loss.Backward(retainGraph: true);
        Assert.Equal(new float[] { 3, 4 }, w.Grad!.ToArray<float>());
        a.Copy_(Floats(7, 8));
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Equal(new float[] { 3, 4 }, w.Grad!.ToArray<float>());
    }

    [Fact]
    public void Sgd_with_momentum_bumps_each_parameter_and_its_buffer_once_per_step()
    {
        var w = Leaf(1, 2);
        var frozen = Leaf(3, 4);   // no gradient: skipped by the step, so left at its version
        var optimizer = new SGD([w, frozen], 0.1, momentum: 0.9);
        var buffer = optimizer.State(w).Buffers["momentum_buffer"];
        (w * w).Sum().Backward();
        optimizer.Step();
        optimizer.Step();
        Assert.Equal(2, w.Version);
        Assert.Equal(2, buffer.Version);
        Assert.Equal(0, frozen.Version);
    }

    [Fact]
    public void Adam_bumps_its_parameter_and_both_moment_buffers()
    {
        var w = Leaf(1, 2);
        var optimizer = new Adam([w]);
        var state = optimizer.State(w);
        (w * w).Sum().Backward();
        optimizer.Step();
        Assert.Equal(1, w.Version);
        Assert.Equal(1, state.Buffers["exp_avg"].Version);
        Assert.Equal(1, state.Buffers["exp_avg_sq"].Version);
    }

    // the hidden layer fused with its ReLU, and with a ReLU of its own: both can run as one pass with the output layer
    public static TheoryData<bool> HiddenLayerFused() => new() { true, false };

    [Theory]
    [MemberData(nameof(HiddenLayerFused))]
    public void A_two_layer_net_checks_what_both_layers_read(bool fused)
    {
        var g = new Generator(7);
        var x = Tensor.Randn([30, 2], generator: g);
        var w1 = Tensor.Randn([37, 2], generator: g, requiresGrad: true);
        var w2 = Tensor.Randn([3, 37], generator: g, requiresGrad: true);
        Tensor Loss() => F.Linear(fused ? F.LinearRelu(x, w1) : F.Relu(F.Linear(x, w1)), w2).Sum();

        var readsData = Loss();     // the hidden layer's weight gradient reads the data
        x.Copy_(x * 2);
        Assert.Throws<InvalidOperationException>(() => readsData.Backward());
        var readsOutputWeight = Loss();     // the hidden layer's gradient reads the output layer's weight
        using (Autograd.NoGrad()) w2.Copy_(w2 * 2);
        Assert.Throws<InvalidOperationException>(() => readsOutputWeight.Backward());
        Assert.Null(w1.Grad);
    }

    [Fact]
    public void A_convolution_checks_the_input_its_weight_gradient_reads()
    {
        var g = new Generator(3);
        var x = Tensor.Randn([1, 2, 5, 5], generator: g);
        var weight = Tensor.Randn([3, 2, 3, 3], generator: g, requiresGrad: true);
        var loss = F.Conv2dRelu(x, weight).Sum();
        x.Zero_();
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("Conv2dRelu", ex.Message);
        Assert.Contains("[1,2,5,5]", ex.Message);
    }

    [Fact]
    public void Accumulating_into_an_existing_grad_bumps_it()
    {
        var w = Leaf(1, 2);
        (w * w).Sum().Backward();
        int first = w.Grad!.Version;
        (w * w).Sum().Backward();   // added into the same Grad tensor in place
        Assert.True(w.Grad!.Version > first);
        Assert.Equal(new float[] { 4, 8 }, w.Grad!.ToArray<float>());
    }

    [Fact]
    public void Adding_a_linear_layers_weight_gradient_into_grad_bumps_it()
    {
        var x = Tensor.Randn([4, 3], generator: new Generator(1));
        var weight = Tensor.Randn([2, 3], generator: new Generator(2), requiresGrad: true);
        F.Linear(x, weight).Sum().Backward();
        int first = weight.Grad!.Version;
        F.Linear(x, weight).Sum().Backward();
        Assert.True(weight.Grad!.Version > first);
    }

    [Fact]
    public void A_graph_that_read_a_grad_is_refused_after_backward_accumulated_into_it()
    {
        var w = Leaf(1, 2);
        var v = Leaf(1, 1);
        (w * w).Sum().Backward();
        var usesGrad = (v * w.Grad!).Sum();
        (w * w).Sum().Backward();
        Assert.Throws<InvalidOperationException>(() => usesGrad.Backward());
    }

    [Fact]
    public void Zero_grad_without_dropping_the_grad_bumps_it()
    {
        var w = Leaf(1, 2);
        var optimizer = new SGD([w], 0.1);
        (w * w).Sum().Backward();
        int before = w.Grad!.Version;
        optimizer.ZeroGrad(setToNone: false);
        Assert.Equal(before + 1, w.Grad!.Version);
    }

    [Fact]
    public void Loading_a_state_dict_bumps_the_parameters_it_writes()
    {
        var layer = new Linear(3, 2, generator: new Generator(1));
        var source = new Linear(3, 2, generator: new Generator(2));
        var x = Tensor.Randn([1, 3], requiresGrad: true);   // x wants a gradient, so the layer's rule reads the weight
        var loss = layer.Forward(x).Sum();
        int weightBefore = layer.Weight.Version, biasBefore = layer.Bias!.Version;   // initializing wrote them too
        layer.LoadStateDict(source.StateDict());
        Assert.Equal(weightBefore + 1, layer.Weight.Version);
        Assert.Equal(biasBefore + 1, layer.Bias.Version);
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("Linear", ex.Message);
    }

    [Fact]
    public void Batch_norm_in_training_bumps_its_running_statistics()
    {
        var norm = new BatchNorm1d(2);
        norm.Forward(Tensor.Randn([4, 2]));
        Assert.Equal(1, norm.RunningMean!.Version);
        Assert.Equal(1, norm.RunningVar!.Version);
        Assert.Equal(1, norm.NumBatchesTracked!.Version);
    }

    [Fact]
    public void Where_saves_its_condition()
    {
        var w = Leaf(1, 2);
        var mask = Floats(1, 0).Gt(0);
        var loss = Tensor.Where(mask, w, Tensor.ZerosLike(w)).Sum();
        mask.Copy_(Floats(0, 1).Gt(0));
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("Where", ex.Message);
    }

    [Fact]
    public void Gather_saves_its_index()
    {
        var w = Leaf(1, 2, 3);
        var index = Tensor.FromArray(new long[] { 2, 0 });
        var loss = w.Gather(0, index).Sum();
        index.Copy_(Tensor.FromArray(new long[] { 1, 1 }));
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("Gather", ex.Message);
    }

    [Fact]
    public void A_custom_function_checks_what_it_saved_for_backward()
    {
        var x = Leaf(1, 2);
        var scale = Floats(3, 4);
        var loss = new ScaleBy().Apply(x, scale).Sum();
        scale.Copy_(Floats(0, 0));
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains(nameof(ScaleBy), ex.Message);
    }

    private sealed class ScaleBy : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[1]);
            return inputs[0] * inputs[1];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) =>
            [gradOutput * ctx.SavedTensors[0], null];
    }
}
