using Backprop.Nn;

namespace Backprop.Tests.Nn;

/// <summary>The activation modules: each computes its functional form, and PReLU learns its slopes.</summary>
public class ActivationModuleTests
{
    private static readonly Tensor Input =
        Tensor.FromArray(new[] { -4.0, -3, -1.5, -0.2, 0, 0.3, 1, 2.5, 3, 7 }, [2, 5]);

    public static TheoryData<string> Names => new(Modules.Keys);

    // each module with the functional form it must equal, arguments passed through
    private static readonly Dictionary<string, (Module Module, Func<Tensor, Tensor> Functional)> Modules = new()
    {
        ["LeakyReLU"] = (new LeakyReLU(0.2), x => F.LeakyRelu(x, 0.2)),
        ["SiLU"] = (new SiLU(), F.Silu),
        ["Softplus"] = (new Softplus(2, 3), x => F.Softplus(x, 2, 3)),
        ["ELU"] = (new ELU(0.5), x => F.Elu(x, 0.5)),
        ["SELU"] = (new SELU(), F.Selu),
        ["CELU"] = (new CELU(2), x => F.Celu(x, 2)),
        ["Mish"] = (new Mish(), F.Mish),
        ["Hardtanh"] = (new Hardtanh(-2, 2), x => F.Hardtanh(x, -2, 2)),
        ["ReLU6"] = (new ReLU6(), F.Relu6),
        ["Hardswish"] = (new Hardswish(), F.Hardswish),
        ["Hardsigmoid"] = (new Hardsigmoid(), F.Hardsigmoid),
        ["LogSigmoid"] = (new LogSigmoid(), F.LogSigmoid),
        ["Softmax"] = (new Softmax(1), x => F.Softmax(x, 1)),
        ["LogSoftmax"] = (new LogSoftmax(0), x => F.LogSoftmax(x, 0)),
        ["Softmin"] = (new Softmin(1), x => F.Softmin(x, 1)),
        ["GLU"] = (new GLU(0), x => F.Glu(x, 0)),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Module_computes_its_functional_form(string name)
    {
        var (module, functional) = Modules[name];
        Assert.Equal(functional(Input).ToArray<double>(), module.Forward(Input).ToArray<double>());
    }

    [Fact]
    public void Modules_print_PyTorch_arguments()
    {
        Assert.Equal("Softplus(beta=2, threshold=3)", new Softplus(2, 3).ToString());
        Assert.Equal("Hardtanh(min_val=-2, max_val=2)", new Hardtanh(-2, 2).ToString());
        Assert.Equal("PReLU(num_parameters=3)", new PReLU(3).ToString());
    }

    [Fact]
    public void PReLU_registers_its_slopes_as_weight_and_learns_them_per_channel()
    {
        var prelu = new PReLU(3, init: 0.25, dtype: DType.Float64);
        var (name, weight) = Assert.Single(prelu.NamedParameters());
        Assert.Equal("weight", name);
        Assert.Equal(new[] { 0.25, 0.25, 0.25 }, weight.ToArray<double>());
        var x = Tensor.FromArray(new[] { -1.0, 2, -3, 4, 5, -6 }, [1, 3, 2]);
        var y = prelu.Forward(x);
        Assert.Equal(new[] { -0.25, 2, -0.75, 4, 5, -1.5 }, y.ToArray<double>());
        y.Sum().Backward();
        // each slope's gradient is the sum of its channel's negative inputs
        Assert.Equal(new[] { -1.0, -3, -6 }, weight.Grad!.ToArray<double>());
    }

    [Fact]
    public void Activations_refuse_arguments_that_have_no_meaning()
    {
        Assert.Contains("odd size 5", Assert.Throws<ArgumentException>(() => F.Glu(Input)).Message);
        Assert.Contains("Prelu", Assert.Throws<ArgumentException>(() => F.Prelu(Input, Tensor.Ones([3]))).Message);
        Assert.Contains("beta", Assert.Throws<ArgumentException>(() => F.Softplus(Input, beta: 0)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PReLU(0));
    }

    [Fact]
    public void Exponential_units_do_not_overflow_into_NaN_gradients_for_large_inputs()
    {
        var x = Tensor.FromArray(new[] { 800.0, -800 }).RequiresGrad_();
        (F.Elu(x) + F.Selu(x) + F.Celu(x, 0.5) + F.Mish(x) + F.LogSigmoid(x)).Sum().Backward();
        Assert.All(x.Grad!.ToArray<double>(), g => Assert.True(double.IsFinite(g), $"gradient {g}"));
    }
}
