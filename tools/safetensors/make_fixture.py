#!/usr/bin/python3
"""Writes a safetensors fixture the way the reference implementation lays files out, using numpy and json
(and PyTorch, where installed, to make the tensors), and checks a file written by Backprop.

usage: make_fixture.py OUT.safetensors            write the fixture
       make_fixture.py --check FILE.safetensors   read a Backprop file and compare with the same tensors
Run with Debian's python3 (python3-numpy, optionally python3-torch)."""
import json
import struct
import sys

import numpy as np

# Dtype order of the reference implementation: files list larger dtypes first, then names in order.
RANK = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
CODE = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("int64"): "I64"}


def fixture_tensors():
    """The tensors the C# test rebuilds from the same formulas."""
    try:
        import torch
        w = (torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8 - 0.75).numpy()
        b = torch.linspace(-1, 1, 5, dtype=torch.float64).numpy()
        idx = (torch.arange(6, dtype=torch.int64) * 3 - 7).reshape(2, 3).numpy()
    except ImportError:
        w = (np.arange(12, dtype=np.float32).reshape(3, 4) / np.float32(8) - np.float32(0.75)).astype(np.float32)
        b = np.linspace(-1, 1, 5, dtype=np.float64)
        idx = (np.arange(6, dtype=np.int64) * 3 - 7).reshape(2, 3)
    return {"layer.weight": w, "layer.bias": b, "indices": idx, "scalar": np.array(3.5, dtype=np.float32)}


def write(path, tensors, metadata=None):
    order = sorted(tensors, key=lambda n: (-RANK.index(CODE[tensors[n].dtype]), n))
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = metadata
    for name in order:
        data = tensors[name].astype(tensors[name].dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": CODE[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in order:
            f.write(tensors[name].astype(tensors[name].dtype.newbyteorder("<")).tobytes())


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    data = blob[8 + n:]
    inverse = {v: k for k, v in CODE.items()}
    return {name: np.frombuffer(data[e["data_offsets"][0]:e["data_offsets"][1]], dtype=inverse[e["dtype"]].newbyteorder("<"))
            .reshape(e["shape"]) for name, e in header.items()}


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        ours, expected = read(sys.argv[2]), fixture_tensors()
        assert set(ours) == set(expected), f"names differ: {sorted(ours)} vs {sorted(expected)}"
        for name, t in expected.items():
            assert ours[name].dtype == t.dtype and ours[name].shape == t.shape, name
            assert np.array_equal(ours[name], t), f"{name}: values differ"
        print(f"{sys.argv[2]}: {len(ours)} tensors read back with identical values")
    elif len(sys.argv) == 2:
        write(sys.argv[1], fixture_tensors(), {"format": "pt"})
        print(f"wrote {sys.argv[1]}")
    else:
        sys.exit(__doc__)
