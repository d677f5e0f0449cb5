using TorchSharp;
using static Backprop.Bench.DcganCases;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Backprop.Bench;

/// <summary>
/// The DCGAN step of bench/Backprop.Bench's DcganWorkload with TorchSharp, every temporary disposed per step.
/// </summary>
public sealed class TorchDcganStep : IWorkload
{
    /// <inheritdoc/>
    public string Name => "dcgan-step";

    /// <inheritdoc/>
    public void Run(Report report)
    {
        torch.set_num_threads(DcganCases.Threads);
        var step = new Step();
        var times = Harness.Time(step.Run, samples: Samples, inner: 1, warmup: 2);
        report.Add(Harness.Summarize(Name, "TorchSharp", TrainingCases.PerStep(DcganCases.Threads), times,
            s => s * 1e3, "ms"));
    }

    /// <summary>The two nets, their optimizers and the fixed batch.</summary>
    private sealed class Step
    {
        private readonly nn.Module<Tensor, Tensor> _g = nn.Sequential(
            nn.ConvTranspose2d(Nz, Ngf * 8, 4, 1, 0, bias: false), nn.BatchNorm2d(Ngf * 8), nn.ReLU(),
            nn.ConvTranspose2d(Ngf * 8, Ngf * 4, 4, 2, 1, bias: false), nn.BatchNorm2d(Ngf * 4), nn.ReLU(),
            nn.ConvTranspose2d(Ngf * 4, Ngf * 2, 4, 2, 1, bias: false), nn.BatchNorm2d(Ngf * 2), nn.ReLU(),
            nn.ConvTranspose2d(Ngf * 2, Ngf, 4, 2, 1, bias: false), nn.BatchNorm2d(Ngf), nn.ReLU(),
            nn.ConvTranspose2d(Ngf, Channels, 4, 2, 1, bias: false), nn.Tanh());

        private readonly nn.Module<Tensor, Tensor> _d = nn.Sequential(
            nn.Conv2d(Channels, Ndf, 4, 2, 1, bias: false), nn.LeakyReLU(0.2),
            nn.Conv2d(Ndf, Ndf * 2, 4, 2, 1, bias: false), nn.BatchNorm2d(Ndf * 2), nn.LeakyReLU(0.2),
            nn.Conv2d(Ndf * 2, Ndf * 4, 4, 2, 1, bias: false), nn.BatchNorm2d(Ndf * 4), nn.LeakyReLU(0.2),
            nn.Conv2d(Ndf * 4, Ndf * 8, 4, 2, 1, bias: false), nn.BatchNorm2d(Ndf * 8), nn.LeakyReLU(0.2),
            nn.Conv2d(Ndf * 8, 1, 4, 1, 0, bias: false), nn.Sigmoid());

        private readonly Tensor _real = torch.tensor(Images(), [Batch, Channels, Side, Side]);
        private readonly Tensor _noise = torch.tensor(Noise(), [Batch, Nz, 1, 1]);
        private readonly Tensor _ones = torch.ones(Batch), _zeros = torch.zeros(Batch);
        private readonly optim.Optimizer _optG, _optD;

        public Step()
        {
            int index = 0;
            using (torch.no_grad())
                foreach (var net in new[] { _g, _d })
                    foreach (var (_, p) in net.named_parameters())
                        if (p.dim() == 4)   // the convolutions' weights, in the order Backprop's layers take theirs
                            p.copy_(torch.tensor(ConvWeight(index++, (int)p.numel()), p.shape));
            _optG = optim.Adam(_g.parameters(), LearningRate, Beta1, Beta2);
            _optD = optim.Adam(_d.parameters(), LearningRate, Beta1, Beta2);
        }

        public void Run()
        {
            using var scope = torch.NewDisposeScope();
            _optD.zero_grad();
            var fake = _g.forward(_noise);
            var errD = F.binary_cross_entropy(_d.forward(_real).reshape(-1), _ones)
                + F.binary_cross_entropy(_d.forward(fake.detach()).reshape(-1), _zeros);
            errD.backward();
            _optD.step();
            _optG.zero_grad();
            F.binary_cross_entropy(_d.forward(fake).reshape(-1), _ones).backward();
            _optG.step();
        }
    }
}
