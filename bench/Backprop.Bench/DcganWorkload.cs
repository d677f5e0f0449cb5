using Backprop.Nn;
using Backprop.Optim;
using static Backprop.Bench.DcganCases;

namespace Backprop.Bench;

/// <summary>
/// The DCGAN step (<see cref="DcganCases"/>) as PyTorch's example writes it: D on real images and on detached fakes,
/// BCE, Adam; then G through D, BCE, Adam. Transposed convolutions, batch norm, LeakyReLU, Tanh and Sigmoid.
/// </summary>
public sealed class DcganStepWorkload : IWorkload
{
    /// <inheritdoc/>
    public string Name => "dcgan-step";

    /// <inheritdoc/>
    public void Run(Report report)
    {
        int saved = Backprop.Threads.Count;
        try
        {
            Backprop.Threads.Count = DcganCases.Threads;
            var step = new DcganStep();
            var times = Harness.Time(step.Run, samples: Samples, inner: 1, warmup: 2);
            report.Add(Harness.Summarize(Name, "Backprop", TrainingCases.PerStep(DcganCases.Threads), times,
                s => s * 1e3, "ms", "<= 1.0x TorchSharp"));
        }
        finally { Backprop.Threads.Count = saved; }
    }

    /// <summary>The two nets, their optimizers and the fixed batch.</summary>
    private sealed class DcganStep
    {
        private readonly Sequential _g = new(
            new ConvTranspose2d(Nz, Ngf * 8, 4, 1, 0, bias: false), new BatchNorm2d(Ngf * 8), new ReLU(),
            new ConvTranspose2d(Ngf * 8, Ngf * 4, 4, 2, 1, bias: false), new BatchNorm2d(Ngf * 4), new ReLU(),
            new ConvTranspose2d(Ngf * 4, Ngf * 2, 4, 2, 1, bias: false), new BatchNorm2d(Ngf * 2), new ReLU(),
            new ConvTranspose2d(Ngf * 2, Ngf, 4, 2, 1, bias: false), new BatchNorm2d(Ngf), new ReLU(),
            new ConvTranspose2d(Ngf, Channels, 4, 2, 1, bias: false), new Tanh());

        private readonly Sequential _d = new(
            new Conv2d(Channels, Ndf, 4, 2, 1, bias: false), new LeakyReLU(0.2),
            new Conv2d(Ndf, Ndf * 2, 4, 2, 1, bias: false), new BatchNorm2d(Ndf * 2), new LeakyReLU(0.2),
            new Conv2d(Ndf * 2, Ndf * 4, 4, 2, 1, bias: false), new BatchNorm2d(Ndf * 4), new LeakyReLU(0.2),
            new Conv2d(Ndf * 4, Ndf * 8, 4, 2, 1, bias: false), new BatchNorm2d(Ndf * 8), new LeakyReLU(0.2),
            new Conv2d(Ndf * 8, 1, 4, 1, 0, bias: false), new Sigmoid());

        private readonly Tensor _real = Tensor.FromArray(Images(), [Batch, Channels, Side, Side]);
        private readonly Tensor _noise = Tensor.FromArray(Noise(), [Batch, Nz, 1, 1]);
        private readonly Tensor _ones = Tensor.Ones([Batch]), _zeros = Tensor.Zeros([Batch]);
        private readonly Adam _optG, _optD;

        public DcganStep()
        {
            int index = 0;
            using (Autograd.NoGrad())
                foreach (var net in new[] { _g, _d })
                    foreach (var layer in net.NamedChildren().Select(c => c.Module).OfType<ConvolutionLayer>())
                    {
                        var weight = layer.Weight;
                        weight.Copy_(Tensor.FromArray(ConvWeight(index++, weight.Numel), weight.Shape));
                    }
            _optG = new Adam(_g.Parameters(), LearningRate, (Beta1, Beta2));
            _optD = new Adam(_d.Parameters(), LearningRate, (Beta1, Beta2));
        }

        public void Run()
        {
            _optD.ZeroGrad();
            var fake = _g.Forward(_noise);
            var errD = F.BinaryCrossEntropy(_d.Forward(_real).Reshape(-1), _ones)
                + F.BinaryCrossEntropy(_d.Forward(fake.Detach()).Reshape(-1), _zeros);
            errD.Backward();
            _optD.Step();
            _optG.ZeroGrad();
            F.BinaryCrossEntropy(_d.Forward(fake).Reshape(-1), _ones).Backward();
            _optG.Step();
        }
    }
}
