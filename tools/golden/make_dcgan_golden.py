"""One DCGAN training step from PyTorch (float64), small sizes: a discriminator step then a generator step with Adam.

Run with a Python that has torch and numpy (Debian: apt-get install python3-torch python3-numpy):
    python3 tools/golden/make_dcgan_golden.py
Writes tests/Backprop.Tests/Golden/dcgan_step.json: the initial state dicts of G and D (DCGAN's init), the real
images and the noise, both losses, and both state dicts after the step (num_batches_tracked left out: it counts).
"""
import json
import pathlib

import torch
import torch.nn as nn

from make_golden import encode, number

NZ, NGF, NDF, NC, BATCH = 8, 4, 4, 3, 4


def generator():
    return nn.Sequential(
        nn.ConvTranspose2d(NZ, NGF * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(NGF * 2), nn.ReLU(True),
        nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False), nn.BatchNorm2d(NGF), nn.ReLU(True),
        nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False), nn.Tanh())


def discriminator():
    return nn.Sequential(
        nn.Conv2d(NC, NDF, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(NDF * 2), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(NDF * 2, 1, 4, 1, 0, bias=False), nn.Sigmoid())


# DCGAN's initialization: convolutions N(0, 0.02), batch-norm scales N(1, 0.02) and shifts 0
def init(m):
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def state(module):
    return {k: encode(v) for k, v in module.state_dict().items() if not k.endswith("num_batches_tracked")}


def main():
    torch.manual_seed(20261209)
    net_g, net_d = generator().double(), discriminator().double()
    net_g.apply(init)
    net_d.apply(init)
    real = torch.rand(BATCH, NC, 16, 16, dtype=torch.float64) * 2 - 1
    noise = torch.randn(BATCH, NZ, 1, 1, dtype=torch.float64)
    initial_g, initial_d = state(net_g), state(net_d)
    criterion = nn.BCELoss()
    opt_d = torch.optim.Adam(net_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(net_g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ones = torch.ones(BATCH, dtype=torch.float64)
    zeros = torch.zeros(BATCH, dtype=torch.float64)

    net_d.zero_grad()
    err_real = criterion(net_d(real).view(-1), ones)
    err_real.backward()
    fake = net_g(noise)
    err_fake = criterion(net_d(fake.detach()).view(-1), zeros)
    err_fake.backward()
    opt_d.step()

    net_g.zero_grad()
    err_g = criterion(net_d(fake).view(-1), ones)
    err_g.backward()
    opt_g.step()

    golden = {
        "generator": f"torch {torch.__version__}",
        "initial_g": initial_g, "initial_d": initial_d, "real": encode(real), "noise": encode(noise),
        "fake": encode(fake.detach()), "loss_d": number((err_real + err_fake).item()), "loss_g": number(err_g.item()),
        "after_g": state(net_g), "after_d": state(net_d),
    }
    path = pathlib.Path(__file__).resolve().parents[2] / "tests" / "Backprop.Tests" / "Golden" / "dcgan_step.json"
    path.write_text(json.dumps(golden, separators=(",", ":")))
    print(f"wrote {path.relative_to(path.parents[3])} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
