namespace Backprop.Tests.Tensors;

// The backward pass recycles the large gradient arrays it made and consumed; these check that it changes no
// result and never hands out memory that a tensor the user can still reach is using.
public class RecyclingTests
{
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
    public void Tensors_a_custom_function_saw_in_backward_are_never_recycled()
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
