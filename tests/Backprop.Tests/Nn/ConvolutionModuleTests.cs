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
        error = Assert.Throws<ArgumentException>(() => F.ConvTranspose3d(Tensor.Randn([1, 2, 3, 3, 3]),
            Tensor.Randn([2, 1, 2, 2, 2]), stride: (2, 1, 2), outputPadding: (1, 1, 0)));
        Assert.Contains("ConvTranspose3d: stride [2,1,2] and dilation [1,1,1] must be positive, padding [0,0,0] " +
            "non-negative and output padding [1,1,0] smaller", error.Message);
    }
}

/// <summary>The pooling and resampling modules: what they forward to, and their printed form.</summary>
public class PoolingModuleTests
{
    [Fact]
    public void Modules_forward_to_their_functional_op()
    {
        var x = Tensor.Randn([2, 4, 7, 6], generator: new Generator(9));
        var pool = new MaxPool2d((3, 2), stride: 2, ceilMode: true);
        Assert.Equal(F.MaxPool2d(x, (3, 2), 2, ceilMode: true).ToArray<float>(), pool.Forward(x).ToArray<float>());
        var (values, indices) = pool.ForwardWithIndices(x);
        var unpooled = new MaxUnpool2d((3, 2), stride: 2).Forward(values, indices);
        Assert.Equal(x.Max().Item<float>(), unpooled.Max().Item<float>());
        Assert.Equal([2, 4, 4, 3], new AvgPool2d(3, 2, 1, countIncludePad: false).Forward(x).Shape);
        Assert.Equal([2, 4, 3], new AvgPool1d(3).Forward(x.Flatten(2)[.., .., ..9]).Shape);
        Assert.Equal([2, 4, 15], new MaxPool1d(3, 3, 1, ceilMode: true).Forward(x.Flatten(2)).Shape);
        Assert.Equal(F.AdaptiveAvgPool2d(x, 1).ToArray<float>(), new AdaptiveAvgPool2d(1).Forward(x).ToArray<float>());
        Assert.Equal([2, 4, 5], new AdaptiveAvgPool1d(5).Forward(x.Flatten(2)).Shape);
        Assert.Equal([2, 4, 3, 3], new AdaptiveMaxPool2d(3).Forward(x).Shape);
        Assert.Equal([2, 4, 2], new AdaptiveMaxPool1d(2).Forward(x.Flatten(2)).Shape);
        Assert.Equal([2, 4, 14, 12], new Upsample(scaleFactor: 2, mode: "bilinear").Forward(x).Shape);
        Assert.Equal([2, 1, 14, 12], new PixelShuffle(2).Forward(x).Shape);
        var shuffled = new PixelShuffle(2).Forward(x);
        Assert.Equal(x.ToArray<float>(), new PixelUnshuffle(2).Forward(shuffled).ToArray<float>());
    }

    [Fact]
    public void Modules_print_as_PyTorch()
    {
        Assert.Equal("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
            new MaxPool2d(2).ToString());
        Assert.Equal("AvgPool2d(kernel_size=(3, 2), stride=(3, 2), padding=0)", new AvgPool2d((3, 2)).ToString());
        Assert.Equal("Upsample(scale_factor=2, mode='nearest')", new Upsample(scaleFactor: 2).ToString());
    }

    [Fact]
    public void Bad_arguments_name_the_op()
    {
        var x = Tensor.Randn([1, 2, 4, 4]);
        Assert.Contains("MaxPool2d: padding [2,0] must be at most half the kernel size [3,3]",
            Assert.Throws<ArgumentException>(() => F.MaxPool2d(x, 3, padding: (2, 0))).Message);
        Assert.Contains("Interpolate: mode \"bilinear\" does not take input [1,2,16]",
            Assert.Throws<ArgumentException>(() => F.Interpolate(x.Flatten(2), 4, mode: "bilinear")).Message);
        Assert.Contains("Interpolate: antialias is defined for \"bilinear\" and \"bicubic\", not \"nearest\"",
            Assert.Throws<ArgumentException>(() => F.Interpolate(x, 2, antialias: true)).Message);
        Assert.Contains("PixelShuffle: 2 channels of [1,2,4,4] are not a multiple of 2²",
            Assert.Throws<ArgumentException>(() => F.PixelShuffle(x, 2)).Message);
        Assert.Contains("MaxUnpool2d: indices must be Int64",
            Assert.Throws<ArgumentException>(() => F.MaxUnpool2d(x, x, 2)).Message);
    }
}
