"""Reference trajectories of PyTorch's optimizers and schedulers (float64) for the optimizer tests.

Run with a Python that has torch (Debian: apt-get install python3-torch):
    python3 tools/golden/make_optim_golden.py
Writes tests/Backprop.Tests/Golden/optimizers.json. Each optimizer case minimizes
loss = sum(w^3 / 3 + c * w) (gradient w^2 + c) for a few steps from the same start and records w after every step;
scheduler cases record the learning rate after every epoch.
"""
import json
import pathlib

import torch

W0 = torch.linspace(-0.8, 0.9, 6, dtype=torch.float64).reshape(2, 3)
C = torch.linspace(0.3, -0.5, 6, dtype=torch.float64).reshape(2, 3)
STEPS = 5

OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.1, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.05}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.1, "momentum": 0.5}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.7, "centered": True}),
]


def trajectory(name, options):
    w = W0.clone().requires_grad_()
    opt = getattr(torch.optim, name)([w], **options)
    steps = []
    for _ in range(STEPS):
        opt.zero_grad()
        (w ** 3 / 3 + C * w).sum().backward()
        opt.step()
        steps.append(w.detach().flatten().tolist())
    return steps


def schedule(name, options, epochs=12):
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.5)
    sched = getattr(torch.optim.lr_scheduler, name)(opt, **options)
    rates = []
    for _ in range(epochs):
        opt.step()
        sched.step()
        rates.append(opt.param_groups[0]["lr"])
    return rates


def clip_case():
    a = torch.tensor([3.0, -4.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[12.0]], dtype=torch.float64, requires_grad=True)
    a.grad = torch.tensor([3.0, -4.0], dtype=torch.float64)
    b.grad = torch.tensor([[12.0]], dtype=torch.float64)
    norm = torch.nn.utils.clip_grad_norm_([a, b], 6.5)
    return {"max_norm": 6.5, "norm": norm.item(), "a_grad": a.grad.tolist(), "b_grad": b.grad.flatten().tolist()}


golden = {
    "w0": W0.flatten().tolist(),
    "c": C.flatten().tolist(),
    "optimizers": [{"name": n, "options": {k: list(v) if isinstance(v, tuple) else v for k, v in o.items()},
                    "steps": trajectory(n, o)} for n, o in OPTIMIZERS],
    "schedulers": [
        {"name": "StepLR", "options": {"step_size": 3, "gamma": 0.5}, "rates": schedule("StepLR", {"step_size": 3, "gamma": 0.5})},
        {"name": "CosineAnnealingLR", "options": {"T_max": 8, "eta_min": 0.01},
         "rates": schedule("CosineAnnealingLR", {"T_max": 8, "eta_min": 0.01}, epochs=8)},
    ],
    "clip": clip_case(),
}
out = pathlib.Path(__file__).resolve().parents[2] / "tests/Backprop.Tests/Golden/optimizers.json"
out.write_text(json.dumps(golden) + "\n")
print(f"wrote {out}")
