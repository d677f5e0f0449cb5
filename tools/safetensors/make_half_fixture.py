#!/usr/bin/python3
"""Writes the half-precision safetensors fixtures with PyTorch's F16 and BF16 conversions, laid out as the
reference implementation lays files out (the safetensors package is not needed: the bytes are written here).

usage: make_half_fixture.py OUT_DIR
Writes OUT_DIR/half.safetensors (tensors stored as F16 and BF16, with their float32 values for comparison) and
OUT_DIR/half_saved_f16.safetensors and half_saved_bf16.safetensors (what saving the source tensors as F16 or
BF16 must give, byte for byte). Run with Debian's python3 (python3-torch)."""
import json
import pathlib
import struct
import sys

import torch

RANK = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
CODE = {torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def source():
    """Values that round: thirds, ties of both formats, a float16 subnormal, float16 overflow, a negative zero."""
    return torch.tensor([1 / 3, -2 / 3, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -8, 1 + 3 * 2 ** -8,
                         1e-5, 70000.0, -0.0, 3.14159265, -1e-3, 65504.0], dtype=torch.float64).reshape(3, 4)


def raw(t):
    t = t.contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write(path, tensors, metadata=None):
    order = sorted(tensors, key=lambda n: (-RANK.index(CODE[tensors[n].dtype]), n))
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = metadata
    for name in order:
        data = raw(tensors[name])
        header[name] = {"dtype": CODE[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in order:
            f.write(raw(tensors[name]))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = pathlib.Path(sys.argv[1])
    s64 = source()
    s32 = s64.float()
    write(out / "half.safetensors", {
        "f16": s32.half(), "bf16": s32.bfloat16(), "f16_values": s32.half().float(),
        "bf16_values": s32.bfloat16().float(), "labels": torch.arange(3)}, {"format": "pt"})
    for code, dtype in [("f16", torch.float16), ("bf16", torch.bfloat16)]:
        write(out / f"half_saved_{code}.safetensors",
              {"single": s32.to(dtype), "double": s64.to(dtype), "labels": torch.arange(3)})
    print(f"wrote the half-precision fixtures to {out}")
