using Backprop.Nn;
using Backprop.Optim;

namespace Backprop.Tests.Tensors;

// A TensorScope gives the memory of a step's tensors back when it ends; these check that training results do
// not change, that what outlives a step survives, and that a stale tensor fails loudly instead of reading reused memory.
public class TensorScopeTests
{
    // made per test, outside any scope (a static made lazily inside a scope would be released with it)
    private readonly Tensor Inputs = Tensor.Randn([64, 300], generator: new Generator(6));
    private readonly Tensor Labels = Tensor.FromArray(Enumerable.Range(0, 64).Select(i => (long)(i % 10)).ToArray());

    private static Sequential Model()
    {
        var g = new Generator(3);
        return new Sequential(new Linear(300, 128, generator: g), new ReLU(), new Linear(128, 10, generator: g));
    }

    private (float[] Weights, double[] Losses) Train(bool scoped, bool zeroInPlace)
    {
        var model = Model();
        var optimizer = new Adam(model.Parameters(), 1e-2);
        var losses = new List<double>();
        for (int step = 0; step < 5; step++)
        {
            var scope = scoped ? new TensorScope() : null;
            var loss = F.CrossEntropy(model.Forward(Inputs * 1.0), Labels);
            optimizer.ZeroGrad(setToNone: !zeroInPlace);
            loss.Backward();
            optimizer.Step();
            losses.Add(loss.Item());
            scope?.Dispose();
        }
        return (model.Parameters().SelectMany(p => p.ToArray<float>()).ToArray(), losses.ToArray());
    }

    [Fact]
    public void Training_in_scopes_gives_bit_identical_results()
    {
        var plain = Train(scoped: false, zeroInPlace: false);
        var scoped = Train(scoped: true, zeroInPlace: false);
        var inPlace = Train(scoped: true, zeroInPlace: true);
        Assert.Equal(plain.Losses, scoped.Losses);
        Assert.Equal(plain.Weights, scoped.Weights);
        Assert.Equal(plain.Losses, inPlace.Losses);
        Assert.Equal(plain.Weights, inPlace.Weights);
    }

    [Fact]
    public void A_scoped_step_stops_allocating_large_arrays_after_the_first()
    {
        var model = Model();
        var optimizer = new SGD(model.Parameters(), 0.1);
        void Step()
        {
            using var scope = new TensorScope();
            var loss = F.CrossEntropy(model.Forward(Inputs), Labels);
            optimizer.ZeroGrad(setToNone: false);
            loss.Backward();
            optimizer.Step();
        }
        for (int i = 0; i < 3; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Step();
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
        // the activations alone are 64×128 floats (32 KiB) each; what is left is the graph's small objects (about
        // 7 KiB: bias gradients, the loss's broadcast gradient and the labels' check allocate nothing)
        Assert.True(perStep < 10 * 1024, $"a scoped step allocated {perStep} bytes");
    }

    [Fact]
    public void A_tensor_used_after_its_scope_ended_throws_a_clear_error()
    {
        Tensor stale;
        using (var scope = new TensorScope()) stale = Tensor.Ones([32, 32]) * 2;
        var e = Assert.Throws<InvalidOperationException>(() => stale.ToArray<float>());
        Assert.Contains("TensorScope", e.Message);
        Assert.Contains("[32,32]", e.Message);
        Assert.Throws<InvalidOperationException>(() => (stale + 1).Item());
    }

    [Fact]
    public void Kept_tensors_parameters_gradients_buffers_and_optimizer_state_outlive_the_scope()
    {
        Tensor kept, before;
        Sequential model;
        Adam optimizer;
        using (var scope = new TensorScope())
        {
            model = new Sequential(new Linear(300, 16), new BatchNorm1d(16));  // parameters and buffers made in a scope
            optimizer = new Adam(model.Parameters(), 1e-3);
            var loss = (model.Forward(Inputs) * model.Forward(Inputs)).Mean();
            loss.Backward();
            optimizer.Step();
            kept = scope.Keep(loss * 1.0);
            before = scope.Keep(model.Parameters().First().Grad!.Clone());
            Assert.True(scope.Count > 0);
        }
        using (new TensorScope())  // a second scope reuses what the first released
            for (int i = 0; i < 3; i++) _ = Tensor.Randn([64, 300]) * 3 + Tensor.Ones([64, 16]).Sum();
        Assert.True(double.IsFinite(kept.Item()));
        Assert.Equal(before.ToArray<float>(), model.Parameters().First().Grad!.ToArray<float>());
        foreach (var (_, p) in model.NamedParameters()) Assert.True(p.ToArray<float>().All(float.IsFinite));
        foreach (var (_, b) in model.NamedBuffers()) Assert.NotNull(b.ToArray<float>());
        foreach (var p in model.Parameters()) Assert.NotNull(optimizer.State(p).Buffers["exp_avg"].ToArray<float>());
    }

    [Fact]
    public void Scopes_nest_and_must_end_inner_first()
    {
        var outer = new TensorScope();
        var a = Tensor.Ones([300]);
        var inner = new TensorScope();
        var b = Tensor.Ones([300]);
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        Assert.Throws<InvalidOperationException>(() => b.Sum());
        Assert.Equal(300, a.Sum().Item());  // the outer scope is still open
        outer.Dispose();
        Assert.Throws<InvalidOperationException>(() => a.Sum());
    }

    [Fact]
    public void A_second_backward_adds_into_the_existing_gradient_in_place()
    {
        var w = Tensor.Ones([4, 3], requiresGrad: true);
        (w * 2).Sum().Backward();
        var grad = w.Grad!;
        (w * 3).Sum().Backward();
        Assert.Same(grad, w.Grad);
        Assert.All(grad.ToArray<float>(), v => Assert.Equal(5f, v));
    }
}
