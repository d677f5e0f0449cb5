"""Reference outputs and gradients from PyTorch (float64) for the convolution, pooling and resampling family.

Run with a Python that has torch and numpy (Debian: apt-get install python3-torch python3-numpy):
    python3 tools/golden/make_conv_golden.py
Writes tests/Backprop.Tests/Golden/conv_ops.json in make_golden.py's format: each case has its inputs, an
upstream gradient, the output and the gradient of every input.
"""
import numpy as np
import torch
import torch.nn.functional as F

from make_golden import write

rng = np.random.default_rng(20261208)


def normal(*shape):
    return rng.standard_normal(shape)


CONVOLUTIONS = {
    "conv2d_rectangular": (lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
                           [normal(2, 3, 6, 7), normal(4, 3, 2, 3), normal(4)]),
    "conv2d_same_even_kernel": (lambda x, w, b: F.conv2d(x, w, b, padding="same", dilation=(1, 2), groups=2),
                                [normal(2, 4, 5, 6), normal(2, 2, 2, 4), normal(2)]),
    "conv2d_valid": (lambda x, w: F.conv2d(x, w, padding="valid"), [normal(1, 2, 5, 4), normal(3, 2, 3, 2)]),
    "conv1d": (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, dilation=2, groups=2),
               [normal(2, 4, 9), normal(6, 2, 3), normal(6)]),
    "conv1d_same": (lambda x, w: F.conv1d(x, w, padding="same"), [normal(2, 3, 7), normal(2, 3, 4)]),
    "conv3d": (lambda x, w, b: F.conv3d(x, w, b, stride=(2, 1, 2), padding=(1, 0, 1), dilation=(1, 2, 1), groups=2),
               [normal(2, 4, 5, 6, 5), normal(6, 2, 3, 2, 3), normal(6)]),
    "conv3d_same": (lambda x, w: F.conv3d(x, w, padding="same"), [normal(1, 2, 4, 5, 3), normal(3, 2, 2, 3, 2)]),
    "conv_transpose2d": (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 3), padding=(1, 0),
                                                            output_padding=(1, 2), dilation=(1, 2)),
                         [normal(2, 4, 3, 4), normal(4, 3, 3, 2), normal(3)]),
    "conv_transpose2d_groups": (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, groups=2,
                                                                   dilation=2),
                                [normal(2, 4, 3, 3), normal(4, 2, 3, 3), normal(4)]),
    "conv_transpose2d_dilated_output_padding": (lambda x, w: F.conv_transpose2d(x, w, output_padding=1, dilation=2),
                                                [normal(1, 2, 3, 4), normal(2, 3, 2, 2)]),
    "conv_transpose2d_dcgan": (lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1),
                               [normal(2, 6, 4, 4), normal(6, 3, 4, 4)]),
    "conv_transpose1d": (lambda x, w, b: F.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2),
                         [normal(2, 4, 5), normal(4, 3, 3), normal(3)]),
}


POOLING = {
    "max_pool2d_rectangular_ceil": (lambda a: F.max_pool2d(a, (3, 2), stride=2, padding=(1, 0), ceil_mode=True),
                                    [normal(2, 2, 7, 6)]),
    "max_pool2d_dilated_ceil": (lambda a: F.max_pool2d(a, (2, 3), stride=(3, 2), dilation=(2, 1), ceil_mode=True),
                                [normal(1, 2, 8, 7)]),
    "max_pool2d_indices": (lambda a: F.max_pool2d(a.detach(), (3, 2), stride=2, padding=1, return_indices=True)[1]
                           .double(), [normal(2, 2, 5, 6)]),
    "max_unpool2d": (lambda a: F.max_unpool2d(*F.max_pool2d(a, 2, return_indices=True), 2, output_size=(5, 7)),
                     [normal(2, 2, 5, 7)]),
    "avg_pool2d_rectangular_ceil": (lambda a: F.avg_pool2d(a, (3, 2), stride=2, padding=1, ceil_mode=True),
                                    [normal(2, 2, 7, 6)]),
    "avg_pool2d_exclude_pad": (lambda a: F.avg_pool2d(a, 3, stride=2, padding=1, ceil_mode=True,
                                                      count_include_pad=False), [normal(2, 2, 6, 7)]),
    "max_pool1d": (lambda a: F.max_pool1d(a, 3, stride=2, padding=1, ceil_mode=True), [normal(2, 3, 8)]),
    "avg_pool1d_exclude_pad": (lambda a: F.avg_pool1d(a, 4, stride=3, padding=2, count_include_pad=False),
                               [normal(2, 3, 9)]),
    "adaptive_avg_pool2d": (lambda a: F.adaptive_avg_pool2d(a, (3, 4)), [normal(2, 3, 7, 5)]),
    "adaptive_avg_pool1d": (lambda a: F.adaptive_avg_pool1d(a, 4), [normal(2, 3, 10)]),
    "adaptive_max_pool2d": (lambda a: F.adaptive_max_pool2d(a, (3, 2)), [normal(2, 2, 7, 5)]),
    "adaptive_max_pool1d": (lambda a: F.adaptive_max_pool1d(a, 4), [normal(2, 3, 9)]),
}

RESAMPLING = {
    "interpolate_nearest": (lambda a: F.interpolate(a, size=(5, 7)), [normal(2, 2, 3, 4)]),
    "interpolate_nearest_scale": (lambda a: F.interpolate(a, scale_factor=2), [normal(1, 2, 3, 4)]),
    "interpolate_nearest_1d": (lambda a: F.interpolate(a, size=7), [normal(2, 2, 5)]),
    "interpolate_bilinear": (lambda a: F.interpolate(a, size=(5, 7), mode="bilinear"), [normal(2, 2, 3, 4)]),
    "interpolate_bilinear_align_corners": (lambda a: F.interpolate(a, size=(6, 5), mode="bilinear",
                                                                   align_corners=True), [normal(2, 2, 3, 4)]),
    "interpolate_bilinear_scale": (lambda a: F.interpolate(a, scale_factor=2, mode="bilinear"), [normal(1, 2, 3, 4)]),
    "interpolate_bilinear_down": (lambda a: F.interpolate(a, size=(3, 2), mode="bilinear"), [normal(1, 2, 7, 5)]),
    "interpolate_linear": (lambda a: F.interpolate(a, size=8, mode="linear"), [normal(2, 3, 5)]),
    "pixel_shuffle": (lambda a: F.pixel_shuffle(a, 2), [normal(2, 8, 3, 2)]),
    "pixel_unshuffle": (lambda a: F.pixel_unshuffle(a, 2), [normal(2, 2, 4, 6)]),
    "unfold": (lambda a: a.unfold(1, 3, 2), [normal(2, 7, 3)]),
    "unfold_overlapping": (lambda a: a.unfold(-1, 3, 1) * a.unfold(-1, 3, 1), [normal(2, 5)]),
    "meshgrid_ij": (lambda a, b: torch.stack(torch.meshgrid(a, b * 2, indexing="ij")), [normal(3), normal(4)]),
    "meshgrid_xy": (lambda a, b, c: torch.stack(torch.meshgrid(a, b, c.exp(), indexing="xy")),
                    [normal(3), normal(4), normal(2)]),
}

# drawn after the cases above, so adding these left their inputs as they were
MORE_RESAMPLING = {
    "interpolate_bicubic": (lambda a: F.interpolate(a, size=(5, 7), mode="bicubic"), [normal(2, 2, 3, 4)]),
    "interpolate_bicubic_align_corners": (lambda a: F.interpolate(a, size=(6, 5), mode="bicubic", align_corners=True),
                                          [normal(1, 2, 3, 4)]),
    "interpolate_bicubic_down": (lambda a: F.interpolate(a, scale_factor=0.5, mode="bicubic"), [normal(1, 2, 7, 6)]),
    "interpolate_trilinear": (lambda a: F.interpolate(a, size=(3, 5, 4), mode="trilinear"), [normal(1, 2, 2, 3, 4)]),
    "interpolate_trilinear_align_corners": (lambda a: F.interpolate(a, scale_factor=2, mode="trilinear",
                                                                    align_corners=True), [normal(1, 1, 2, 3, 2)]),
    "interpolate_nearest_3d": (lambda a: F.interpolate(a, size=(3, 4, 5)), [normal(1, 2, 2, 3, 2)]),
    "adaptive_max_pool2d_overlapping": (lambda a: F.adaptive_max_pool2d(a, (3, 4)), [normal(2, 2, 5, 7)]),
    "adaptive_max_pool2d_indices": (lambda a: F.adaptive_max_pool2d(a.detach(), (3, 4), return_indices=True)[1]
                                    .double(), [normal(2, 2, 7, 9)]),
    # rounded values tie often; the gradient passes straight through the rounding, to the index chosen
    "adaptive_max_pool2d_ties": (lambda a: F.adaptive_max_pool2d(a - a.detach() + a.detach().round(), (2, 3)),
                                 [normal(2, 2, 5, 7)]),
    "adaptive_max_pool2d_ties_indices": (lambda a: F.adaptive_max_pool2d(a.detach().round(), (2, 3),
                                                                         return_indices=True)[1].double(),
                                         [normal(2, 2, 5, 7)]),
    "adaptive_max_pool1d_indices": (lambda a: F.adaptive_max_pool1d(a.detach(), 4, return_indices=True)[1].double(),
                                    [normal(2, 3, 9)]),
    "conv_transpose3d": (lambda x, w, b: F.conv_transpose3d(x, w, b, stride=(2, 1, 2), padding=(1, 0, 1),
                                                            output_padding=(1, 0, 0), dilation=(1, 2, 1)),
                         [normal(2, 4, 3, 3, 2), normal(4, 3, 3, 2, 2), normal(3)]),
    "conv_transpose3d_groups_dilated": (lambda x, w: F.conv_transpose3d(x, w, stride=1, padding=1, groups=2,
                                                                        dilation=(2, 1, 1), output_padding=(1, 0, 0)),
                                        [normal(1, 4, 3, 2, 3), normal(4, 1, 2, 3, 2)]),
}


# drawn after the cases above: antialiased downsampling (a filter as wide as the scale), and upsampling, where it
# changes only the bicubic kernel's a and the borders
ANTIALIASED = {
    "interpolate_bilinear_antialias_down": (lambda a: F.interpolate(a, size=(3, 2), mode="bilinear", antialias=True),
                                            [normal(1, 2, 7, 5)]),
    "interpolate_bilinear_antialias_scale": (lambda a: F.interpolate(a, scale_factor=0.4, mode="bilinear",
                                                                     antialias=True), [normal(1, 2, 8, 11)]),
    "interpolate_bilinear_antialias_align_corners": (lambda a: F.interpolate(a, size=(4, 3), mode="bilinear",
                                                                             align_corners=True, antialias=True),
                                                     [normal(1, 1, 9, 7)]),
    "interpolate_bilinear_antialias_up": (lambda a: F.interpolate(a, size=(5, 7), mode="bilinear", antialias=True),
                                          [normal(1, 2, 3, 4)]),
    "interpolate_bicubic_antialias_down": (lambda a: F.interpolate(a, size=(3, 4), mode="bicubic", antialias=True),
                                           [normal(2, 1, 10, 9)]),
    "interpolate_bicubic_antialias_up": (lambda a: F.interpolate(a, size=(6, 5), mode="bicubic", antialias=True),
                                         [normal(1, 2, 3, 4)]),
}


def main():
    write({**CONVOLUTIONS, **POOLING, **RESAMPLING, **MORE_RESAMPLING, **ANTIALIASED}, "conv_ops.json", rng)


if __name__ == "__main__":
    main()
