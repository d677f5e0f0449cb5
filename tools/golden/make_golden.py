"""Reference outputs and gradients from PyTorch (float64) for the tensor ops' golden tests.

Run with a Python that has torch and numpy (Debian: apt-get install python3-torch python3-numpy):
    python3 tools/golden/make_golden.py
Writes tests/Backprop.Tests/Golden/tensor_ops.json (tensor ops) and nn_ops.json (the functional neural-network
ops: layers, losses, normalization). Each case has its inputs, an upstream gradient for the
output, the output, and the gradient of every input; the C# test replays the same op by name.
"""
import json
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(20240607)


def normal(*shape):
    return rng.standard_normal(shape)


def positive(*shape):
    return rng.uniform(0.5, 2.0, shape)


IDX_GATHER = [[0, 2], [1, 1], [2, 0]]
IDX_SCATTER = [[1, 0, 1], [0, 0, 1]]
IDX_SELECT = [2, 0, 2, 1]
IDX_EMBED = [[3, 0], [1, 3], [2, 2]]

# name: (function of the input tensors, inputs)
CASES = {
    "add": (lambda a, b: a + b, [normal(3, 4), normal(4)]),
    "sub": (lambda a, b: a - b, [normal(2, 1, 3), normal(4, 1)]),
    "mul": (lambda a, b: a * b, [normal(3, 4), normal(3, 1)]),
    "div": (lambda a, b: a / b, [normal(3, 4), positive(4)]),
    "pow": (lambda a, b: a ** b, [positive(3, 4), normal(3, 4)]),
    "pow_scalar": (lambda a: a ** 2.5, [positive(5)]),
    "maximum": (lambda a, b: torch.maximum(a, b), [normal(3, 4), normal(4)]),
    "minimum": (lambda a, b: torch.minimum(a, b), [normal(3, 4), normal(3, 1)]),
    "neg": (lambda a: -a, [normal(6)]),
    "exp": (lambda a: a.exp(), [normal(3, 4)]),
    "log": (lambda a: a.log(), [positive(3, 4)]),
    "sqrt": (lambda a: a.sqrt(), [positive(3, 4)]),
    "abs": (lambda a: a.abs(), [normal(3, 4)]),
    "tanh": (lambda a: a.tanh(), [normal(3, 4)]),
    "sigmoid": (lambda a: a.sigmoid(), [normal(3, 4) * 3]),
    "relu": (lambda a: a.relu(), [normal(3, 4)]),
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.2), [normal(3, 4)]),
    "gelu": (lambda a: F.gelu(a), [normal(3, 4) * 2]),
    "gelu_tanh": (lambda a: F.gelu(a, approximate="tanh"), [normal(3, 4) * 2]),
    "silu": (lambda a: F.silu(a), [normal(3, 4) * 2]),
    "softplus": (lambda a: F.softplus(a), [normal(3, 4) * 3]),
    "clamp": (lambda a: a.clamp(-0.5, 0.7), [normal(3, 4)]),
    "where": (lambda a, b: torch.where(a > 0, a, b), [normal(3, 4), normal(4)]),
    "sum_dims": (lambda a: a.sum(dim=(0, 2), keepdim=True), [normal(2, 3, 4)]),
    "mean": (lambda a: a.mean(dim=1), [normal(2, 3, 4)]),
    "max_dim": (lambda a: a.max(dim=1).values, [normal(3, 5)]),
    "min_dim": (lambda a: a.min(dim=0).values, [normal(3, 5)]),
    "amax": (lambda a: a.amax(dim=-1), [normal(2, 3, 4)]),
    "logsumexp": (lambda a: a.logsumexp(dim=1), [normal(3, 5) * 3]),
    "var": (lambda a: a.var(dim=1), [normal(3, 5)]),
    "std": (lambda a: a.std(dim=0, correction=0), [normal(4, 3)]),
    "matmul": (lambda a, b: a @ b, [normal(5, 10), normal(10, 3)]),
    "matmul_batched": (lambda a, b: a @ b, [normal(2, 1, 3, 4), normal(3, 4, 2)]),
    "matmul_vector": (lambda a, b: a @ b, [normal(3, 4), normal(4)]),
    "cat": (lambda a, b: torch.cat([a, b], dim=1), [normal(2, 3), normal(2, 2)]),
    "stack": (lambda a, b: torch.stack([a, b], dim=0), [normal(2, 3), normal(2, 3)]),
    "gather": (lambda a: a.gather(1, torch.tensor(IDX_GATHER)), [normal(3, 4)]),
    "scatter_add": (lambda a, b: a.scatter_add(0, torch.tensor(IDX_SCATTER), b), [normal(3, 3), normal(2, 3)]),
    "index_select": (lambda a: a.index_select(0, torch.tensor(IDX_SELECT)), [normal(3, 4)]),
    "embedding": (lambda w: F.embedding(torch.tensor(IDX_EMBED), w), [normal(4, 3)]),
    "permute_reshape": (lambda a: a.permute(2, 0, 1).reshape(4, 6) * 2, [normal(2, 3, 4)]),
    "slice": (lambda a: a[1:, ::2], [normal(3, 5)]),
}


TARGET4 = [1, 0, 4, 2]
RUNNING_MEAN = [0.1, -0.2, 0.3]
RUNNING_VAR = [0.5, 1.5, 1.0]


def uniform(*shape):
    return rng.uniform(0.0, 1.0, shape)


def batch_norm_train(x, w, b):
    return F.batch_norm(x, torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64), w, b, training=True)


def nn_cases():
    # built after the tensor cases have drawn their numbers, so tensor_ops.json stays as it was
    return {
        "linear": (lambda x, w, b: F.linear(x, w, b), [normal(4, 3), normal(5, 3), normal(5)]),
        "softmax": (lambda a: F.softmax(a, dim=1), [normal(3, 5) * 3]),
        "log_softmax": (lambda a: F.log_softmax(a, dim=0), [normal(4, 3) * 3]),
        "cross_entropy": (lambda a: F.cross_entropy(a, torch.tensor(TARGET4)), [normal(4, 5) * 2]),
        "cross_entropy_sum": (lambda a: F.cross_entropy(a, torch.tensor(TARGET4), reduction="sum"), [normal(4, 5) * 2]),
        "cross_entropy_none": (lambda a: F.cross_entropy(a, torch.tensor(TARGET4), reduction="none"), [normal(4, 5) * 2]),
        "nll_loss": (lambda a: F.nll_loss(F.log_softmax(a, dim=1), torch.tensor(TARGET4)), [normal(4, 5)]),
        "multi_margin": (lambda a: F.multi_margin_loss(a, torch.tensor(TARGET4)), [normal(4, 5)]),
        "multi_margin_sum": (lambda a: F.multi_margin_loss(a, torch.tensor(TARGET4), margin=0.5, reduction="sum"), [normal(4, 5)]),
        "mse": (lambda a, b: F.mse_loss(a, b), [normal(3, 4), normal(3, 4)]),
        "bce_logits": (lambda a, b: F.binary_cross_entropy_with_logits(a, b), [normal(3, 4) * 3, uniform(3, 4)]),
        "conv2d": (lambda x, w, b: F.conv2d(x, w, b, padding=1), [normal(2, 3, 5, 5), normal(4, 3, 3, 3), normal(4)]),
        "conv2d_groups": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=2, groups=2),
                          [normal(1, 4, 6, 7), normal(4, 2, 3, 2), normal(4)]),
        "max_pool2d": (lambda a: F.max_pool2d(a, 3, stride=2, padding=1), [normal(2, 2, 5, 5)]),
        "avg_pool2d": (lambda a: F.avg_pool2d(a, 3, stride=2, padding=1), [normal(2, 2, 5, 5)]),
        "batch_norm_train": (batch_norm_train, [normal(4, 3, 2, 2), normal(3), normal(3)]),
        "batch_norm_eval": (lambda x, w, b: F.batch_norm(x, torch.tensor(RUNNING_MEAN, dtype=torch.float64),
                                                         torch.tensor(RUNNING_VAR, dtype=torch.float64), w, b),
                            [normal(4, 3), normal(3), normal(3)]),
        "layer_norm": (lambda x, w, b: F.layer_norm(x, (3, 4), w, b), [normal(2, 3, 4), normal(3, 4), normal(3, 4)]),
    }


def number(v):
    # JSON has no NaN or infinity: those travel as the strings .NET's double.Parse reads
    v = float(v)
    return v if np.isfinite(v) else "NaN" if np.isnan(v) else "Infinity" if v > 0 else "-Infinity"


def encode(t):
    t = torch.as_tensor(t).to(torch.float64)
    return {"shape": list(t.shape), "data": [number(v) for v in t.flatten()]}


def write(case_table, file_name, generator=rng):
    """Each case's output and input gradients; an output that does not require grad (a mask) has no gradients."""
    cases = []
    for name, (fn, arrays) in case_table.items():
        inputs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
        out = fn(*inputs)
        grad_out = torch.tensor(generator.standard_normal(tuple(out.shape)), dtype=torch.float64)
        grads = torch.autograd.grad(out, inputs, grad_out, allow_unused=True) if out.requires_grad else []
        grads = [torch.zeros_like(x) if g is None else g for g, x in zip(grads, inputs)]
        cases.append({
            "name": name,
            "inputs": [encode(a) for a in arrays],
            "grad_output": encode(grad_out),
            "output": encode(out.detach()),
            "grads": [encode(g) for g in grads],
        })
    path = pathlib.Path(__file__).resolve().parents[2] / "tests" / "Backprop.Tests" / "Golden" / file_name
    path.write_text(json.dumps({"generator": f"torch {torch.__version__}", "cases": cases}, separators=(",", ":")))
    print(f"wrote {len(cases)} cases to {path.relative_to(path.parents[3])} ({path.stat().st_size} bytes)")


def main():
    write(CASES, "tensor_ops.json")
    write(nn_cases(), "nn_ops.json")


if __name__ == "__main__":
    main()
