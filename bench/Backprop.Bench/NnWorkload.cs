namespace Backprop.Bench;

/// <summary>
/// One training step of a small conv net on a CIFAR-sized batch, with plain tensors and <see cref="F"/>:
/// 32 images of 3×32×32, conv3×3(32)-ReLU-maxpool2-conv3×3(64)-ReLU-maxpool2-linear(10), cross-entropy,
/// forward and backward (no optimizer update), Float32.
/// </summary>
public sealed class NnWorkload : IWorkload
{
    /// <inheritdoc/>
    public string Name => "nn";

    /// <inheritdoc/>
    public void Run(Report report)
    {
        var gen = new Generator(1);
        var images = Tensor.Randn([32, 3, 32, 32], generator: gen);
        var labels = Tensor.FromArray(Enumerable.Range(0, 32).Select(i => (long)(i % 10)).ToArray());
        var conv1 = Tensor.Randn([32, 3, 3, 3], generator: gen) * 0.2;
        var conv2 = Tensor.Randn([64, 32, 3, 3], generator: gen) * 0.06;
        var fc = Tensor.Randn([10, 64 * 8 * 8], generator: gen) * 0.015;
        Tensor[] parameters =
        [
            conv1.RequiresGrad_(), Tensor.Zeros([32], requiresGrad: true),
            conv2.RequiresGrad_(), Tensor.Zeros([64], requiresGrad: true),
            fc.RequiresGrad_(), Tensor.Zeros([10], requiresGrad: true),
        ];
        var times = Harness.Time(() =>
        {
            var h = F.MaxPool2d(F.Relu(F.Conv2d(images, parameters[0], parameters[1], padding: 1)), 2);
            h = F.MaxPool2d(F.Relu(F.Conv2d(h, parameters[2], parameters[3], padding: 1)), 2);
            var loss = F.CrossEntropy(F.Linear(h.Reshape(32, -1), parameters[4], parameters[5]), labels);
            foreach (var p in parameters) p.Grad = null;
            loss.Backward();
        }, samples: 9, warmup: 2);
        report.Add(Harness.Summarize("nn conv net step fwd+bwd (32x3x32x32)", "Backprop", "per step", times, s => s * 1e3, "ms"));
    }
}
