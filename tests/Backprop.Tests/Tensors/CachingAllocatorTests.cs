using Backprop.Kernels.Cpu;
using Backprop.Optim;

namespace Backprop.Tests.Tensors;

// The caching allocator takes arrays back from storages that nothing references; these check that a loop written as
// in PyTorch stops allocating them once warm, and that memory a tensor the user can still reach is using is never
// handed out again. They run alone: another test's collections could promote this loop's live storages to an older
// generation, whose arrays only a full collection returns.
[CollectionDefinition(Serial, DisableParallelization = true)]
[Collection(Serial)]
public class CachingAllocatorTests
{
    private const string Serial = "Caching allocator";

    // big enough (64×512 = 32K elements) that every hidden gradient goes through the pool
    private static Tensor[] Parameters()
    {
        var gen = new Generator(5);
        return
        [
            (Tensor.Randn([512, 300], generator: gen) * 0.05).RequiresGrad_(), Tensor.Zeros([512], requiresGrad: true),
            (Tensor.Randn([512, 512], generator: gen) * 0.05).RequiresGrad_(), Tensor.Zeros([512], requiresGrad: true),
            (Tensor.Randn([10, 512], generator: gen) * 0.05).RequiresGrad_(), Tensor.Zeros([10], requiresGrad: true),
        ];
    }

    private static readonly Tensor Inputs = Tensor.Randn([64, 300], generator: new Generator(6));
    private static readonly Tensor Labels = Tensor.FromArray(Enumerable.Range(0, 64).Select(i => (long)(i % 10)).ToArray());

    private static Tensor Loss(Tensor[] p, Action<Tensor>? onHidden = null)
    {
        var h = F.Relu(F.Linear(Inputs, p[0], p[1]));
        onHidden?.Invoke(h);
        h = F.Relu(F.Linear(h + h * 0.5, p[2], p[3]));  // a node with two consumers: its gradients are summed
        return F.CrossEntropy(F.Linear(h, p[4], p[5]), Labels);
    }

    private static void Step(Tensor[] p)
    {
        Loss(p).Backward();
        using (Autograd.NoGrad())
            foreach (var t in p)
            {
                t.Copy_(t - 0.1 * t.Grad!);
                t.Grad = null;
            }
    }

    [Fact]
    public void A_loop_with_no_scope_and_no_dispose_stops_allocating_large_arrays_once_warm()
    {
        var p = Parameters();
        var optimizer = new SGD(p, 0.1);
        void TrainStep()
        {
            optimizer.ZeroGrad();
            Loss(p).Backward();
            optimizer.Step();
        }
        // 64×512 floats (128 KiB, the large-object heap's size) per activation: warm once collections return them
        for (int i = 0; i < 150; i++) TrainStep();
        long before = CpuAllocator.NewArrays;
        for (int i = 0; i < 300; i++) TrainStep();
        Assert.Equal(0, CpuAllocator.NewArrays - before);
    }

    [Fact]
    public void Tensors_still_referenced_keep_their_values_through_collections()
    {
        var kept = Enumerable.Range(0, 8).Select(i => Tensor.Full([64, 512], i)).ToList();
        for (int round = 0; round < 200; round++)
        {
            var garbage = Tensor.Ones([64, 512]) * round;   // same length: competes for the same cached arrays
            if (round % 50 == 0) GC.Collect();
            Assert.Equal(round, garbage.ToArray<float>()[^1]);
        }
        for (int i = 0; i < kept.Count; i++) Assert.All(kept[i].ToArray<float>(), v => Assert.Equal(i, v));
    }

    [Fact]
    public void Gradients_the_user_holds_are_never_overwritten_by_later_passes()
    {
        var p = Parameters();
        Tensor? hooked = null;
        var loss = Loss(p, h => h.RegisterHook(g => { hooked = g; return null; }));
        var captured = Autograd.Grad([loss], [p[0]], retainGraph: true)[0]!;
        loss.Backward();
        var grads = p.Select(t => t.Grad!).ToArray();
        var expected = grads.Select(g => g.ToArray<float>()).Append(hooked!.ToArray<float>()).Append(captured.ToArray<float>()).ToArray();
        foreach (var t in p) t.Grad = null;
        for (int i = 0; i < 3; i++) Step(p);  // more passes that rent arrays of the same sizes
        var actual = grads.Append(hooked).Append(captured).Select(g => g.ToArray<float>()).ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i]);
    }

    private sealed class Keep : Function
    {
        public readonly List<Tensor> Seen = [];
        protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs) => inputs[0] * 2;
        protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput)
        {
            var dx = gradOutput * 2;
            Seen.Add(gradOutput);
            Seen.Add(dx);
            return [dx];
        }
    }

    [Fact]
    public void Tensors_a_custom_function_saw_in_backward_are_never_reused()
    {
        var p = Parameters();
        var keep = new Keep();
        var h = keep.Apply(F.Relu(F.Linear(Inputs, p[0], p[1])));
        F.CrossEntropy(F.Linear(F.Relu(F.Linear(h, p[2], p[3])), p[4], p[5]), Labels).Backward();
        var expected = keep.Seen.Select(t => t.ToArray<float>()).ToArray();
        foreach (var t in p) t.Grad = null;
        for (int i = 0; i < 3; i++) Step(p);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], keep.Seen[i].ToArray<float>());
    }
}
