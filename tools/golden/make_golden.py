"""Reference outputs and gradients from PyTorch (float64) for the tensor ops' golden tests.

Run with a Python that has torch and numpy (Debian: apt-get install python3-torch python3-numpy):
    python3 tools/golden/make_golden.py
Writes tests/Backprop.Tests/Golden/tensor_ops.json. Each case has its inputs, an upstream gradient for the
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


def encode(t):
    t = torch.as_tensor(t, dtype=torch.float64)
    return {"shape": list(t.shape), "data": [float(v) for v in t.flatten()]}


def main():
    cases = []
    for name, (fn, arrays) in CASES.items():
        inputs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
        out = fn(*inputs)
        grad_out = torch.tensor(rng.standard_normal(tuple(out.shape)), dtype=torch.float64)
        grads = torch.autograd.grad(out, inputs, grad_out)
        cases.append({
            "name": name,
            "inputs": [encode(a) for a in arrays],
            "grad_output": encode(grad_out),
            "output": encode(out.detach()),
            "grads": [encode(g) for g in grads],
        })
    path = pathlib.Path(__file__).resolve().parents[2] / "tests" / "Backprop.Tests" / "Golden" / "tensor_ops.json"
    path.write_text(json.dumps({"generator": f"torch {torch.__version__}", "cases": cases}, separators=(",", ":")))
    print(f"wrote {len(cases)} cases to {path.relative_to(path.parents[3])} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
