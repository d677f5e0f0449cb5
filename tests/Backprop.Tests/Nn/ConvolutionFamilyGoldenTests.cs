using Backprop.Tests.Tensors;

namespace Backprop.Tests.Nn;

/// <summary>
/// The convolution, pooling and resampling family against PyTorch's outputs and input gradients
/// (tools/golden/make_conv_golden.py, conv_ops.json), in Float64 and Float32.
/// </summary>
public class ConvolutionFamilyGoldenTests : GoldenOpTests<ConvolutionFamilyGoldenTests>, IGoldenOps
{
    public static string File => "conv_ops.json";

    public static IReadOnlyDictionary<string, Func<Tensor[], Tensor>> Ops { get; } =
        new Dictionary<string, Func<Tensor[], Tensor>>
    {
        ["conv2d_rectangular"] = x => F.Conv2d(x[0], x[1], x[2], stride: (2, 1), padding: (1, 2), dilation: (1, 2)),
        ["conv2d_same_even_kernel"] = x => F.Conv2d(x[0], x[1], x[2], padding: "same", dilation: (1, 2), groups: 2),
        ["conv2d_valid"] = x => F.Conv2d(x[0], x[1], padding: "valid"),
        ["conv1d"] = x => F.Conv1d(x[0], x[1], x[2], stride: 2, padding: 1, dilation: 2, groups: 2),
        ["conv1d_same"] = x => F.Conv1d(x[0], x[1], padding: "same"),
        ["conv3d"] = x => F.Conv3d(x[0], x[1], x[2], stride: (2, 1, 2), padding: (1, 0, 1), dilation: (1, 2, 1),
            groups: 2),
        ["conv3d_same"] = x => F.Conv3d(x[0], x[1], padding: "same"),
        ["conv_transpose2d"] = x => F.ConvTranspose2d(x[0], x[1], x[2], stride: (2, 3), padding: (1, 0),
            outputPadding: (1, 2), dilation: (1, 2)),
        ["conv_transpose2d_groups"] = x => F.ConvTranspose2d(x[0], x[1], x[2], stride: 2, padding: 1, groups: 2,
            dilation: 2),
        ["conv_transpose2d_dilated_output_padding"] = x => F.ConvTranspose2d(x[0], x[1], outputPadding: 1,
            dilation: 2),
        ["conv_transpose2d_dcgan"] = x => F.ConvTranspose2d(x[0], x[1], stride: 2, padding: 1),
        ["conv_transpose1d"] = x => F.ConvTranspose1d(x[0], x[1], x[2], stride: 3, padding: 1, outputPadding: 2),
        ["max_pool2d_rectangular_ceil"] = x => F.MaxPool2d(x[0], (3, 2), stride: 2, padding: (1, 0), ceilMode: true),
        ["max_pool2d_dilated_ceil"] = x => F.MaxPool2d(x[0], (2, 3), stride: (3, 2), dilation: (2, 1), ceilMode: true),
        ["max_pool2d_indices"] = x => F.MaxPool2dWithIndices(x[0].Detach(), (3, 2), stride: 2, padding: 1).Indices
            .To(x[0].DType),
        ["max_unpool2d"] = x =>
        {
            var (values, indices) = F.MaxPool2dWithIndices(x[0], 2);
            return F.MaxUnpool2d(values, indices, 2, outputSize: (5, 7));
        },
        ["avg_pool2d_rectangular_ceil"] = x => F.AvgPool2d(x[0], (3, 2), stride: 2, padding: 1, ceilMode: true),
        ["avg_pool2d_exclude_pad"] = x => F.AvgPool2d(x[0], 3, stride: 2, padding: 1, ceilMode: true,
            countIncludePad: false),
        ["max_pool1d"] = x => F.MaxPool1d(x[0], 3, stride: 2, padding: 1, ceilMode: true),
        ["avg_pool1d_exclude_pad"] = x => F.AvgPool1d(x[0], 4, stride: 3, padding: 2, countIncludePad: false),
        ["adaptive_avg_pool2d"] = x => F.AdaptiveAvgPool2d(x[0], (3, 4)),
        ["adaptive_avg_pool1d"] = x => F.AdaptiveAvgPool1d(x[0], 4),
        ["adaptive_max_pool2d"] = x => F.AdaptiveMaxPool2d(x[0], (3, 2)),
        ["adaptive_max_pool1d"] = x => F.AdaptiveMaxPool1d(x[0], 4),
        ["interpolate_nearest"] = x => F.Interpolate(x[0], (5, 7)),
        ["interpolate_nearest_scale"] = x => F.Interpolate(x[0], scaleFactor: 2),
        ["interpolate_nearest_1d"] = x => F.Interpolate(x[0], 7),
        ["interpolate_bilinear"] = x => F.Interpolate(x[0], (5, 7), mode: "bilinear"),
        ["interpolate_bilinear_align_corners"] = x => F.Interpolate(x[0], (6, 5), mode: "bilinear",
            alignCorners: true),
        ["interpolate_bilinear_scale"] = x => F.Interpolate(x[0], scaleFactor: 2, mode: "bilinear"),
        ["interpolate_bilinear_down"] = x => F.Interpolate(x[0], (3, 2), mode: "bilinear"),
        ["interpolate_linear"] = x => F.Interpolate(x[0], 8, mode: "linear"),
        ["pixel_shuffle"] = x => F.PixelShuffle(x[0], 2),
        ["pixel_unshuffle"] = x => F.PixelUnshuffle(x[0], 2),
        ["unfold"] = x => x[0].Unfold(1, 3, 2),
        ["unfold_overlapping"] = x => x[0].Unfold(-1, 3, 1) * x[0].Unfold(-1, 3, 1),
        ["meshgrid_ij"] = x => Tensor.Stack(Tensor.Meshgrid([x[0], x[1] * 2])),
        ["meshgrid_xy"] = x => Tensor.Stack(Tensor.Meshgrid([x[0], x[1], x[2].Exp()], indexing: "xy")),
        ["conv_transpose3d"] = x => F.ConvTranspose3d(x[0], x[1], x[2], stride: (2, 1, 2), padding: (1, 0, 1),
            outputPadding: (1, 0, 0), dilation: (1, 2, 1)),
        ["conv_transpose3d_groups_dilated"] = x => F.ConvTranspose3d(x[0], x[1], stride: 1, padding: 1, groups: 2,
            dilation: (2, 1, 1), outputPadding: (1, 0, 0)),
        ["interpolate_bicubic"] = x => F.Interpolate(x[0], (5, 7), mode: "bicubic"),
        ["interpolate_bicubic_align_corners"] = x => F.Interpolate(x[0], (6, 5), mode: "bicubic",
            alignCorners: true),
        ["interpolate_bicubic_down"] = x => F.Interpolate(x[0], scaleFactor: 0.5, mode: "bicubic"),
        ["interpolate_trilinear"] = x => F.Interpolate(x[0], (3, 5, 4), mode: "trilinear"),
        ["interpolate_bilinear_antialias_down"] = x => F.Interpolate(x[0], (3, 2), mode: "bilinear", antialias: true),
        ["interpolate_bilinear_antialias_scale"] = x => F.Interpolate(x[0], scaleFactor: 0.4, mode: "bilinear",
            antialias: true),
        ["interpolate_bilinear_antialias_align_corners"] = x => F.Interpolate(x[0], (4, 3), mode: "bilinear",
            alignCorners: true, antialias: true),
        ["interpolate_bilinear_antialias_up"] = x => F.Interpolate(x[0], (5, 7), mode: "bilinear", antialias: true),
        ["interpolate_bicubic_antialias_down"] = x => F.Interpolate(x[0], (3, 4), mode: "bicubic", antialias: true),
        ["interpolate_bicubic_antialias_up"] = x => F.Interpolate(x[0], (6, 5), mode: "bicubic", antialias: true),
        ["interpolate_trilinear_align_corners"] = x => F.Interpolate(x[0], scaleFactor: 2, mode: "trilinear",
            alignCorners: true),
        ["interpolate_nearest_3d"] = x => F.Interpolate(x[0], (3, 4, 5)),
        ["adaptive_max_pool2d_overlapping"] = x => F.AdaptiveMaxPool2d(x[0], (3, 4)),
        ["adaptive_max_pool2d_indices"] = x => F.AdaptiveMaxPool2dWithIndices(x[0].Detach(), (3, 4)).Indices
            .To(x[0].DType),
        ["adaptive_max_pool2d_ties"] = x => F.AdaptiveMaxPool2d(x[0] - x[0].Detach() + x[0].Detach().Round(), (2, 3)),
        ["adaptive_max_pool2d_ties_indices"] = x => F.AdaptiveMaxPool2dWithIndices(x[0].Detach().Round(), (2, 3))
            .Indices.To(x[0].DType),
        ["adaptive_max_pool1d_indices"] = x => F.AdaptiveMaxPool1dWithIndices(x[0].Detach(), 4).Indices
            .To(x[0].DType),
    };
}
