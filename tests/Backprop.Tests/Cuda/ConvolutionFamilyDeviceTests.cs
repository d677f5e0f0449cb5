using static Backprop.Tests.Cuda.Simulated;

namespace Backprop.Tests.Cuda;

/// <summary>
/// The convolution, pooling and resampling family with its gradients on the simulated device against the CPU: the
/// compositions over im2col, col2im and the pooling kernels, and the index tensors they build on the host.
/// </summary>
[Collection(Simulated.Collection)]
public class ConvolutionFamilyDeviceTests
{
    [Fact]
    public void Convolutions_with_tuples_and_same_padding_match() =>
        SameOnBothDevices(x => F.Conv2d(x[0], x[1], x[2], stride: (2, 1), padding: (1, 2), dilation: (1, 2))
                .Pow(2).Sum() + F.Conv2d(x[0], x[1], padding: "same").Pow(2).Sum()
            + F.Conv1d(x[0].Flatten(2), x[1][.., .., 0], padding: 2, stride: 3).Pow(2).Sum(), 1e-9,
            Random([2, 3, 5, 6], DType.Float64, 60), Random([2, 3, 2, 3], DType.Float64, 61),
            Random([2], DType.Float64, 62));

    [Fact]
    public void Conv3d_matches() =>
        SameOnBothDevices(x => F.Conv3d(x[0], x[1], x[2], stride: (2, 1, 1), padding: 1, groups: 2).Pow(2).Sum(), 1e-9,
            Random([2, 4, 4, 3, 3], DType.Float64, 63), Random([2, 2, 2, 2, 2], DType.Float64, 64),
            Random([2], DType.Float64, 65));

    [Fact]
    public void Conv_transpose3d_matches() =>
        SameOnBothDevices(x => F.ConvTranspose3d(x[0], x[1], x[2], stride: (2, 1, 2), padding: 1,
                outputPadding: (1, 0, 1)).Pow(2).Sum(), 1e-9,
            Random([2, 2, 3, 2, 3], DType.Float64, 69), Random([2, 3, 2, 3, 2], DType.Float64, 70),
            Random([3], DType.Float64, 72));

    [Fact]
    public void Transposed_convolutions_match() =>
        SameOnBothDevices(x => F.ConvTranspose2d(x[0], x[1], x[2], stride: 2, padding: 1, outputPadding: 1)
                .Pow(2).Sum() + F.ConvTranspose2d(x[0], x[1], dilation: 2, outputPadding: 1).Pow(2).Sum()
            + F.ConvTranspose1d(x[0].Flatten(2), x[1][.., .., 0], stride: 3, groups: 1).Pow(2).Sum(), 1e-9,
            Random([2, 4, 3, 3], DType.Float64, 66), Random([4, 3, 3, 3], DType.Float64, 67),
            Random([3], DType.Float64, 68));

    [Fact]
    public void Pooling_with_ceil_mode_indices_and_unpooling_matches()
    {
        SameOnBothDevices(x =>
        {
            var (values, indices) = F.MaxPool2dWithIndices(x[0], (3, 2), stride: 2, padding: (1, 0), ceilMode: true);
            return F.MaxUnpool2d(values.Exp(), indices, (3, 2), stride: 2, padding: (1, 0),
                    outputSize: (x[0].Shape[2], x[0].Shape[3])).Pow(2).Sum()
                + F.AvgPool2d(x[0], 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false).Pow(2).Sum()
                + F.MaxPool1d(x[0].Flatten(2), 4, stride: 3, ceilMode: true).Sum()
                + F.AvgPool1d(x[0].Flatten(2), 3, padding: 1, countIncludePad: false).Pow(2).Sum();
        }, 1e-9, Random([2, 3, 7, 6], DType.Float64, 69));
        var x = Random([2, 3, 7, 6], DType.Float32, 70);
        AssertClose(F.MaxPool2dWithIndices(x, 3, stride: 2, ceilMode: true).Indices,
            F.MaxPool2dWithIndices(x.To(Gpu), 3, stride: 2, ceilMode: true).Indices, 0);
    }

    [Fact]
    public void Adaptive_pooling_and_resampling_match() =>
        SameOnBothDevices(x => F.AdaptiveAvgPool2d(x[0], (3, 4)).Pow(2).Sum() + F.AdaptiveMaxPool2d(x[0], (4, 2)).Sum()
            + F.AdaptiveMaxPool1d(x[0].Flatten(2), 5).Sum() + F.Interpolate(x[0], (9, 4), mode: "bilinear").Pow(2).Sum()
            + F.Interpolate(x[0], scaleFactor: 2).Pow(2).Sum()
            + F.Interpolate(x[0], (5, 9), mode: "bicubic").Pow(2).Sum()
            + F.AdaptiveMaxPool2dWithIndices(x[0], (3, 4)).Values.Pow(2).Sum()
            + F.PixelShuffle(x[0][.., ..2, .., ..4].Repeat(1, 2, 1, 1), 2).Pow(2).Sum(), 1e-9,
            Random([2, 3, 7, 6], DType.Float64, 71));
}
