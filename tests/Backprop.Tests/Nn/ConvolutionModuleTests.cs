using Backprop.Nn;

namespace Backprop.Tests.Nn;

/// <summary>The convolution modules: PyTorch's parameter names, layouts, initial ranges and printed form.</summary>
public class ConvolutionModuleTests
{
    public static TheoryData<string, int[]> Layouts => new()
    {
        { "Conv1d", [6, 2, 3] },
        { "Conv2d", [6, 2, 3, 2] },
        { "Conv3d", [6, 2, 2, 3, 2] },
        { "ConvTranspose1d", [4, 3, 3] },
        { "ConvTranspose2d", [4, 3, 3, 2] },
    };

    // in 4, out 6, groups 2: a convolution's weight is [out, in/groups, k…], a transposed one's [in, out/groups, …]
    private static ConvolutionLayer Make(string name, Generator g) => name switch
    {
        "Conv1d" => new Conv1d(4, 6, 3, groups: 2, generator: g),
        "Conv2d" => new Conv2d(4, 6, (3, 2), groups: 2, generator: g),
        "Conv3d" => new Conv3d(4, 6, (2, 3, 2), groups: 2, generator: g),
        "ConvTranspose1d" => new ConvTranspose1d(4, 6, 3, groups: 2, generator: g),
        _ => new ConvTranspose2d(4, 6, (3, 2), groups: 2, generator: g),
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Parameters_have_PyTorch_names_layouts_and_bounds(string name, int[] weightShape)
    {
        var layer = Make(name, new Generator(3));
        Assert.Equal(["weight", "bias"], layer.NamedParameters().Select(p => p.Name));
        Assert.Equal(weightShape, layer.Weight.Shape);
        Assert.Equal([6], layer.Bias!.Shape);
        // PyTorch's bound 1/√fan_in, fan_in being dim 1 times the kernel's taps, for both weight and bias
        double bound = 1 / Math.Sqrt(weightShape.Skip(1).Aggregate(1, (a, b) => a * b));
        Assert.All(layer.Bias.ToArray<float>(), v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.True(layer.Weight.Abs().Max().Item<float>() <= bound);
        Assert.True(layer.Weight.Abs().Max().Item<float>() > bound / 2);
    }

    [Fact]
    public void Modules_print_as_PyTorch()
    {
        Assert.Equal("Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2))",
            new Conv2d(3, 8, (3, 5), stride: 2, padding: (1, 2)).ToString());
        Assert.Equal("Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding='same', bias=False)",
            new Conv1d(2, 4, 3, padding: "same", bias: false).ToString());
        Assert.Equal("ConvTranspose2d(8, 4, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1))",
            new ConvTranspose2d(8, 4, 4, 2, 1).ToString());
    }

    [Fact]
    public void Forward_is_the_functional_op()
    {
        var g = new Generator(5);
        var up = new ConvTranspose2d(4, 2, 4, stride: 2, padding: 1, generator: g);
        var x = Tensor.Randn([2, 4, 3, 3], generator: g);
        var y = up.Forward(x);
        Assert.Equal([2, 2, 6, 6], y.Shape);
        Assert.Equal(F.ConvTranspose2d(x, up.Weight, up.Bias, 2, 1).ToArray<float>(), y.ToArray<float>());
        var volume = new Conv3d(4, 2, 3, padding: "same", generator: g);
        Assert.Equal([1, 2, 3, 4, 5], volume.Forward(Tensor.Randn([1, 4, 3, 4, 5], generator: g)).Shape);
    }

    [Fact]
    public void Bad_sizes_name_the_op_and_shapes()
    {
        var x = Tensor.Randn([1, 2, 5, 5]);
        var error = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Randn([3, 2, 3, 3]), stride: (1, 2, 3)));
        Assert.Contains("Conv2d: stride (1, 2, 3) must be one int or 2 values", error.Message);
        error = Assert.Throws<ArgumentException>(
            () => F.Conv2d(x, Tensor.Randn([3, 2, 3, 3]), stride: 2, padding: "same"));
        Assert.Contains("\"same\" needs stride 1", error.Message);
        error = Assert.Throws<ArgumentException>(
            () => F.ConvTranspose2d(x, Tensor.Randn([2, 3, 3, 3]), outputPadding: 1));
        Assert.Contains("ConvTranspose2d: output padding [1,1] must be smaller", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.ConvTranspose2d(x, Tensor.Randn([3, 3, 3, 3])));
        Assert.Contains("[1,2,5,5] has 2 channels but weight [3,3,3,3] takes 3", error.Message);
    }
}
