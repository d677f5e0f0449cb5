"""Reference outputs and gradients from PyTorch (float64) for the normalization layers, QR and the CTC loss a
PyTorch port needs.

Run with a Python that has torch and numpy (Debian: apt-get install python3-torch python3-numpy):
    python3 tools/golden/make_ported_nn_golden.py
Writes tests/Backprop.Tests/Golden/ported_nn.json in make_golden.py's format: each case has its inputs, an upstream
gradient, the output and the gradient of every input (none where the output does not require grad).
"""
import numpy as np
import torch
import torch.nn.functional as F

from make_golden import write

rng = np.random.default_rng(20261208)


def normal(*shape):
    return rng.standard_normal(shape)


def constant(values):
    return torch.tensor(values, dtype=torch.float64)


RUNNING_MEAN = [0.5, -0.25, 1.0]
RUNNING_VAR = [2.0, 0.5, 1.5]


def instance_norm_running_update(a):
    mean, var = constant(RUNNING_MEAN), constant(RUNNING_VAR)
    F.instance_norm(a, mean, var, use_input_stats=True, momentum=0.3)
    return torch.cat([mean, var])


# torch.nn.functional.rms_norm arrived in PyTorch 2.4; this is its definition
def rms_norm(a, dims, weight=None, eps=None):
    eps = torch.finfo(a.dtype).eps if eps is None else eps
    y = a * torch.rsqrt(a.pow(2).mean(dims, keepdim=True) + eps)
    return y if weight is None else y * weight


NORMALIZATION = {
    "group_norm": (lambda a, w, b: F.group_norm(a, 3, w, b), [normal(2, 6, 3, 2), normal(6), normal(6)]),
    "group_norm_plain": (lambda a: F.group_norm(a, 2, eps=1e-3), [normal(2, 4, 5)]),
    "group_norm_one_group": (lambda a, w: F.group_norm(a, 1, w), [normal(3, 2, 2, 2), normal(2)]),
    "instance_norm": (F.instance_norm, [normal(2, 3, 4, 4)]),
    "instance_norm_affine": (lambda a, w, b: F.instance_norm(a, weight=w, bias=b, eps=1e-3),
                             [normal(2, 3, 5), normal(3), normal(3)]),
    "instance_norm_running": (lambda a, w, b: F.instance_norm(a, constant(RUNNING_MEAN), constant(RUNNING_VAR), w, b,
                                                              use_input_stats=False), [normal(2, 3, 4), normal(3),
                                                                                       normal(3)]),
    "instance_norm_running_update": (instance_norm_running_update, [normal(2, 3, 2, 3)]),
    "rms_norm": (lambda a, w: rms_norm(a, (-1,), w, eps=1e-6), [normal(3, 5), normal(5)]),
    "rms_norm_default_eps": (lambda a: rms_norm(a, (-2, -1)), [normal(2, 3, 4)]),
    "layer_norm_plain": (lambda a: F.layer_norm(a, (3, 4)), [normal(2, 3, 4)]),
}


# well-conditioned: full rank with margin, so Q and R are locally unique and their gradients defined
def full_rank(*shape):
    a = normal(*shape)
    k = min(shape[-2:])
    a[..., :k, :k] += 3 * np.eye(k)
    return a


DECOMPOSITIONS = {
    "qr_q": (lambda a: torch.linalg.qr(a).Q, [full_rank(5, 3)]),
    "qr_r": (lambda a: torch.linalg.qr(a).R, [full_rank(5, 3)]),
    # Q of a square matrix does not depend on its last column: that gradient is zero, which PyTorch rounds
    "qr_square": (lambda a: torch.linalg.qr(a).Q + torch.linalg.qr(a).R, [full_rank(2, 4, 4)]),
    "qr_wide_q": (lambda a: torch.linalg.qr(a).Q, [full_rank(3, 5)]),
    "qr_wide_r": (lambda a: torch.linalg.qr(a).R, [full_rank(3, 5)]),
    # an upper-triangular input: LAPACK reflects nothing, so R keeps the signs of the diagonal
    "qr_triangular_r": (lambda a: torch.linalg.qr(a.triu()).R, [full_rank(3, 3) * np.array([1, -1, 1])]),
}


def index(values):
    return torch.tensor(values, dtype=torch.long)


# [N, S] padded targets, with their lengths; the third cannot fit in 4 input steps (each repeat needs a blank)
CTC_TARGETS = [[1, 2, 2], [3, 1, 0], [2, 2, 2]]
CTC_TARGET_LENGTHS = [3, 2, 3]
CTC_INPUT_LENGTHS = [6, 5, 4]
CTC_FLAT_TARGETS = [1, 2, 2, 3, 1]


# the inputs are logits: PyTorch's CTC gradient is right for log-probabilities from a log_softmax
def ctc(a, targets=CTC_TARGETS, target_lengths=CTC_TARGET_LENGTHS, input_lengths=CTC_INPUT_LENGTHS, **options):
    return F.ctc_loss(F.log_softmax(a, 2), index(targets), index(input_lengths), index(target_lengths), **options)


LOSSES = {
    "ctc_mean": (lambda a: ctc(a, zero_infinity=True), [normal(6, 3, 4)]),
    "ctc_sum": (lambda a: ctc(a, reduction="sum", zero_infinity=True), [normal(6, 3, 4)]),
    "ctc_none": (lambda a: ctc(a, input_lengths=[6, 5, 6], reduction="none"), [normal(6, 3, 4)]),
    "ctc_blank_last": (lambda a: ctc(a, targets=[[0, 1, 1], [2, 0, 1], [1, 1, 1]], target_lengths=[3, 2, 1],
                                     blank=3), [normal(6, 3, 4)]),
    "ctc_flat_targets": (lambda a: ctc(a, targets=CTC_FLAT_TARGETS, target_lengths=[3, 2, 0], zero_infinity=True),
                         [normal(6, 3, 4)]),
}


def main():
    write({**NORMALIZATION, **DECOMPOSITIONS, **LOSSES}, "ported_nn.json", rng)


if __name__ == "__main__":
    main()
