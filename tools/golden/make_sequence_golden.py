"""Reference outputs and gradients from PyTorch (float64) for the sequence modules' golden tests.

Run with a Python that has torch and numpy (Debian: apt-get install python3-torch python3-numpy):
    python3 tools/golden/make_sequence_golden.py
Writes tests/Backprop.Tests/Golden/sequence_modules.json. Each case is a module with seeded weights (its state dict
by PyTorch's names), its floating-point inputs, an upstream gradient for each output, the outputs, and the gradient of
every input and parameter. Masks, lengths and indices are constants the C# test repeats; it loads the state dict by
name into its own module, so the names and layouts are tested too.
"""
import json
import math
import pathlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

rng = np.random.default_rng(20261207)
torch.manual_seed(20261207)

LENGTHS = [5, 3, 1]
KEY_PADDING = [[False, False, False, True], [False, False, False, False]]   # True: the key is left out
MASK_ALLOWED = [[True, False, True, True], [True, True, False, True], [False, True, True, True]]


def normal(*shape):
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64)


def packed(module, x, h0=None):
    out, state = module(pack_padded_sequence(x, LENGTHS, enforce_sorted=False), h0)
    return pad_packed_sequence(out, total_length=x.shape[0])[0], state


def sdpa(q, k, v, mask=None, causal=False):
    # torch 1.13 has no F.scaled_dot_product_attention: its definition, spelled out
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if causal:
        allowed = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    return (torch.softmax(scores, -1) @ v,)


def modules():
    # name: (module or None, inputs, function of (module, *inputs) giving a tuple of outputs)
    return {
        "rnn_cell_tanh": (nn.RNNCell(4, 5), [normal(3, 4), normal(3, 5)], lambda m, x, h: (m(x, h),)),
        "rnn_cell_relu": (nn.RNNCell(4, 5, nonlinearity="relu"), [normal(3, 4), normal(3, 5)],
                          lambda m, x, h: (m(x, h),)),
        "lstm_cell": (nn.LSTMCell(4, 5), [normal(3, 4), normal(3, 5), normal(3, 5)],
                      lambda m, x, h, c: m(x, (h, c))),
        "gru_cell": (nn.GRUCell(4, 5), [normal(3, 4), normal(3, 5)], lambda m, x, h: (m(x, h),)),
        "gru_cell_unbatched": (nn.GRUCell(3, 2, bias=False), [normal(3), normal(2)], lambda m, x, h: (m(x, h),)),
        "rnn_2_layers_bidirectional": (nn.RNN(4, 3, num_layers=2, bidirectional=True),
                                       [normal(5, 2, 4), normal(4, 2, 3)], lambda m, x, h: m(x, h)),
        "rnn_relu_unbatched": (nn.RNN(3, 4, nonlinearity="relu"), [normal(6, 3)], lambda m, x: m(x)),
        "lstm_2_layers_bidirectional_batch_first": (
            nn.LSTM(4, 3, num_layers=2, bidirectional=True, batch_first=True),
            [normal(2, 5, 4), normal(4, 2, 3), normal(4, 2, 3)],
            lambda m, x, h, c: (lambda o, s: (o, s[0], s[1]))(*m(x, (h, c)))),
        "lstm_lengths_bidirectional": (nn.LSTM(4, 3, bidirectional=True), [normal(5, 3, 4)],
                                       lambda m, x: (lambda o, s: (o, s[0], s[1]))(*packed(m, x))),
        "gru_2_layers_lengths": (nn.GRU(4, 3, num_layers=2), [normal(5, 3, 4)], lambda m, x: packed(m, x)),
        "gru_no_bias": (nn.GRU(3, 4, bias=False), [normal(4, 2, 3), normal(1, 2, 4)], lambda m, x, h: m(x, h)),
        "sdpa_mask": (None, [normal(2, 3, 4), normal(2, 4, 4), normal(2, 4, 5)],
                      lambda m, q, k, v: sdpa(q, k, v, torch.tensor(MASK_ALLOWED))),
        "sdpa_causal_float_mask": (None, [normal(2, 2, 4, 3), normal(2, 2, 4, 3), normal(2, 2, 4, 3), normal(4, 4)],
                                   lambda m, q, k, v, bias: sdpa(q, k, v, bias, causal=True)),
        "mha_self_key_padding": (nn.MultiheadAttention(6, 2), [normal(4, 2, 6)],
                                 lambda m, x: m(x, x, x, key_padding_mask=torch.tensor(KEY_PADDING))),
        "mha_cross_batch_first_mask": (
            nn.MultiheadAttention(6, 3, batch_first=True), [normal(2, 3, 6), normal(2, 4, 6), normal(2, 4, 6)],
            lambda m, q, k, v: m(q, k, v, attn_mask=~torch.tensor(MASK_ALLOWED))),
        "encoder_layer_post_norm": (
            nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), [normal(5, 2, 8)],
            lambda m, x: (m(x, src_key_padding_mask=torch.tensor([[False] * 4 + [True], [False] * 5])),)),
        "encoder_layer_pre_norm_gelu_causal": (
            nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation="gelu", norm_first=True,
                                       batch_first=True), [normal(2, 5, 8)],
            lambda m, x: (m(x, src_mask=nn.Transformer.generate_square_subsequent_mask(5).double()),)),
        "decoder_layer": (
            nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0), [normal(4, 2, 8), normal(5, 2, 8)],
            lambda m, t, mem: (m(t, mem, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4).double()),)),
        "transformer": (
            nn.Transformer(8, 2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16, dropout=0.0,
                           batch_first=True), [normal(2, 5, 8), normal(2, 4, 8)],
            lambda m, s, t: (m(s, t, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4).double()),)),
    }


def linspace(lo, hi, *shape):
    return np.linspace(lo, hi, num=int(np.prod(shape))).reshape(shape)


def course():
    """The assignment's captioning RNN loss on its checking inputs: every parameter a linspace over [-1.4, 1.3]."""
    n, d, w, h, v, t = 10, 20, 30, 40, 3, 13
    shapes = {"W_embed": (v, w), "W_proj": (d, h), "b_proj": (h,), "Wx": (w, h), "Wh": (h, h), "b": (h,),
              "W_vocab": (h, v), "b_vocab": (v,)}
    losses = {}
    for cell, gates in (("rnn", 1), ("lstm", 4)):
        p = {k: torch.tensor(linspace(-1.4, 1.3, *((s[0], s[1] * gates) if k in ("Wx", "Wh") else
                                                     (s[0] * gates,) if k == "b" else s)))
             for k, s in shapes.items()}
        features = torch.tensor(linspace(-1.5, 0.3, n, d))
        captions = torch.tensor((np.arange(n * t) % v).reshape(n, t))
        steps_in, steps_out = captions[:, :-1], captions[:, 1:]
        hidden = features @ p["W_proj"] + p["b_proj"]
        cell_state = torch.zeros_like(hidden)
        x = p["W_embed"][steps_in]
        outs = []
        for s in range(t - 1):
            a = x[:, s] @ p["Wx"] + hidden @ p["Wh"] + p["b"]
            if cell == "rnn":
                hidden = torch.tanh(a)
            else:   # the course orders the gates i, f, o, g
                i, f, o, g = a.chunk(4, 1)
                cell_state = torch.sigmoid(f) * cell_state + torch.sigmoid(i) * torch.tanh(g)
                hidden = torch.sigmoid(o) * torch.tanh(cell_state)
            outs.append(hidden)
        scores = torch.stack(outs, 1) @ p["W_vocab"] + p["b_vocab"]
        per_step = F.cross_entropy(scores.reshape(-1, v), steps_out.reshape(-1), reduction="none")
        losses[cell] = float((per_step * (steps_out.reshape(-1) != 0)).sum() / n)
    return losses


def gan_losses():
    """The assignment's GAN losses (vanilla and least-squares) on fixed logits, with the gradients of each."""
    g = np.random.default_rng(7)
    real = torch.tensor(g.standard_normal(8), requires_grad=True)
    fake = torch.tensor(g.standard_normal(8), requires_grad=True)
    ones, zeros = torch.ones(8, dtype=torch.float64), torch.zeros(8, dtype=torch.float64)
    losses = {
        "discriminator": F.binary_cross_entropy_with_logits(real, ones)
        + F.binary_cross_entropy_with_logits(fake, zeros),
        "generator": F.binary_cross_entropy_with_logits(fake, ones),
        "ls_discriminator": 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake ** 2).mean(),
        "ls_generator": 0.5 * ((fake - 1) ** 2).mean(),
    }
    result = {"real": encode(real.detach()), "fake": encode(fake.detach())}
    for name, loss in losses.items():
        d_real, d_fake = torch.autograd.grad(loss, [real, fake], allow_unused=True)
        result[name] = {"loss": float(loss), "grad_real": encode(torch.zeros(8) if d_real is None else d_real),
                        "grad_fake": encode(d_fake)}
    return result


def encode(t):
    t = torch.as_tensor(t, dtype=torch.float64)
    return {"shape": list(t.shape), "data": [float(x) for x in t.flatten()]}


def main():
    cases = []
    for name, (module, inputs, fn) in modules().items():
        params = []
        if module is not None:
            module.double()
            with torch.no_grad():   # seeded weights away from PyTorch's small defaults, so every gate matters
                for _, p in module.named_parameters():
                    p.copy_(normal(*p.shape) * 0.5)
            params = list(module.named_parameters())
        inputs = [x.clone().requires_grad_() for x in inputs]
        outputs = [o for o in fn(module, *inputs) if o is not None]
        grad_outputs = [normal(*o.shape) for o in outputs]
        leaves = inputs + [p for _, p in params]
        grads = torch.autograd.grad(outputs, leaves, grad_outputs, allow_unused=True)
        grads = [torch.zeros_like(leaf) if g is None else g for leaf, g in zip(leaves, grads)]
        cases.append({
            "name": name,
            "params": [dict(name=n, **encode(p.detach())) for n, p in params],
            "inputs": [encode(x.detach()) for x in inputs],
            "outputs": [encode(o.detach()) for o in outputs],
            "grad_outputs": [encode(g) for g in grad_outputs],
            "input_grads": [encode(g) for g in grads[:len(inputs)]],
            "param_grads": [encode(g) for g in grads[len(inputs):]],
        })
    path = pathlib.Path(__file__).resolve().parents[2] / "tests" / "Backprop.Tests" / "Golden" / "sequence_modules.json"
    document = {"generator": f"torch {torch.__version__}", "captioning_loss": course(), "gan_losses": gan_losses(),
                "cases": cases}
    path.write_text(json.dumps(document, separators=(",", ":")))
    print(f"wrote {len(cases)} cases to {path.relative_to(path.parents[3])} ({path.stat().st_size} bytes)")
    print("captioning losses", document["captioning_loss"])


if __name__ == "__main__":
    main()
