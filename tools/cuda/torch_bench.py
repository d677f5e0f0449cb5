"""PyTorch eager on the same GPU, the same workloads as Backprop.Bench.Cuda; writes rows of {Name, Milliseconds, Rate, Unit}."""
import argparse
import json
import time

import torch
import torch.nn.functional as F


def timed(work, repetitions):
    for _ in range(3):
        work()
    torch.cuda.synchronize()
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        work()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[repetitions // 2]


def param(*shape):
    return (torch.randn(*shape, device="cuda") * 0.05).requires_grad_()


def mlp_step():
    p = [param(512, 784), param(512), param(512, 512), param(512), param(10, 512), param(10)]
    opt = torch.optim.SGD(p, lr=0.01, momentum=0.9)
    x = torch.randn(1024, 784, device="cuda")
    labels = (torch.arange(1024, device="cuda") % 10)

    def step():
        opt.zero_grad(set_to_none=True)
        h = F.relu(F.linear(F.relu(F.linear(x, p[0], p[1])), p[2], p[3]))
        F.cross_entropy(F.linear(h, p[4], p[5]), labels).backward()
        opt.step()
    return step


def conv_step():
    p = [param(32, 3, 3, 3), param(32), param(64, 32, 3, 3), param(64), param(10, 64 * 8 * 8), param(10)]
    opt = torch.optim.SGD(p, lr=0.01, momentum=0.9)
    x = torch.randn(256, 3, 32, 32, device="cuda")
    labels = (torch.arange(256, device="cuda") % 10)

    def step():
        opt.zero_grad(set_to_none=True)
        h = F.max_pool2d(F.relu(F.conv2d(x, p[0], p[1], padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, p[2], p[3], padding=1)), 2)
        F.cross_entropy(F.linear(h.reshape(256, -1), p[4], p[5]), labels).backward()
        opt.step()
    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", required=True)
    args = parser.parse_args()
    torch.backends.cudnn.benchmark = True
    rows = []
    n = 8192
    a = torch.randn(n, n, device="cuda")
    b = torch.randn(n, n, device="cuda")
    flops = 2.0 * n ** 3
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        ms = timed(lambda: a @ b, 10)
        rows.append({"Name": f"sgemm_8192_{'tf32' if tf32 else 'fp32'}", "Milliseconds": ms, "Rate": flops / ms / 1e9, "Unit": "TFLOP/s"})
    torch.backends.cuda.matmul.allow_tf32 = False
    del a, b
    elements = 1 << 26
    x = torch.randn(elements, device="cuda")
    y = torch.randn(elements, device="cuda")
    ms = timed(lambda: x + y, 50)
    rows.append({"Name": "add_2^26_fp32", "Milliseconds": ms, "Rate": 3.0 * 4 * elements / ms / 1e6, "Unit": "GB/s"})
    rows.append({"Name": "mlp_784_512_512_10_b1024_step", "Milliseconds": timed(mlp_step(), 30), "Rate": 0, "Unit": ""})
    rows.append({"Name": "convnet_b256_step", "Milliseconds": timed(conv_step(), 30), "Rate": 0, "Unit": ""})
    for row in rows:
        print(f"torch {row['Name']:<30} {row['Milliseconds']:10.3f} ms {row['Rate']:10.1f} {row['Unit']}")
    with open(args.json, "w") as f:
        json.dump(rows, f)


if __name__ == "__main__":
    main()
