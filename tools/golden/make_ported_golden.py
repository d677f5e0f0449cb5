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


def uniform(*shape):
    return rng.uniform(0.0, 1.0, shape)


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

# index tensors, repeated in the C# test
ROWS = [2, 0]
ROWS_REPEATED = [1, 3, 1, 0]
ADD_ROWS = [0, 2, 0]
SCATTER_COLUMNS = [[1, 3], [0, 2], [3, 0]]
SCATTER_ROWS = [[0, 1, 0, 2], [0, 0, 2, 2]]
TAKE = [[2, 0]]
CLASSES = [3, 0, 4, 1, 3]
INTERLEAVE = [1, 0, 2]
# three values for one position, two of them tied at the maximum
TIED_SOURCE = [[1.0, 2.0], [1.0, -1.0], [0.5, 2.0]]


def index(rows):
    return torch.tensor(rows)


INDEXING = {
    "masked_fill": (lambda a: a.masked_fill(a > 0.3, -2.5), [normal(3, 4)]),
    "masked_fill_tensor": (lambda a, v: a.masked_fill(a > 0.3, v), [normal(3, 4), np.array(0.7)]),
    "masked_select": (lambda a: a.masked_select(a > 0), [normal(3, 4)]),
    "index_mask_rows": (lambda a: a[a[:, 0] > 0], [normal(5, 3)]),
    "index_rows": (lambda a: a[index([[2, 0], [1, 2]])], [normal(3, 4)]),
    "index_put_mask": (lambda a, b: a.index_put((a[:, 0] > 0,), b), [normal(5, 3), normal(3)]),
    "index_put_rows": (lambda a, b: a.index_put((index(ROWS),), b), [normal(4, 3), normal(2, 3)]),
    "index_put_accumulate": (lambda a, b: a.index_put((index(ROWS_REPEATED),), b, accumulate=True),
                             [normal(4, 3), normal(4, 3)]),
    "index_add": (lambda a, b: a.index_add(0, index(ADD_ROWS), b, alpha=2.0), [normal(3, 4), normal(3, 4)]),
    "scatter": (lambda a, b: a.scatter(1, index(SCATTER_COLUMNS), b), [normal(3, 4), normal(3, 2)]),
    "scatter_value": (lambda a: a.scatter(1, index(SCATTER_COLUMNS), 1.5), [normal(3, 4)]),
    "scatter_reduce_sum": (lambda a, b: a.scatter_reduce(0, index(SCATTER_ROWS), b, "sum"),
                           [normal(3, 4), normal(2, 4)]),
    "scatter_reduce_sum_exclude": (lambda a, b: a.scatter_reduce(0, index(SCATTER_ROWS), b, "sum",
                                                                 include_self=False), [normal(3, 4), normal(2, 4)]),
    "scatter_reduce_amax": (lambda a, b: a.scatter_reduce(0, index(SCATTER_ROWS), b, "amax"),
                            [normal(3, 4), normal(2, 4)]),
    "scatter_reduce_amax_exclude": (lambda a, b: a.scatter_reduce(0, index(SCATTER_ROWS), b, "amax",
                                                                  include_self=False), [normal(3, 4), normal(2, 4)]),
    "scatter_reduce_amax_tie": (lambda a, b: a.scatter_reduce(0, torch.zeros(3, 2, dtype=torch.long), b, "amax"),
                                [np.array([[0.2, 3.0], [0.1, 0.1]]), np.array(TIED_SOURCE)]),
    "take_along_dim": (lambda a: torch.take_along_dim(a, index(TAKE), dim=1), [normal(3, 4)]),
    "take_along_dim_flat": (lambda a: torch.take_along_dim(a, index([5, 0, 11])), [normal(3, 4)]),
    "nonzero": (lambda a: torch.nonzero(a > 0), [normal(3, 4)]),
    "one_hot": (lambda: F.one_hot(index(CLASSES), 6), []),
}

SHAPES = {
    "pad_constant": (lambda a: F.pad(a, (1, 2, 0, 1), value=0.5), [normal(2, 3, 4)]),
    "pad_crop": (lambda a: F.pad(a, (-1, 2)), [normal(2, 5)]),
    "pad_reflect": (lambda a: F.pad(a, (2, 1), mode="reflect"), [normal(2, 3, 5)]),
    "pad_reflect_2d": (lambda a: F.pad(a, (1, 1, 2, 0), mode="reflect"), [normal(1, 2, 4, 5)]),
    "pad_replicate": (lambda a: F.pad(a, (1, 2, 2, 1), mode="replicate"), [normal(1, 2, 3, 4)]),
    "pad_circular": (lambda a: F.pad(a, (1, 2, 2, 1), mode="circular"), [normal(1, 2, 3, 4)]),
    "flip": (lambda a: a.flip(0, 2), [normal(2, 3, 4)]),
    "roll": (lambda a: a.roll((1, -2), (0, 1)), [normal(3, 4)]),
    "roll_flat": (lambda a: a.roll(3), [normal(3, 4)]),
    "repeat": (lambda a: a.repeat(2, 1, 3), [normal(2, 3)]),
    "tile": (lambda a: a.tile((2,)), [normal(2, 3)]),
    "repeat_interleave": (lambda a: a.repeat_interleave(2, dim=1), [normal(2, 3)]),
    "repeat_interleave_counts": (lambda a: a.repeat_interleave(index(INTERLEAVE), dim=0), [normal(3, 2)]),
    "unbind": (lambda a: a.unbind(1)[1] * 2 + a.unbind(1)[0], [normal(3, 2)]),
    "tril": (lambda a: a.tril(-1), [normal(3, 4)]),
    "triu": (lambda a: a.triu(1), [normal(2, 3, 4)]),
    "diag_vector": (lambda a: torch.diag(a, 1), [normal(3)]),
    "diag_matrix": (lambda a: torch.diag(a, -1), [normal(3, 4)]),
    "diagonal": (lambda a: a.diagonal(offset=1, dim1=0, dim2=2), [normal(3, 2, 4)]),
    "broadcast_to": (lambda a: a.broadcast_to((2, 3, 4)), [normal(3, 1)]),
    "movedim": (lambda a: a.movedim((0, 1), (2, 0)), [normal(2, 3, 4)]),
    "outer": (torch.outer, [normal(3), normal(4)]),
    "kron": (torch.kron, [normal(2, 3), normal(2, 2)]),
    "einsum_matmul": (lambda a, b: torch.einsum("ij,jk->ik", a, b), [normal(3, 4), normal(4, 2)]),
    "einsum_batch": (lambda a, b: torch.einsum("bij,bjk->bik", a, b), [normal(2, 3, 4), normal(2, 4, 2)]),
    "einsum_attention": (lambda a, b: torch.einsum("bhqd,bhkd->bhqk", a, b), [normal(2, 2, 3, 4), normal(2, 2, 5, 4)]),
    "einsum_diagonal": (lambda a: torch.einsum("ii->i", a), [normal(3, 3)]),
    "einsum_trace": (lambda a: torch.einsum("ii", a), [normal(3, 3)]),
    "einsum_dot": (lambda a, b: torch.einsum("i,i->", a, b), [normal(4), normal(4)]),
    "einsum_outer_implicit": (lambda a, b: torch.einsum("i,j", a, b), [normal(3), normal(2)]),
    "einsum_transpose": (lambda a: torch.einsum("ijk->kji", a), [normal(2, 3, 4)]),
    "einsum_ellipsis": (lambda a, b: torch.einsum("...ij,...jk->...ik", a, b), [normal(2, 1, 3, 4), normal(3, 4, 2)]),
    "einsum_three": (lambda a, b, c: torch.einsum("ij,jk,kl->il", a, b, c), [normal(2, 3), normal(3, 4), normal(4, 2)]),
    "einsum_four": (lambda a, b, c, d: torch.einsum("abc,cd,de,ea->b", a, b, c, d),
                    [normal(2, 3, 4), normal(4, 2), normal(2, 3), normal(3, 2)]),
    "einsum_sum_out": (lambda a, b: torch.einsum("ijk,jl->il", a, b), [normal(2, 3, 4), normal(3, 2)]),
}

TIES = [[3.0, 1.0, 3.0, -2.0, 1.0, 0.5], [0.0, 0.0, -1.0, 2.0, 2.0, 2.0]]
WITH_ZEROS = [[1.5, 0.0, -2.0, 0.7], [0.3, 1.2, -0.8, 2.0], [0.0, 1.1, 0.0, -1.3]]
BINS = [1, 4, 1, 0, 4, 4]
BIN_WEIGHTS = [0.5, 1.0, -2.0, 0.25, 3.0, 1.5]
REPEATS = [[2.0, -1.0, 2.0], [0.5, -1.0, 7.0]]
# rows whose most frequent values tie: the smallest wins, at its last index
MODES = [[1.0, 2.0, 2.0, 1.0, 3.0, 2.0, 1.0], [5.0, 5.0, 4.0, 4.0, 0.0, 0.0, 0.0]]

SORTING = {
    "cumsum": (lambda a: a.cumsum(1), [normal(3, 5)]),
    "cumprod": (lambda a: a.cumprod(1), [np.array(WITH_ZEROS)]),
    "cumprod_dim0": (lambda a: a.cumprod(0), [normal(5, 3)]),
    "prod_dim": (lambda a: a.prod(1), [np.array(WITH_ZEROS)]),
    "prod_keepdim": (lambda a: a.prod(0, keepdim=True), [normal(5, 3)]),
    "prod_all": (lambda a: a.prod(), [normal(2, 3)]),
    "norm": (lambda a: a.norm(dim=1), [np.concatenate([normal(2, 4), np.zeros((1, 4))])]),
    "norm_all": (lambda a: a.norm(), [normal(3, 4)]),
    "norm_p3": (lambda a: a.norm(p=3, dim=(0, 2)), [normal(2, 3, 4)]),
    "norm_p1": (lambda a: a.norm(p=1, dim=0), [normal(3, 4)]),
    "norm_inf": (lambda a: torch.linalg.vector_norm(a, float("inf"), dim=1), [normal(3, 4)]),
    "count_nonzero": (lambda a: torch.count_nonzero(a, dim=0), [np.array(WITH_ZEROS)]),
    "sort": (lambda a: a.sort(dim=1, stable=True).values, [np.array(TIES)]),
    "sort_indices": (lambda a: a.sort(dim=1, stable=True).indices, [np.array(TIES)]),
    "sort_descending": (lambda a: a.sort(dim=0, descending=True, stable=True).values, [normal(5, 3)]),
    "sort_descending_indices": (lambda a: a.sort(dim=1, descending=True, stable=True).indices, [np.array(TIES)]),
    "sort_nan": (lambda a: a.sort(stable=True).values, [np.array([2.0, float("nan"), -1.0, 0.5, float("nan")])]),
    "argsort": (lambda a: a.sort(dim=-1, stable=True).indices, [normal(3, 7)]),
    "topk": (lambda a: a.topk(3, dim=1).values, [normal(3, 6)]),
    "topk_indices": (lambda a: a.topk(3, dim=1).indices, [normal(3, 6)]),
    "topk_smallest": (lambda a: a.topk(2, dim=0, largest=False).values, [normal(5, 3)]),
    "kthvalue": (lambda a: a.kthvalue(2, dim=0).values, [normal(5, 3)]),
    "kthvalue_indices": (lambda a: a.kthvalue(4, dim=1, keepdim=True).indices, [normal(3, 6)]),
    "median": (lambda a: a.median(dim=1).values, [normal(3, 6)]),
    "median_odd": (lambda a: a.median(dim=0, keepdim=True).values, [normal(5, 3)]),
    "median_indices": (lambda a: a.median(dim=1).indices, [normal(3, 5)]),
    "median_all": (lambda a: a.median(), [normal(3, 4)]),
    "median_nan": (lambda a: a.median(dim=1).values, [np.array([[1.0, float("nan"), 3.0], [2.0, 0.5, 1.0]])]),
    "mode": (lambda a: a.mode(1).values, [np.array(MODES)]),
    "mode_indices": (lambda a: a.mode(0, keepdim=True).indices, [np.array(MODES).T]),
    "bincount": (lambda: torch.bincount(index(BINS), minlength=7), []),
    "bincount_weights": (lambda: torch.bincount(index(BINS), torch.tensor(BIN_WEIGHTS, dtype=torch.float64)), []),
    "unique": (lambda a: torch.unique(a.detach()), [np.array(REPEATS)]),
    "unique_inverse": (lambda a: torch.unique(a.detach(), return_inverse=True)[1], [np.array(REPEATS)]),
    "unique_counts": (lambda a: torch.unique(a.detach(), return_counts=True)[1], [np.array(REPEATS)]),
}

TARGETS = [1, 0, 4, 2, 4]
TARGETS_IGNORED = [1, -100, 4, 2, -100]
TARGETS_2D = [[[0, 2], [1, 1]], [[2, 0], [1, 0]]]
CLASS_WEIGHTS = [0.5, 2.0, 1.0, 0.25, 3.0]
SIGNS = [1.0, -1.0, -1.0, 1.0]


def constant(values):
    return torch.tensor(values, dtype=torch.float64)


LOSSES = {
    "cross_entropy_weight": (lambda a: F.cross_entropy(a, index(TARGETS), weight=constant(CLASS_WEIGHTS)),
                             [normal(5, 5) * 2]),
    "cross_entropy_ignore": (lambda a: F.cross_entropy(a, index(TARGETS_IGNORED)), [normal(5, 5) * 2]),
    "cross_entropy_ignore_weight_sum": (lambda a: F.cross_entropy(a, index(TARGETS_IGNORED), reduction="sum",
                                                                  weight=constant(CLASS_WEIGHTS)), [normal(5, 5)]),
    "cross_entropy_smoothing": (lambda a: F.cross_entropy(a, index(TARGETS), label_smoothing=0.1), [normal(5, 5) * 2]),
    "cross_entropy_smoothing_all": (lambda a: F.cross_entropy(a, index(TARGETS_IGNORED), label_smoothing=0.2,
                                                              weight=constant(CLASS_WEIGHTS)), [normal(5, 5) * 2]),
    "cross_entropy_smoothing_none": (lambda a: F.cross_entropy(a, index(TARGETS_IGNORED), label_smoothing=0.2,
                                                               reduction="none"), [normal(5, 5)]),
    "cross_entropy_spatial": (lambda a: F.cross_entropy(a, index(TARGETS_2D)), [normal(2, 3, 2, 2) * 2]),
    "cross_entropy_spatial_none": (lambda a: F.cross_entropy(a, index(TARGETS_2D), reduction="none",
                                                             weight=constant(CLASS_WEIGHTS[:3])), [normal(2, 3, 2, 2)]),
    "nll_loss_weight": (lambda a: F.nll_loss(F.log_softmax(a, 1), index(TARGETS_IGNORED),
                                             weight=constant(CLASS_WEIGHTS)), [normal(5, 5)]),
    "l1": (F.l1_loss, [normal(3, 4), normal(3, 4)]),
    "smooth_l1": (lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), [normal(3, 4), normal(3, 4)]),
    "smooth_l1_sum": (lambda a, b: F.smooth_l1_loss(a, b, reduction="sum"), [normal(3, 4), normal(3, 4)]),
    "huber": (lambda a, b: F.huber_loss(a, b, delta=0.7), [normal(3, 4), normal(3, 4)]),
    "bce": (F.binary_cross_entropy, [rng.uniform(0.05, 0.95, (3, 4)), uniform(3, 4)]),
    "bce_weight": (lambda a, b: F.binary_cross_entropy(a, b, weight=constant([0.5, 1.0, 2.0, 1.5]), reduction="sum"),
                   [rng.uniform(0.05, 0.95, (3, 4)), uniform(3, 4)]),
    "bce_logits_pos_weight": (lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=constant([1.0, 3.0,
                                                                                                         0.5, 2.0])),
                              [normal(3, 4) * 3, uniform(3, 4)]),
    "bce_logits_weight": (lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=constant([2.0, 1.0, 0.5, 1.0]),
                                                                          reduction="none"),
                          [normal(3, 4) * 3, uniform(3, 4)]),
    "kl_div": (lambda a, b: F.kl_div(F.log_softmax(a, 1), b, reduction="batchmean"),
               [normal(3, 4), rng.dirichlet(np.ones(4), 3)]),
    "kl_div_log_target": (lambda a, b: F.kl_div(a, b, reduction="sum", log_target=True), [normal(3, 4), normal(3, 4)]),
    "margin_ranking": (lambda a, b: F.margin_ranking_loss(a, b, constant(SIGNS), margin=0.3), [normal(4), normal(4)]),
    "cosine_embedding": (lambda a, b: F.cosine_embedding_loss(a, b, index([1, -1, -1, 1]), margin=0.2),
                         [normal(4, 5), normal(4, 5)]),
    "triplet_margin": (lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=0.5), [normal(4, 5), normal(4, 5),
                                                                                   normal(4, 5)]),
    "triplet_margin_p1_swap": (lambda a, b, c: F.triplet_margin_loss(a, b, c, margin=2.0, p=1, swap=True),
                               [normal(4, 5), normal(4, 5), normal(4, 5)]),
}

PRODUCTS = {
    "bmm": (torch.bmm, [normal(2, 3, 4), normal(2, 4, 5)]),
    "baddbmm": (lambda c, a, b: torch.baddbmm(c, a, b, beta=0.5, alpha=2.0), [normal(3, 5), normal(2, 3, 4),
                                                                              normal(2, 4, 5)]),
    "addmm": (lambda c, a, b: torch.addmm(c, a, b, beta=-1.5, alpha=0.5), [normal(5), normal(3, 4), normal(4, 5)]),
    "addmm_default": (torch.addmm, [normal(3, 5), normal(3, 4), normal(4, 5)]),
}

# well-conditioned matrices: a random one plus a multiple of the identity
def square(*batch, n=4):
    return normal(*batch, n, n) + 3 * np.eye(n)


ALGEBRA = {
    "solve": (torch.linalg.solve, [square(), normal(4, 2)]),
    "solve_batched_vector": (torch.linalg.solve, [square(2), normal(2, 4)]),
    "inv": (torch.linalg.inv, [square()]),
    "inv_batched": (torch.linalg.inv, [square(2, n=3)]),
    "det": (torch.linalg.det, [normal(4, 4)]),
    "det_batched": (torch.linalg.det, [normal(3, 3, 3)]),
    "slogdet": (lambda a: torch.linalg.slogdet(a)[1], [normal(2, 4, 4)]),
    "slogdet_sign": (lambda a: torch.linalg.slogdet(a.detach())[0], [normal(3, 3, 3)]),
    # the symmetric part of a positive-definite matrix: PyTorch reads only the lower triangle, as we do
    "cholesky": (lambda a: torch.linalg.cholesky(a @ a.transpose(-2, -1) + torch.eye(4, dtype=torch.float64)),
                 [normal(4, 4)]),
    "cholesky_batched": (lambda a: torch.linalg.cholesky(a @ a.transpose(-2, -1)
                                                         + torch.eye(3, dtype=torch.float64)), [normal(2, 3, 3)]),
}


def main():
    write({**ELEMENTWISE, **ACTIVATIONS, **INDEXING, **SHAPES, **SORTING, **LOSSES, **PRODUCTS, **ALGEBRA},
          "ported_ops.json", rng)


if __name__ == "__main__":
    main()
