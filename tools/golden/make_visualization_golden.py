"""Reference results from PyTorch (float64) for CS231n assignment 3's network-visualization and style-transfer steps
on a small convolutional net: saliency maps, fooling-image steps, a class-visualization step with jitter by roll,
Gram matrices, the style loss and the total-variation loss.

Run with a Python that has torch and numpy (Debian: apt-get install python3-torch python3-numpy):
    python3 tools/golden/make_visualization_golden.py
Writes tests/Backprop.Tests/Golden/network_visualization.json: the net's state dict by PyTorch's names, the
images, and each step's result (make_golden.py's tensor encoding).
"""
import json
import pathlib

import numpy as np
import torch
import torch.nn as nn

from make_golden import encode

rng = np.random.default_rng(20261209)
torch.set_default_dtype(torch.float64)


def tensor(*shape, scale=1.0):
    return torch.tensor(rng.standard_normal(shape) * scale)


# conv 3→4, ReLU, 2×2 max pool, conv 4→6, ReLU, flatten, linear to 5 classes, on 3×8×8 images
net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, padding=1),
                    nn.ReLU(), nn.Flatten(), nn.Linear(96, 5))
with torch.no_grad():
    for p in net.parameters():
        p.copy_(tensor(*p.shape, scale=0.4))
for p in net.parameters():
    p.requires_grad_(False)

images = tensor(2, 3, 8, 8)
labels = torch.tensor([1, 3])
style_image = tensor(1, 3, 8, 8)
FOOLING_TARGET = 4
FOOLING_LEARNING_RATE = 0.02
JITTER = (1, 2)             # rows, columns
VISUALIZATION_TARGET = 2
VISUALIZATION_L2 = 1e-3
VISUALIZATION_LEARNING_RATE = 5.0
STYLE_WEIGHTS = [0.7, 1.3]
TV_WEIGHT = 0.25


def saliency(x, y):
    x = x.clone().requires_grad_(True)
    net(x).gather(1, y.view(-1, 1)).squeeze().sum().backward()
    return x.grad.abs().max(dim=1).values


def fooling_step(x):
    x = x.clone().requires_grad_(True)
    net(x)[0, FOOLING_TARGET].backward()
    return (x + FOOLING_LEARNING_RATE * x.grad / x.grad.norm()).detach()


def fool(x, max_steps=100):
    for step in range(max_steps):
        if net(x).argmax(1).item() == FOOLING_TARGET:
            return x, step
        x = fooling_step(x)
    raise RuntimeError("not fooled")


def visualization_step(img):
    img = torch.roll(img, JITTER, dims=(2, 3)).requires_grad_(True)
    (net(img)[0, VISUALIZATION_TARGET] - VISUALIZATION_L2 * img.norm() ** 2).backward()
    img = (img + VISUALIZATION_LEARNING_RATE * img.grad / img.grad.norm()).detach()
    return torch.roll(img, (-JITTER[0], -JITTER[1]), dims=(2, 3)).clamp(-1.5, 1.5)


def features(x):
    first = net[1](net[0](x))
    return [first, net[4](net[3](net[2](first)))]


def gram_matrix(f, normalize=True):
    n, c, h, w = f.shape
    flat = f.reshape(n, c, h * w)
    gram = flat @ flat.transpose(1, 2)
    return gram / (c * h * w) if normalize else gram


def style_loss(x):
    targets = [gram_matrix(f) for f in features(style_image)]
    return sum(w * ((gram_matrix(f) - a) ** 2).sum() for w, f, a in zip(STYLE_WEIGHTS, features(x), targets))


def tv_loss(x):
    down = x[:, :, 1:, :] - x[:, :, :-1, :]
    right = x[:, :, :, 1:] - x[:, :, :, :-1]
    return TV_WEIGHT * ((down ** 2).sum() + (right ** 2).sum())


def value_and_gradient(loss, x):
    x = x.clone().requires_grad_(True)
    value = loss(x)
    value.backward()
    return {"value": value.item(), "grad": encode(x.grad)}


def main():
    fooled, steps = fool(images[:1])
    golden = {
        "generator": f"torch {torch.__version__}",
        "state_dict": {name: encode(t) for name, t in net.state_dict().items()},
        "images": encode(images),
        "labels": labels.tolist(),
        "style_image": encode(style_image),
        "scores": encode(net(images)),
        "saliency": encode(saliency(images, labels)),
        "fooling_step": encode(fooling_step(images[:1])),
        "fooling_steps": steps,
        "fooled": encode(fooled),
        "visualization_step": encode(visualization_step(images[1:])),
        "gram": encode(gram_matrix(features(images)[1])),
        "gram_unnormalized": encode(gram_matrix(features(images)[0], normalize=False)),
        "style_loss": value_and_gradient(style_loss, images[:1]),
        "tv_loss": value_and_gradient(tv_loss, images),
    }
    path = pathlib.Path(__file__).resolve().parents[2] / "tests" / "Backprop.Tests" / "Golden" / \
        "network_visualization.json"
    path.write_text(json.dumps(golden, separators=(",", ":")))
    print(f"wrote {path.relative_to(path.parents[3])} ({path.stat().st_size} bytes); fooled in {steps} steps")


if __name__ == "__main__":
    main()
