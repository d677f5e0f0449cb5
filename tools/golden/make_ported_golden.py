"""Reference outputs and gradients from PyTorch (float64) for the ops a PyTorch port needs beyond the core set.

Run with a Python that has torch and numpy (Debian: apt-get install python3-torch python3-numpy):
    python3 tools/golden/make_ported_golden.py
Writes tests/Backprop.Tests/Golden/ported_ops.json in make_golden.py's format: each case has its inputs, an
upstream gradient, the output and the gradient of every input (none where the output is a mask or an index).
"""
import numpy as np
import torch
import torch.nn.functional as F

from make_golden import write

rng = np.random.default_rng(20261207)


def normal(*shape):
    return rng.standard_normal(shape)


def positive(*shape):
    return rng.uniform(0.5, 2.0, shape)


def unit(*shape):
    return rng.uniform(-0.9, 0.9, shape)


HALVES = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.3, -0.7, 3.49, -3.51]
SPECIAL = [1.5, float("nan"), float("inf"), -2.0, float("-inf"), 0.0]

ELEMENTWISE = {
    "sin": (torch.sin, [normal(3, 4) * 2]),
    "cos": (torch.cos, [normal(3, 4) * 2]),
    "tan": (torch.tan, [unit(3, 4) * 1.4]),
    "asin": (torch.asin, [unit(3, 4)]),
    "acos": (torch.acos, [unit(3, 4)]),
    "atan": (torch.atan, [normal(3, 4) * 2]),
    "atan2": (torch.atan2, [normal(3, 4), normal(4)]),
    "sinh": (torch.sinh, [normal(3, 4)]),
    "cosh": (torch.cosh, [normal(3, 4)]),
    "log1p": (torch.log1p, [np.concatenate([positive(6) - 0.45, [1e-12, -1e-9]])]),
    "expm1": (torch.expm1, [np.concatenate([normal(6), [1e-12, -3e-10]])]),
    "log2": (torch.log2, [positive(3, 4)]),
    "log10": (torch.log10, [positive(3, 4)]),
    "erf": (torch.erf, [normal(3, 4) * 1.5]),
    "erfinv": (torch.erfinv, [np.concatenate([unit(8), [0.999, -0.99999]])]),
    "floor": (torch.floor, [np.array(HALVES)]),
    "ceil": (torch.ceil, [np.array(HALVES)]),
    "round": (torch.round, [np.array(HALVES)]),
    "trunc": (torch.trunc, [np.array(HALVES)]),
    "frac": (torch.frac, [np.array(HALVES)]),
    "fmod": (torch.fmod, [normal(3, 4) * 4, np.array([1.5, -1.5, 0.7, -2.2])]),
    "remainder": (torch.remainder, [normal(3, 4) * 4, np.array([1.5, -1.5, 0.7, -2.2])]),
    "reciprocal": (torch.reciprocal, [positive(3, 4) * np.sign(normal(3, 4))]),
    "rsqrt": (torch.rsqrt, [positive(3, 4)]),
    "square": (torch.square, [normal(3, 4)]),
    "isnan": (torch.isnan, [np.array(SPECIAL)]),
    "isinf": (torch.isinf, [np.array(SPECIAL)]),
    "isfinite": (torch.isfinite, [np.array(SPECIAL)]),
    "nan_to_num": (torch.nan_to_num, [np.array(SPECIAL)]),
    "nan_to_num_values": (lambda a: torch.nan_to_num(a, nan=-1.0, posinf=7.0, neginf=-8.0), [np.array(SPECIAL)]),
    "lerp": (torch.lerp, [normal(2, 4), normal(4), np.array([0.3, -0.7, 1.0, 0.5])]),
    "lerp_scalar": (lambda a, b: torch.lerp(a, b, 0.75), [normal(3, 4), normal(3, 4)]),
    "hypot": (torch.hypot, [normal(3, 4), normal(3, 1)]),
}

# values at the activations' kinks and bounds (0, ±3, ±1, 6) and past softplus's threshold, then random ones
KINKS = [0.0, -3.0, 3.0, -1.0, 1.0, 6.0, 25.0, -0.4]


def with_kinks(*shape):
    return np.concatenate([KINKS, normal(*shape).flatten() * 3])


ACTIVATIONS = {
    "elu": (lambda a: F.elu(a, alpha=0.7), [with_kinks(3, 4)]),
    "selu": (F.selu, [with_kinks(3, 4)]),
    "celu": (lambda a: F.celu(a, alpha=1.5), [with_kinks(3, 4)]),
    "softplus_beta": (lambda a: F.softplus(a, beta=2.0, threshold=5.0), [with_kinks(3, 4)]),
    "softplus_default": (F.softplus, [with_kinks(3, 4)]),
    "mish": (F.mish, [with_kinks(3, 4)]),
    "hardtanh": (lambda a: F.hardtanh(a, -1.0, 1.0), [with_kinks(3, 4)]),
    "relu6": (F.relu6, [with_kinks(3, 4)]),
    "hardswish": (F.hardswish, [with_kinks(3, 4)]),
    "hardsigmoid": (F.hardsigmoid, [with_kinks(3, 4)]),
    "logsigmoid": (F.logsigmoid, [np.concatenate([with_kinks(3, 4), [-40.0, 40.0]])]),
    "prelu_shared": (F.prelu, [normal(2, 3, 4), np.array([0.2])]),
    "prelu_channels": (F.prelu, [normal(2, 3, 4), np.array([0.2, -0.5, 1.3])]),
    "softmin": (lambda a: F.softmin(a, dim=1), [normal(3, 5) * 2]),
    "glu": (lambda a: F.glu(a, dim=1), [normal(2, 6, 3)]),
    "glu_last": (F.glu, [normal(3, 4)]),
}


def main():
    write({**ELEMENTWISE, **ACTIVATIONS}, "ported_ops.json", rng)


if __name__ == "__main__":
    main()
