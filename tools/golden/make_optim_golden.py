"""Reference trajectories of PyTorch's optimizers and schedulers (float64) for the optimizer tests.

Run with a Python that has torch (Debian: apt-get install python3-torch):
    python3 tools/golden/make_optim_golden.py
Writes tests/Backprop.Tests/Golden/optimizers.json. Each optimizer case minimizes
loss = sum(w^3 / 3 + c * w) (gradient w^2 + c) for a few steps from the same start and records w after every step;
group cases train the two rows of w as two parameters in two groups with their own settings; scheduler cases
record the learning rate after every epoch (OneCycleLR: the rate and momentum of every batch).
NAdam follows PyTorch 2's rule: 1.13 multiplies mu twice into the next product and keeps the product in float32,
so its own source is run with those two lines as PyTorch 2 has them.
LBFGS cases also run the strong-Wolfe line search, on the Rosenbrock function and a tiny tanh least-squares net.
"""
import importlib
import inspect
import json
import pathlib
import types

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
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.2, "eps": 1e-6}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.05}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-4, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05}),
    ("NAdam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1, "momentum_decay": 0.01}),
    ("RAdam", {"lr": 0.05}),
    ("RAdam", {"lr": 0.02, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1}, 8),  # rectified from step 6
]


def pytorch2_nadam():
    source = inspect.getsource(importlib.import_module("torch.optim.nadam"))
    for old, new in [("mu_product * mu * mu_next", "mu_product * mu_next"),
                     ("torch.tensor(1.)", "torch.tensor(1., dtype=torch.float64)")]:
        assert old in source, old
        source = source.replace(old, new)
    module = types.ModuleType("nadam2")
    module.__dict__["__name__"] = "torch.optim.nadam2"
    exec(compile(source.replace("from .optimizer import", "from torch.optim.optimizer import"), "nadam2", "exec"),
         module.__dict__)
    return module.NAdam


def optimizer_class(name):
    return pytorch2_nadam() if name == "NAdam" else getattr(torch.optim, name)


def trajectory(name, options, steps_count=STEPS):
    w = W0.clone().requires_grad_()
    opt = optimizer_class(name)([w], **options)
    steps = []
    for _ in range(steps_count):
        opt.zero_grad()
        (w ** 3 / 3 + C * w).sum().backward()
        opt.step()
        steps.append(w.detach().flatten().tolist())
    return steps


def group_trajectory(name, options):
    """Rows as two parameters: the first group halves the learning rate, the second sets its own weight decay."""
    a, b = (W0[i].clone().requires_grad_() for i in range(2))
    groups = [{"params": [a], "lr": options.get("lr", 1.0) / 2}, {"params": [b], "weight_decay": 0.05}]
    opt = optimizer_class(name)(groups, **options)
    steps = []
    for _ in range(STEPS):
        opt.zero_grad()
        w = torch.stack([a, b])
        (w ** 3 / 3 + C * w).sum().backward()
        opt.step()
        steps.append(torch.cat([a, b]).detach().tolist())
    return steps


def sequential_schedule(epochs=12):
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.5)
    warmup = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8, eta_min=0.01)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[3])
    rates = [opt.param_groups[0]["lr"]]
    for _ in range(epochs):
        opt.step()
        sched.step()
        rates.append(opt.param_groups[0]["lr"])
    return rates


def one_cycle(options, optimizer="SGD"):
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.5, momentum=0.9) if optimizer == "SGD" else torch.optim.Adam([w], lr=0.5)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, **options)
    rates, momenta = [], []
    for i in range(options["total_steps"]):
        group = opt.param_groups[0]
        rates.append(group["lr"])
        momenta.append(group["momentum"] if optimizer == "SGD" else group["betas"][0])
        opt.step()
        if i < options["total_steps"] - 1:
            sched.step()
    return {"optimizer": optimizer, "options": options, "rates": rates, "momenta": momenta}


PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5]


def plateau(options):
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.5)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
    rates = []
    for metric in PLATEAU_METRICS:
        opt.step()
        sched.step(metric)
        rates.append(opt.param_groups[0]["lr"])
    return {"options": options, "metrics": PLATEAU_METRICS, "rates": rates}


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


def lbfgs(options, steps=3):
    """LBFGS on the bounded loss sum(w^4 / 4 + w^2 / 2 + c * w): w after each step (each several iterations)."""
    w = W0.clone().requires_grad_()
    opt = torch.optim.LBFGS([w], **options)

    def closure():
        opt.zero_grad()
        loss = (w ** 4 / 4 + w ** 2 / 2 + C * w).sum()
        loss.backward()
        return loss

    trajectory = []
    for _ in range(steps):
        opt.step(closure)
        trajectory.append(w.detach().flatten().tolist())
    state = opt.state[opt._params[0]]
    return {"options": options, "steps": trajectory, "n_iter": state["n_iter"], "func_evals": state["func_evals"]}


def rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


NET_X = torch.linspace(-1, 1, 10, dtype=torch.float64).reshape(5, 2)
NET_Y = torch.tensor([[0.3], [-0.2], [0.5], [0.1], [-0.4]], dtype=torch.float64)


def net_loss(w1, b1, w2, b2):
    return ((torch.tanh(NET_X @ w1.T + b1) @ w2.T + b2 - NET_Y) ** 2).mean()


def lbfgs_strong_wolfe(problem, options, steps=3):
    """LBFGS with the strong-Wolfe line search on a nonconvex loss: every parameter after each step."""
    if problem == "rosenbrock":
        params = [torch.tensor([-1.2, 1.0, -1.2, 1.0], dtype=torch.float64)]
        loss_of = rosenbrock
    else:
        params = [torch.linspace(-0.5, 0.6, 6, dtype=torch.float64).reshape(3, 2),
                  torch.linspace(0.1, -0.2, 3, dtype=torch.float64),
                  torch.linspace(0.3, -0.4, 3, dtype=torch.float64).reshape(1, 3),
                  torch.tensor([0.05], dtype=torch.float64)]
        loss_of = net_loss
    start = [p.flatten().tolist() for p in params]
    params = [p.requires_grad_() for p in params]
    opt = torch.optim.LBFGS(params, line_search_fn="strong_wolfe", **options)

    def closure():
        opt.zero_grad()
        loss = loss_of(*params)
        loss.backward()
        return loss

    trajectory = []
    for _ in range(steps):
        opt.step(closure)
        trajectory.append([p.detach().flatten().tolist() for p in params])
    state = opt.state[opt._params[0]]
    return {"problem": problem, "options": options, "start": start, "steps": trajectory,
            "n_iter": state["n_iter"], "func_evals": state["func_evals"]}


def clip_value_case():
    a = torch.tensor([3.0, -4.0, 0.25], dtype=torch.float64, requires_grad=True)
    a.grad = torch.tensor([3.0, -4.0, 0.25], dtype=torch.float64)
    torch.nn.utils.clip_grad_value_([a], 0.5)
    return {"clip_value": 0.5, "grad": [3.0, -4.0, 0.25], "clipped": a.grad.tolist()}


golden = {
    "w0": W0.flatten().tolist(),
    "c": C.flatten().tolist(),
    "optimizers": [{"name": n, "options": {k: list(v) if isinstance(v, tuple) else v for k, v in o.items()},
                    "steps": trajectory(n, o, *rest)} for n, o, *rest in OPTIMIZERS],
    "groups": [{"name": n, "options": {k: list(v) if isinstance(v, tuple) else v for k, v in o.items()},
                "steps": group_trajectory(n, o)}
               for n, o, *_ in [c for i, c in enumerate(OPTIMIZERS) if c[0] not in (d[0] for d in OPTIMIZERS[:i])]],
    "schedulers": [
        {"name": "StepLR", "options": {"step_size": 3, "gamma": 0.5}, "rates": schedule("StepLR", {"step_size": 3, "gamma": 0.5})},
        {"name": "CosineAnnealingLR", "options": {"T_max": 8, "eta_min": 0.01},
         "rates": schedule("CosineAnnealingLR", {"T_max": 8, "eta_min": 0.01}, epochs=8)},
        {"name": "MultiStepLR", "options": {"milestones": [2, 5, 9], "gamma": 0.3},
         "rates": schedule("MultiStepLR", {"milestones": [2, 5, 9], "gamma": 0.3})},
        {"name": "ExponentialLR", "options": {"gamma": 0.8}, "rates": schedule("ExponentialLR", {"gamma": 0.8})},
        {"name": "LinearLR", "options": {"start_factor": 0.25, "end_factor": 0.9, "total_iters": 6},
         "rates": schedule("LinearLR", {"start_factor": 0.25, "end_factor": 0.9, "total_iters": 6})},
    ],
    "sequential": {"warmup": {"start_factor": 0.1, "total_iters": 3}, "cosine": {"T_max": 8, "eta_min": 0.01},
                   "milestones": [3], "rates": sequential_schedule()},
    "one_cycle": [one_cycle({"max_lr": 0.8, "total_steps": 20}),
                  one_cycle({"max_lr": 0.8, "total_steps": 17, "pct_start": 0.4, "anneal_strategy": "linear",
                             "div_factor": 10, "final_div_factor": 100, "three_phase": True}, "Adam")],
    "plateau": [plateau({"patience": 2}),
                plateau({"mode": "max", "factor": 0.5, "patience": 1, "threshold": 0.05, "threshold_mode": "abs",
                         "cooldown": 2, "min_lr": 0.1})],
    "clip": clip_case(),
    "clip_value": clip_value_case(),
    "lbfgs": [lbfgs({"lr": 1, "max_iter": 5}), lbfgs({"lr": 0.5, "max_iter": 4, "history_size": 2})],
    "lbfgs_strong_wolfe": [
        lbfgs_strong_wolfe("rosenbrock", {"lr": 1, "max_iter": 10}, steps=4),
        lbfgs_strong_wolfe("rosenbrock", {"lr": 1, "max_iter": 6, "max_eval": 8, "history_size": 3}),
        # two steps: by the third, a change in summation order alone moves PyTorch's own result by 5e-9
        lbfgs_strong_wolfe("net", {"lr": 1, "max_iter": 8, "history_size": 4}, steps=2),
        # a first trial ten times too long: the zoom falls near a bracket end twice running and is pushed inside
        lbfgs_strong_wolfe("net", {"lr": 10, "max_iter": 10}, steps=2),
    ],
    "net_x": NET_X.flatten().tolist(),
    "net_y": NET_Y.flatten().tolist(),
}
out = pathlib.Path(__file__).resolve().parents[2] / "tests/Backprop.Tests/Golden/optimizers.json"
out.write_text(json.dumps(golden) + "\n")
print(f"wrote {out}")
