namespace Backprop.Tests.Tensors;

public class AutogradTests
{
    private static void Close(Tensor expected, Tensor actual, double tol = 1e-5)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray<double>();
        var a = actual.ToArray<double>();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= tol * (1 + Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]}");
    }

    [Fact]
    public void Notes_matmul_gate_gives_dW_equal_dD_Xt_and_dX_equal_Wt_dD()
    {
        var gen = new Generator(3);
        var W = Tensor.Randn([5, 10], generator: gen, requiresGrad: true);
        var X = Tensor.Randn([10, 3], generator: gen, requiresGrad: true);
        var D = W.MatMul(X);
        var dD = Tensor.Randn([5, 3], generator: gen);
        D.Backward(dD);
        Close(dD.MatMul(X.T), W.Grad!);
        Close(W.T.MatMul(dD), X.Grad!);
    }

    [Fact]
    public void Notes_circuit_f_equals_x_plus_y_times_z()
    {
        var x = Tensor.Scalar(-2, DType.Float64, requiresGrad: true);
        var y = Tensor.Scalar(5, DType.Float64, requiresGrad: true);
        var z = Tensor.Scalar(-4, DType.Float64, requiresGrad: true);
        var f = (x + y) * z;
        f.Backward();
        Assert.Equal(-12, f.Item());
        Assert.Equal(-4, x.Grad!.Item());
        Assert.Equal(-4, y.Grad!.Item());
        Assert.Equal(3, z.Grad!.Item());
    }

    [Fact]
    public void Leaf_gradients_accumulate_across_backward_calls_and_forks_add_up()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, requiresGrad: true);
        (x * x + x).Sum().Backward();                 // 2x + 1
        Assert.Equal(new double[] { 3, 5 }, x.Grad!.ToArray<double>());
        (x * 3).Sum().Backward();
        Assert.Equal(new double[] { 6, 8 }, x.Grad!.ToArray<double>());
        Assert.False(x.Grad!.RequiresGrad);
    }

    [Fact]
    public void Backward_on_a_non_scalar_without_gradient_says_so()
    {
        var x = Tensor.Randn([2, 3], requiresGrad: true);
        var ex = Assert.Throws<InvalidOperationException>(() => (x * 2).Backward());
        Assert.Contains("[2,3]", ex.Message);
        Assert.Contains("gradient", ex.Message);
    }

    [Fact]
    public void Second_backward_through_a_freed_graph_is_a_clear_error_and_retainGraph_allows_it()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, requiresGrad: true);
        var y = (x.Exp() * 2).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(4 * Math.Exp(1), x.Grad!.ToArray<double>()[0], 12);
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("second time", ex.Message);
        Assert.Contains("retainGraph", ex.Message);
        Assert.Equal(4 * Math.Exp(1), x.Grad!.ToArray<double>()[0], 12);  // unchanged by the failed call
    }

    [Fact]
    public void NoGrad_records_nothing_and_Detach_cuts_the_graph()
    {
        var x = Tensor.Randn([3], requiresGrad: true);
        using (Autograd.NoGrad())
        {
            Assert.False(Autograd.IsGradEnabled);
            Assert.False((x * 2).RequiresGrad);
        }
        Assert.True(Autograd.IsGradEnabled);
        var d = (x * 2).Detach();
        Assert.True(d.IsLeaf);
        Assert.False(d.RequiresGrad);
        var y = (x * d).Sum();
        y.Backward();
        Close(d, x.Grad!);
    }

    [Fact]
    public void Int64_tensors_refuse_RequiresGrad()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Tensor.FromArray(new long[] { 1, 2 }).RequiresGrad = true);
        Assert.Contains("Int64", ex.Message);
    }

    [Fact]
    public void Grad_of_grad_through_elementwise_ops_matmul_and_reductions()
    {
        var x = Tensor.FromArray(new double[] { 0.5, -1.5 }, requiresGrad: true);
        var y = (x * x * x).Sum();                                     // dy/dx = 3x², d²y/dx² = 6x
        var g = Autograd.Grad([y], [x], createGraph: true)[0]!;
        Close(Tensor.FromArray(new double[] { 0.75, 6.75 }), g, 1e-12);
        var gg = Autograd.Grad([g.Sum()], [x])[0]!;
        Close(Tensor.FromArray(new double[] { 3, -9 }), gg, 1e-12);
        Assert.Null(x.Grad);                                           // Autograd.Grad leaves Grad alone

        var w = Tensor.Randn([3, 2], DType.Float64, new Generator(5), requiresGrad: true);
        var loss = x.Unsqueeze(0).MatMul(w.T).Pow(2).Mean();
        var gw = Autograd.Grad([loss], [w], createGraph: true)[0]!;
        gw.Sum().Backward();
        Assert.NotNull(x.Grad);
    }

    [Fact]
    public void Hooks_see_and_can_replace_gradients()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, requiresGrad: true);
        var h = x * 3;
        Tensor? seen = null;
        h.RegisterHook(g => { seen = g; return g * 10; });
        var leafHook = x.RegisterHook(g => g + 1);
        h.Sum().Backward();
        Assert.Equal(new double[] { 1, 1 }, seen!.ToArray<double>());
        Assert.Equal(new double[] { 31, 31 }, x.Grad!.ToArray<double>());
        leafHook.Dispose();
        x.Grad = null;
        (x * 2).Sum().Backward();
        Assert.Equal(new double[] { 2, 2 }, x.Grad!.ToArray<double>());
    }

    private sealed class Cube : Function
    {
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            return inputs[0] * inputs[0] * inputs[0];
        }

        protected override Tensor?[] Backward(FunctionContext ctx, Tensor g) => [g * 3 * ctx.SavedTensors[0] * ctx.SavedTensors[0]];
    }

    [Fact]
    public void Custom_function_backward_is_used_and_differentiates_again()
    {
        var x = Tensor.FromArray(new double[] { 2, -1 }, requiresGrad: true);
        var y = new Cube().Apply(x);
        Assert.Equal("Cube", y.GradFn!.Name);
        var g = Autograd.Grad([y.Sum()], [x], createGraph: true)[0]!;
        Assert.Equal(new double[] { 12, 3 }, g.ToArray<double>());
        g.Sum().Backward();
        Assert.Equal(new double[] { 12, -6 }, x.Grad!.ToArray<double>());
        Assert.True(GradCheck.Check(xs => new Cube().Apply(xs[0]), [x]).Passed);
    }

    [Fact]
    public void DetectAnomaly_names_the_op_whose_backward_made_NaN_and_where_it_was_created()
    {
        var x = Tensor.FromArray(new double[] { 0, 1 }, requiresGrad: true);
        using (Autograd.DetectAnomaly())
        {
            var y = x.Sqrt().Sum();   // d√x/dx at 0 is infinite
            var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
            Assert.Contains("Sqrt", ex.Message);
            Assert.Contains(nameof(DetectAnomaly_names_the_op_whose_backward_made_NaN_and_where_it_was_created), ex.Message);
        }
        Assert.Null(x.Grad);
        Assert.False(Autograd.IsAnomalyEnabled);
    }

    [Fact]
    public async Task NoGrad_holds_across_an_await_and_ends_with_its_block()
    {
        var x = Tensor.Ones([2], requiresGrad: true);
        using (Autograd.NoGrad())
        {
            await Task.Yield();   // the rest may run on another thread
            Assert.False((x * 2).RequiresGrad);
        }
        Assert.True((x * 2).RequiresGrad);
    }

    [Fact]
    public void A_long_chain_backpropagates_without_recursion()
    {
        var x = Tensor.Scalar(1, DType.Float64, requiresGrad: true);
        var y = x;
        for (int i = 0; i < 100_000; i++) y = y * 1.0;
        y.Backward();
        Assert.Equal(1, x.Grad!.Item());
    }

    [Fact]
    public void Broadcast_gradients_are_summed_back_to_each_input_shape()
    {
        var a = Tensor.Ones([3, 1], DType.Float64, requiresGrad: true);
        var b = Tensor.Ones([4], DType.Float64, requiresGrad: true);
        (a * b).Sum().Backward();
        Assert.Equal(new[] { 3, 1 }, a.Grad!.Shape);
        Assert.Equal(new double[] { 4, 4, 4 }, a.Grad!.ToArray<double>());
        Assert.Equal(new double[] { 3, 3, 3, 3 }, b.Grad!.ToArray<double>());
    }
}
