using Backprop.Nn;
using Backprop.Optim;
using static Backprop.Tests.Cuda.Simulated;

namespace Backprop.Tests.Cuda;

/// <summary>Modules moved to the simulated device with To(device): the CPU's outputs, gradients and steps.</summary>
[Collection(Simulated.Collection)]
public class ModuleDeviceTests
{
    // the module's output and parameter gradients on the CPU, then after moving it (with its gradients) to the device
    private static void SameAfterMove(Module module, Func<Module, Tensor, Tensor> run, Tensor input, double tol)
    {
        module.Eval();   // no dropout, so both runs draw nothing
        var cpuOut = run(module, input);
        cpuOut.Sum().Backward();
        var cpuGrads = module.Parameters().Select(p => p.Grad!.Clone()).ToArray();
        var parameters = module.Parameters().ToArray();
        module.To(Gpu);
        Assert.Equal(parameters, module.Parameters());   // the same tensor objects, now on the device
        Assert.All(module.Parameters(), p => Assert.Equal(Gpu, p.Device));
        Assert.All(module.Parameters(), p => Assert.Equal(Gpu, p.Grad!.Device));
        Assert.All(module.NamedBuffers(), b => Assert.Equal(Gpu, b.Buffer.Device));
        for (int i = 0; i < cpuGrads.Length; i++) AssertClose(cpuGrads[i], parameters[i].Grad!.To(Device.Cpu), 0,
            "moved grad");
        module.ZeroGrad();
        var gpuOut = run(module, input.To(Gpu));
        Assert.Equal(Gpu, gpuOut.Device);
        gpuOut.Sum().Backward();
        AssertClose(cpuOut, gpuOut.To(Device.Cpu), tol, "output");
        for (int i = 0; i < cpuGrads.Length; i++) AssertClose(cpuGrads[i], parameters[i].Grad!.To(Device.Cpu), tol,
            "grad");
        module.To(Device.Cpu);
        Assert.All(module.Parameters(), p => Assert.Equal(Device.Cpu, p.Device));
    }

    [Fact]
    public void An_lstm_moved_to_the_device_runs_there_as_on_the_cpu() =>
        SameAfterMove(new LSTM(3, 5, numLayers: 2, generator: new Generator(1)), (m, x) => m.Forward(x),
            Random([4, 2, 3], DType.Float32, 2), 1e-5);

    [Fact]
    public void A_transformer_encoder_moved_to_the_device_runs_there_as_on_the_cpu() =>
        SameAfterMove(new TransformerEncoder(new TransformerOptions(8, 2, DimFeedforward: 16), 2,
            generator: new Generator(3)),
            (m, x) => m.Forward(x), Random([5, 2, 8], DType.Float32, 4), 1e-4);

    [Fact]
    public void A_batch_norm_net_moves_its_buffers_and_loads_cpu_weights_on_the_device()
    {
        var net = new Sequential(new Linear(3, 4, generator: new Generator(5)), new BatchNorm1d(4));
        var saved = new Sequential(new Linear(3, 4, generator: new Generator(6)), new BatchNorm1d(4)).StateDict();
        net.To(Gpu);
        net.LoadStateDict(saved);
        Assert.Equal(Gpu, net.StateDict()["1.running_var"].Device);
        AssertClose(saved["0.weight"], net.StateDict()["0.weight"].To(Device.Cpu), 0, "loaded weight");
    }

    [Fact]
    public void Adam_steps_a_module_moved_before_training_as_on_the_cpu()
    {
        Sequential Net() => new(new Linear(3, 4, generator: new Generator(7)), new Tanh(), new Linear(4, 1,
            generator: new Generator(8)));
        var x = Random([6, 3], DType.Float32, 9);
        var cpu = Net();
        var gpu = Net().To(Gpu);
        var cpuAdam = new Adam(cpu.Parameters(), lr: 0.05);
        var gpuAdam = new Adam(gpu.Parameters(), lr: 0.05);
        for (int step = 0; step < 3; step++)
        {
            cpuAdam.ZeroGrad();
            gpuAdam.ZeroGrad();
            cpu.Forward(x).Square().Sum().Backward();
            gpu.Forward(x.To(Gpu)).Square().Sum().Backward();
            cpuAdam.Step();
            gpuAdam.Step();
        }
        Assert.Equal(Gpu, gpuAdam.State(gpu.Parameters().First()).Buffers["exp_avg"].Device);
        foreach (var (c, g) in cpu.Parameters().Zip(gpu.Parameters())) AssertClose(c, g.To(Device.Cpu), 1e-5,
            "trained weight");
    }

    public static TheoryData<string> Optimizers() =>
        new("SGD", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "AdamW");

    // every optimizer's device update (tensor ops) against its span update on the CPU, with two groups
    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Each_optimizer_steps_on_the_device_as_on_the_cpu(string name)
    {
        Optimizer Create(Tensor a, Tensor b)
        {
            ParameterGroup[] g = [new([a], lr: 0.02), new([b], weightDecay: 0.1)];
            return name switch
            {
                "SGD" => new SGD(g, 0.05, momentum: 0.9, nesterov: true),
                "RMSprop" => new RMSprop(g, 0.01, momentum: 0.5, centered: true),
                "Adagrad" => new Adagrad(g, 0.05, lrDecay: 0.01),
                "Adadelta" => new Adadelta(g),
                "Adamax" => new Adamax(g, 0.01),
                "NAdam" => new NAdam(g, 0.01),
                "RAdam" => new RAdam(g, 0.01, betas: (0.8, 0.9)),
                _ => new AdamW(g, 0.01),
            };
        }
        var a0 = Random([3, 4], DType.Float32, 10);
        var b0 = Random([4], DType.Float32, 11);
        var (ac, bc) = (a0.Detach().RequiresGrad_(), b0.Detach().RequiresGrad_());
        var (ag, bg) = (a0.To(Gpu).RequiresGrad_(), b0.To(Gpu).RequiresGrad_());
        var cpu = Create(ac, bc);
        var gpu = Create(ag, bg);
        for (int step = 0; step < 8; step++)
        {
            cpu.ZeroGrad();
            gpu.ZeroGrad();
            (ac.Pow(3).Sum() + (bc * ac).Square().Sum()).Backward();
            (ag.Pow(3).Sum() + (bg * ag).Square().Sum()).Backward();
            cpu.Step();
            gpu.Step();
        }
        AssertClose(ac, ag.To(Device.Cpu), 1e-4, $"{name} a");
        AssertClose(bc, bg.To(Device.Cpu), 1e-4, $"{name} b");
    }
}
