namespace Backprop.Tests.Nn;

/// <summary>
/// The convolution, pooling and resampling family against centered differences in Float64, on three shapes each
/// (one with single elements where the op allows), and second derivatives on the first.
/// </summary>
public class ConvolutionFamilyGradientTests
{
    private sealed record Case(Func<Tensor[], Tensor> F, int[][][] Shapes);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["Conv2dRectangular"] = new(x => F.Conv2d(x[0], x[1], x[2], stride: (2, 1), padding: (1, 2), dilation: (1, 2)),
            [[[2, 3, 5, 6], [2, 3, 2, 3], [2]], [[1, 1, 4, 3], [3, 1, 3, 1], [3]], [[1, 1, 1, 1], [1, 1, 1, 1], [1]]]),
        ["Conv2dSame"] = new(x => F.Conv2d(x[0], x[1], x[2], padding: "same", groups: 2),
            [[[1, 4, 4, 5], [2, 2, 2, 3], [2]], [[2, 2, 3, 3], [4, 1, 3, 3], [4]], [[1, 2, 1, 1], [2, 1, 1, 2], [2]]]),
        ["Conv1d"] = new(x => F.Conv1d(x[0], x[1], x[2], stride: 2, padding: 1, dilation: 2),
            [[[2, 3, 7], [2, 3, 3], [2]], [[1, 2, 4], [3, 2, 1], [3]], [[1, 1, 1], [1, 1, 1], [1]]]),
        ["Conv3d"] = new(x => F.Conv3d(x[0], x[1], x[2], stride: (2, 1, 1), padding: (1, 0, 1), groups: 2),
            [[[1, 2, 4, 3, 3], [2, 1, 2, 2, 2], [2]], [[2, 4, 3, 2, 2], [2, 2, 3, 1, 2], [2]],
                [[1, 2, 1, 1, 1], [2, 1, 1, 1, 1], [2]]]),
        ["ConvTranspose2d"] = new(x => F.ConvTranspose2d(x[0], x[1], x[2], stride: (2, 3), padding: (1, 0),
            outputPadding: (1, 2)), [[[2, 2, 3, 2], [2, 3, 3, 2], [3]], [[1, 3, 2, 2], [3, 1, 4, 4], [1]],
                [[1, 1, 1, 1], [1, 1, 3, 3], [1]]]),
        ["ConvTranspose2dGroupsDilation"] = new(x => F.ConvTranspose2d(x[0], x[1], x[2], stride: 1, groups: 2,
            dilation: 2, outputPadding: 1), [[[1, 4, 3, 2], [4, 1, 2, 2], [2]], [[2, 2, 2, 2], [2, 2, 3, 2], [4]],
                [[1, 2, 1, 1], [2, 1, 1, 1], [2]]]),
        ["ConvTranspose1d"] = new(x => F.ConvTranspose1d(x[0], x[1], x[2], stride: 2, padding: 1, outputPadding: 1),
            [[[2, 3, 4], [3, 2, 3], [2]], [[1, 1, 3], [1, 3, 4], [3]], [[1, 1, 2], [1, 1, 3], [1]]]),
        ["ConvTranspose3d"] = new(x => F.ConvTranspose3d(x[0], x[1], x[2], stride: (2, 1, 1), padding: (1, 0, 0),
            outputPadding: (1, 0, 0)), [[[1, 2, 2, 2, 2], [2, 2, 2, 2, 1], [2]],
                [[1, 1, 3, 1, 2], [1, 1, 3, 1, 2], [1]]]),
        ["MaxPool2dRectangularCeil"] = new(x => F.MaxPool2d(x[0], (3, 2), stride: 2, padding: (1, 0), ceilMode: true),
            [[[2, 2, 5, 6]], [[1, 1, 4, 3]], [[1, 1, 2, 2]]]),
        ["MaxPool1d"] = new(x => F.MaxPool1d(x[0], 2, stride: 1, dilation: 2), [[[2, 2, 6]], [[1, 1, 3]], [[1, 3, 4]]]),
        ["MaxUnpool2d"] = new(x =>
        {
            var (values, indices) = F.MaxPool2dWithIndices(x[0], 2, ceilMode: true);
            return F.MaxUnpool2d(values * x[1], indices, 2, outputSize: (x[0].Shape[2], x[0].Shape[3]));
        }, [[[2, 2, 4, 5], [1, 2, 2, 3]], [[1, 1, 3, 3], [1]], [[1, 1, 2, 3], [1]]]),
        ["AvgPool2dExcludePadCeil"] = new(x => F.AvgPool2d(x[0], (3, 2), stride: 2, padding: 1, ceilMode: true,
            countIncludePad: false), [[[2, 2, 5, 6]], [[1, 1, 4, 3]], [[1, 1, 2, 2]]]),
        ["AvgPool1d"] = new(x => F.AvgPool1d(x[0], 3, stride: 2, padding: 1), [[[2, 2, 7]], [[1, 1, 3]], [[1, 2, 2]]]),
        ["AdaptiveAvgPool2d"] = new(x => F.AdaptiveAvgPool2d(x[0], (3, 2)), [[[2, 2, 7, 5]], [[1, 1, 3, 2]],
            [[1, 1, 1, 1]]]),
        ["AdaptiveMaxPool2d"] = new(x => F.AdaptiveMaxPool2d(x[0], (3, 2)), [[[2, 2, 7, 5]], [[1, 1, 3, 2]],
            [[1, 1, 1, 1]]]),
        ["AdaptivePool1d"] = new(x => F.AdaptiveMaxPool1d(x[0], 3) + F.AdaptiveAvgPool1d(x[0], 3),
            [[[2, 2, 7]], [[1, 1, 4]], [[1, 1, 1]]]),
        ["InterpolateNearest"] = new(x => F.Interpolate(x[0], (5, 3)),
            [[[1, 2, 3, 4]], [[2, 1, 2, 2]], [[1, 1, 1, 1]]]),
        ["InterpolateBilinear"] = new(x => F.Interpolate(x[0], (5, 3), mode: "bilinear"),
            [[[1, 2, 3, 4]], [[2, 1, 2, 2]], [[1, 1, 1, 1]]]),
        ["InterpolateBilinearAlignCorners"] = new(x => F.Interpolate(x[0], scaleFactor: 2, mode: "bilinear",
            alignCorners: true), [[[1, 2, 3, 4]], [[2, 1, 2, 2]], [[1, 1, 1, 1]]]),
        ["InterpolateLinear"] = new(x => F.Interpolate(x[0], 7, mode: "linear"),
            [[[2, 2, 3]], [[1, 1, 5]], [[1, 1, 1]]]),
        ["InterpolateBicubic"] = new(x => F.Interpolate(x[0], (5, 3), mode: "bicubic"),
            [[[1, 2, 3, 4]], [[2, 1, 2, 2]], [[1, 1, 1, 1]]]),
        ["InterpolateTrilinear"] = new(x => F.Interpolate(x[0], scaleFactor: 1.5, mode: "trilinear"),
            [[[1, 2, 2, 3, 2]], [[1, 1, 1, 2, 2]]]),
        ["AdaptiveMaxPool2dOverlapping"] = new(x => F.AdaptiveMaxPool2d(x[0], (3, 4)), [[[1, 2, 5, 7]]]),
        ["PixelShuffle"] = new(x => F.PixelUnshuffle(F.PixelShuffle(x[0], 2).Exp(), 2),
            [[[1, 8, 2, 3]], [[2, 4, 1, 1]], [[1, 4, 2, 2]]]),
        ["Unfold"] = new(x => x[0].Unfold(-1, 2, 1).Exp() * x[0].Unfold(0, 1, 2).Sum(), [[[3, 4]], [[1, 5]], [[2, 2]]]),
        ["Meshgrid"] = new(x => Tensor.Stack(Tensor.Meshgrid([x[0], x[1].Exp()], indexing: "xy")).Pow(2),
            [[[3], [4]], [[1], [2]], [[], [3]]]),
    };

    public static TheoryData<string, int> All()
    {
        var data = new TheoryData<string, int>();
        foreach (var (name, c) in Cases)
            for (int i = 0; i < c.Shapes.Length; i++) data.Add(name, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(All))]
    public void Gradient_matches_centered_differences(string name, int shapeIndex)
    {
        var c = Cases[name];
        var gen = new Generator(200 + shapeIndex);
        var shapes = c.Shapes[shapeIndex];
        var inputs = shapes.Select(s => Tensor.Randn(s, DType.Float64, gen, requiresGrad: true)).ToArray();
        var result = GradCheck.Check(c.F, inputs);
        Assert.True(result.Passed, $"{name} {string.Join(" ", shapes.Select(s => Shapes.Format(s)))}\n{result}");
    }

    public static TheoryData<string> SecondOrder => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(SecondOrder))]
    public void Second_derivatives_match_centered_differences(string name)
    {
        var c = Cases[name];
        var gen = new Generator(17);
        var inputs = c.Shapes[0].Select(s => Tensor.Randn(s, DType.Float64, gen, requiresGrad: true)).ToArray();
        var result = GradCheck.GradGradCheck(c.F, inputs);
        Assert.True(result.Passed, $"{name}\n{result}");
    }
}
