namespace Backprop.Bench;

/// <summary>
/// Per-op overhead of the tensor engine: a chain of 10,000 ops on 0-dim tensors, forward and backward, and one
/// step of a tiny two-layer net (forward, backward) where bookkeeping rather than arithmetic dominates.
/// </summary>
public sealed class TensorOverheadWorkload : IWorkload
{
    public string Name => "tensor-overhead";

    public void Run(Report report)
    {
        const int chain = 10_000;
        var x = Tensor.Scalar(0.5, requiresGrad: true);
        var chainTimes = Harness.Time(() =>
        {
            var y = x;
            for (int i = 0; i < chain / 2; i++) y = (y * 0.999) + 0.001;
            x.Grad = null;
            y.Backward();
        }, samples: 15);
        report.Add(Harness.Summarize("tensor 10k-op 0-dim chain fwd+bwd", "Backprop", "per op", chainTimes, s => s / chain * 1e6, "µs", "~1 µs"));

        var gen = new Generator(1);
        var input = Tensor.Randn([16, 2], generator: gen);
        var target = Tensor.Randn([16, 1], generator: gen);
        var w1 = Tensor.Randn([2, 32], generator: gen, requiresGrad: true);
        var b1 = Tensor.Zeros([32], requiresGrad: true);
        var w2 = Tensor.Randn([32, 1], generator: gen, requiresGrad: true);
        var b2 = Tensor.Zeros([1], requiresGrad: true);
        var stepTimes = Harness.Time(() =>
        {
            var hidden = (input.MatMul(w1) + b1).Relu();
            var diff = hidden.MatMul(w2) + b2 - target;
            var loss = (diff * diff).Mean();
            w1.Grad = b1.Grad = w2.Grad = b2.Grad = null;
            loss.Backward();
        }, samples: 15, inner: 200);
        report.Add(Harness.Summarize("tensor tiny 2-layer net step (16x2-32-1)", "Backprop", "per step", stepTimes, s => s * 1e6, "µs", "~60 µs"));
    }
}
