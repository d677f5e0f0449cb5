"""Reference results of PyTorch's dtype rules (type promotion, Bool, true division) for the dtype tests.

Run with a Python that has torch and numpy (Debian: apt-get install python3-torch python3-numpy):
    /usr/bin/python3 tools/golden/make_dtype_golden.py
Writes tests/Backprop.Tests/Golden/dtype_rules.json. Each case has its inputs (dtype, shape, values, whether they
require grad), the default dtype it runs under, and the output's dtype and values; where an input requires grad, also
an upstream gradient and every input's gradient with its dtype. The C# test replays the same op by name, with a C#
double where the case uses a Python float and a C# long where it uses a Python int, and compares bit for bit.
"""
import json
import math
import pathlib

import torch

DTYPES = {torch.float32: "Float32", torch.float64: "Float64", torch.int64: "Int64", torch.bool: "Bool"}
F32, F64, I64, B = torch.float32, torch.float64, torch.int64, torch.bool

# x / 3 rounds differently from x * (1/3) for five of these eight float32 values
THIRDS = [1.0, 5.0, 7.0, 10.0, 0.1, 2.5, 14.0, -9.75]


def t(values, dtype, grad=False):
    return torch.tensor(values, dtype=dtype, requires_grad=grad)


# name: (function of the inputs, inputs, default dtype)
CASES = {
    # integers and Python numbers
    "int_div_int_scalar": (lambda i: i / 10, [torch.arange(10)], F32),
    "int_div_int_tensor": (lambda a, b: a / b, [t([7, -7, 9, 0, 1], I64), t([2, 2, -4, 3, 0], I64)], F32),
    "int_mul_float_scalar": (lambda i: i * 2.5, [torch.arange(6)], F32),
    "int_mul_int_scalar": (lambda i: i * 2, [torch.arange(6)], F32),
    "int_add_float_scalar": (lambda i: i + 0.5, [torch.arange(6)], F32),
    "int_sub_int_scalar": (lambda i: i - 3, [torch.arange(6)], F32),
    "int_rsub_int_scalar": (lambda i: 3 - i, [torch.arange(6)], F32),
    "int_rdiv_int_scalar": (lambda i: 1 / i, [t([1, 2, 3, -4, 0], I64)], F32),
    "int_pow_int_scalar": (lambda i: i ** 3, [t([0, 1, -2, 5, 11], I64)], F32),
    "int_pow_float_scalar": (lambda i: i ** 2.0, [t([0, 1, -2, 5, 11], I64)], F32),
    "int_pow_int_tensor": (lambda a, b: a ** b, [t([2, 3, -1, 1, -1, 5, 7], I64), t([10, -1, -3, -2, 4, 0, 2], I64)],
                           F32),
    "int_mul_float_scalar_default_f64": (lambda i: i * 2.5, [torch.arange(6)], F64),
    "int_div_int_scalar_default_f64": (lambda i: i / 10, [torch.arange(10)], F64),
    "float32_add_float_scalar": (lambda x: x + 0.1, [t([1.0, -2.5, 3.25], F32)], F32),
    "float32_mul_int_scalar": (lambda x: x * 3, [t([1.1, -2.5, 3.3], F32)], F32),
    # tensors of different dtypes
    "float32_add_float64": (lambda a, b: a + b, [t([0.1, 1.5, -3.0], F32, True), t([0.2, 2.5, 1e-9], F64, True)], F32),
    "float32_mul_float64": (lambda a, b: a * b, [t([[0.1], [1.5]], F32, True), t([0.3, -2.0, 7.1], F64, True)], F32),
    "float64_div_float32": (lambda a, b: a / b, [t([1.0, 2.0, 3.0], F64, True), t([3.0, 0.7, -9.0], F32, True)], F32),
    "float32_mul_float64_zero_dim": (lambda a, b: a * b, [t([0.1, 1.5, -3.0], F32, True), t(0.1, F64, True)], F32),
    "int_add_float64_zero_dim": (lambda a, b: a + b, [t([1, 2, 3], I64), t(0.1, F64, True)], F32),
    "int_mul_float32": (lambda a, b: a * b, [t([1, 2, 3], I64), t([0.5, -1.25, 0.1], F32, True)], F32),
    "float32_maximum_float64": (lambda a, b: torch.maximum(a, b),
                                [t([0.5, 2.0, -1.0], F32, True), t([0.5, 1.0, 3.0], F64, True)], F32),
    # Bool arithmetic
    "bool_add_bool": (lambda a, b: a + b, [t([True, False, True, False], B), t([True, True, False, False], B)], F32),
    "bool_mul_bool": (lambda a, b: a * b, [t([True, False, True, False], B), t([True, True, False, False], B)], F32),
    "bool_maximum_bool": (lambda a, b: torch.maximum(a, b), [t([True, False, False], B), t([False, False, True], B)],
                          F32),
    "bool_add_int": (lambda a, b: a + b, [t([True, False, True], B), t([5, 6, -7], I64)], F32),
    "bool_mul_int_scalar": (lambda a: a * 2, [t([True, False, True], B)], F32),
    "bool_mul_float_scalar": (lambda a: a * 2.5, [t([True, False, True], B)], F32),
    "bool_pow_int_scalar": (lambda a: a ** 2, [t([True, False, True], B)], F32),
    "bool_div_bool": (lambda a, b: a / b, [t([True, False, True], B), t([True, True, False], B)], F32),
    "bool_mul_float32": (lambda a, b: a * b, [t([True, False, True], B), t([1.5, 2.5, -3.5], F32, True)], F32),
    "bool_sum": (lambda a: a.sum(), [t([[True, False, True], [True, True, False]], B)], F32),
    "bool_sum_dim": (lambda a: a.sum(1), [t([[True, False, True], [True, True, False]], B)], F32),
    # division is division
    "float32_div_3": (lambda x: x / 3, [t(THIRDS, F32)], F32),
    "float64_div_3": (lambda x: x / 3, [t(THIRDS, F64)], F32),
    "float32_div_float_scalar": (lambda x: x / 0.1, [t(THIRDS, F32)], F32),
    "float32_div_float32": (lambda a, b: a / b, [t(THIRDS, F32, True), t([3.0, 7.0, 0.3, 9.0, 11.0, 3.0, 0.7, 6.0], F32,
                                                                            True)], F32),
    "float32_div_3_grad": (lambda x: x / 3, [t(THIRDS, F32, True)], F32),
    "float_rdiv_float32": (lambda x: 1.0 / x, [t(THIRDS, F32)], F32),
    "float32_mean": (lambda x: x.mean(), [t([1.0, 2.0, 4.0], F32, True)], F32),
    # comparisons
    "int_gt_float_scalar": (lambda i: i > 0.5, [t([0, 1, 2, -1], I64)], F32),
    "int_eq_float_scalar": (lambda i: i == 1.0, [t([0, 1, 2, -1], I64)], F32),
    "float32_eq_float64": (lambda a, b: a == b, [t([0.1, 0.5, 2.0], F32), t([0.1, 0.5, 2.0], F64)], F32),
    "float32_lt_float32": (lambda a, b: a < b, [t([0.1, 0.5, 2.0, float("nan")], F32), t([0.2, 0.5, 1.0, 1.0], F32)],
                           F32),
    "float32_le_int": (lambda a, b: a <= b, [t([0.5, 1.0, 2.5], F32), t([1, 1, 2], I64)], F32),
    "float32_ge_float_scalar": (lambda a: a >= 0.1, [t([0.1, 0.05, 2.0], F32)], F32),
    "float64_ne_float64": (lambda a, b: a != b, [t([float("nan"), 1.0, 2.0], F64), t([float("nan"), 1.0, 3.0], F64)],
                           F32),
    "bool_gt_bool": (lambda a, b: a > b, [t([True, False, True, False], B), t([True, True, False, False], B)], F32),
    "int_ne_int_scalar": (lambda i: i != 2, [t([0, 2, 2, -1], I64)], F32),
    # Bool ops
    "where_bool_int_float32": (lambda c, a, b: torch.where(c, a, b),
                               [t([True, False, True], B), t([1, 2, 3], I64), t([0.5, 1.5, 2.5], F32, True)], F32),
    "logical_not_float": (lambda x: torch.logical_not(x), [t([0.0, float("nan"), -2.0], F32)], F32),
    "logical_and_int_float": (lambda a, b: torch.logical_and(a, b),
                              [t([0, 1, 2, 0], I64), t([1.0, 0.0, 0.5, 0.0], F32)], F32),
    "logical_or_bool": (lambda a, b: torch.logical_or(a, b), [t([True, False, False], B), t([False, False, True], B)],
                        F32),
    "logical_xor_bool": (lambda a, b: torch.logical_xor(a, b), [t([True, False, True], B), t([True, False, False], B)],
                         F32),
    "any_dim": (lambda a: a.any(1), [t([[True, False], [False, False], [True, True]], B)], F32),
    "all_dim": (lambda a: a.all(0), [t([[True, False], [True, False], [True, True]], B)], F32),
    "any_float": (lambda a: a.any(), [t([0.0, 0.0, -0.5], F32)], F32),
    "all_int": (lambda a: a.all(), [t([3, 0, 1], I64)], F32),
    "float_to_bool": (lambda x: x.to(torch.bool), [t([0.0, -0.0, float("nan"), 0.25, -3.0], F32)], F32),
    "bool_to_float32": (lambda x: x.to(torch.float32), [t([True, False], B)], F32),
    "bool_to_int": (lambda x: x.to(torch.int64), [t([True, False], B)], F32),
    # creation
    "linspace_one_step": (lambda: torch.linspace(3, 7, 1), [], F32),
    "linspace_five_steps": (lambda: torch.linspace(-1, 1, 5), [], F32),
    "linspace_default_f64": (lambda: torch.linspace(0, 1, 3), [], F64),
    "zeros_default_f64": (lambda: torch.zeros(2), [], F64),
}


def number(v):
    if isinstance(v, bool):
        return v
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def encode(x):
    # float32 values are written as the doubles they convert to exactly, so nothing is rounded on the way
    values = x.detach().flatten().tolist()
    return {"dtype": DTYPES[x.dtype], "shape": list(x.shape), "data": [number(v) for v in values]}


def run(fn, arrays, default):
    torch.set_default_dtype(default)
    try:
        inputs = [a.detach().clone().requires_grad_(a.requires_grad) for a in arrays]
        out = fn(*inputs)
        case = {"default_dtype": DTYPES[default],
                "inputs": [dict(encode(a), requires_grad=a.requires_grad) for a in inputs],
                "output": encode(out)}
        if any(a.requires_grad for a in inputs):
            grad_out = torch.linspace(0.5, 1.7, out.numel(), dtype=out.dtype).reshape(out.shape)
            grads = torch.autograd.grad(out, [a for a in inputs if a.requires_grad], grad_out)
            it = iter(grads)
            case["grad_output"] = encode(grad_out)
            case["grads"] = [encode(next(it)) if a.requires_grad else None for a in inputs]
        return case
    finally:
        torch.set_default_dtype(torch.float32)


def main():
    cases = [dict(name=name, **run(fn, arrays, default)) for name, (fn, arrays, default) in CASES.items()]
    path = pathlib.Path(__file__).resolve().parents[2] / "tests" / "Backprop.Tests" / "Golden" / "dtype_rules.json"
    path.write_text(json.dumps({"generator": f"torch {torch.__version__}", "cases": cases}, separators=(",", ":")))
    print(f"wrote {len(cases)} cases to {path.relative_to(path.parents[3])} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
