using System.Text.Json;
using Backprop.Nn;
using Backprop.Optim;

namespace Backprop.Tests.Nn;

/// <summary>
/// A DCGAN training step (transposed convolutions, batch norm, LeakyReLU, Tanh, Sigmoid, BCE, Adam) against PyTorch's
/// (tools/golden/make_dcgan_golden.py, dcgan_step.json): a discriminator step on real and detached fake images, then
/// a generator step through the updated discriminator, from the same initial weights, in Float64.
/// </summary>
public class DcganStepTests
{
    private const int Nz = 8, Ngf = 4, Ndf = 4, Nc = 3;

    private const DType F64 = DType.Float64;

    private static Sequential Generator() => new(
        new ConvTranspose2d(Nz, Ngf * 2, 4, 1, 0, bias: false, dtype: F64), new BatchNorm2d(Ngf * 2, dtype: F64),
        new ReLU(),
        new ConvTranspose2d(Ngf * 2, Ngf, 4, 2, 1, bias: false, dtype: F64), new BatchNorm2d(Ngf, dtype: F64),
        new ReLU(),
        new ConvTranspose2d(Ngf, Nc, 4, 2, 1, bias: false, dtype: F64), new Tanh());

    private static Sequential Discriminator() => new(
        new Conv2d(Nc, Ndf, 4, 2, 1, bias: false, dtype: F64), new LeakyReLU(0.2),
        new Conv2d(Ndf, Ndf * 2, 4, 2, 1, bias: false, dtype: F64), new BatchNorm2d(Ndf * 2, dtype: F64),
        new LeakyReLU(0.2),
        new Conv2d(Ndf * 2, 1, 4, 1, 0, bias: false, dtype: F64), new Sigmoid());

    private static readonly Lazy<JsonElement> Golden = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "dcgan_step.json"))).RootElement);

    private static Tensor Read(JsonElement e) => Tensor.FromArray(
        e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray(),
        e.GetProperty("shape").EnumerateArray().Select(s => s.GetInt32()).ToArray());

    // the golden state leaves out num_batches_tracked, a count that starts at zero in both libraries
    private static void Load(Module module, JsonElement state)
    {
        var entries = module.StateDict();
        foreach (var entry in state.EnumerateObject()) entries[entry.Name] = Read(entry.Value);
        module.LoadStateDict(entries);
    }

    private static void AssertState(string what, Module module, JsonElement expected)
    {
        var own = module.StateDict();
        foreach (var entry in expected.EnumerateObject())
        {
            var want = Read(entry.Value).ToArray<double>();
            var got = own[entry.Name].ToArray<double>();
            Assert.Equal(want.Length, got.Length);
            for (int i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(want[i] - got[i]) <= 1e-10 * (1 + Math.Abs(want[i])),
                    $"{what} {entry.Name}[{i}]: PyTorch {want[i]:R}, ours {got[i]:R}");
        }
    }

    [Fact]
    public void One_discriminator_and_one_generator_step_match_PyTorch()
    {
        var golden = Golden.Value;
        var (netG, netD) = (Generator(), Discriminator());
        Load(netG, golden.GetProperty("initial_g"));
        Load(netD, golden.GetProperty("initial_d"));
        var real = Read(golden.GetProperty("real"));
        var noise = Read(golden.GetProperty("noise"));
        var optD = new Adam(netD.Parameters(), lr: 2e-4, betas: (0.5, 0.999));
        var optG = new Adam(netG.Parameters(), lr: 2e-4, betas: (0.5, 0.999));
        int batch = real.Shape[0];
        var ones = Tensor.Ones([batch], DType.Float64);
        var zeros = Tensor.Zeros([batch], DType.Float64);

        netD.ZeroGrad();
        var errReal = F.BinaryCrossEntropy(netD.Forward(real).Reshape(-1), ones);
        errReal.Backward();
        var fake = netG.Forward(noise);
        var errFake = F.BinaryCrossEntropy(netD.Forward(fake.Detach()).Reshape(-1), zeros);
        errFake.Backward();
        optD.Step();

        netG.ZeroGrad();
        var errG = F.BinaryCrossEntropy(netD.Forward(fake).Reshape(-1), ones);
        errG.Backward();
        optG.Step();

        Assert.Equal(golden.GetProperty("loss_d").GetDouble(), (errReal + errFake).Item<double>(), 1e-12);
        Assert.Equal(golden.GetProperty("loss_g").GetDouble(), errG.Item<double>(), 1e-12);
        var expectedFake = Read(golden.GetProperty("fake")).ToArray<double>();
        var gotFake = fake.ToArray<double>();
        for (int i = 0; i < expectedFake.Length; i++) Assert.Equal(expectedFake[i], gotFake[i], 1e-12);
        AssertState("generator", netG, golden.GetProperty("after_g"));
        AssertState("discriminator", netD, golden.GetProperty("after_d"));
    }
}
