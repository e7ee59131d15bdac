"""Writing golden cases: F16 safetensors, .npy tensors and meta.json.

Everything written here is deterministic: tensors are stored in sorted name
order, JSON with sorted keys and fixed separators.
"""

import json
import os
import struct

import numpy as np
import torch


class Params:
    """Parameters drawn in f32 with the global torch RNG and rounded to f16.

    The f16 values are what the weights file stores; `as_dtype` widens them
    (exactly) for the reference computation.
    """

    def __init__(self):
        self.f16 = {}

    def add(self, name, value):
        assert name not in self.f16, name
        self.f16[name] = torch.as_tensor(value, dtype=torch.float32).to(torch.float16)

    def randn(self, name, shape, std=1.0, mean=0.0):
        self.add(name, torch.randn(shape) * std + mean)

    def linear(self, name, out, inp, bias=True, gain=1.0):
        """A Linear layer, [out, in], std gain/sqrt(in); bias std 0.1."""
        self.randn(name + ".weight", (out, inp), gain * inp ** -0.5)
        if bias:
            self.randn(name + ".bias", (out,), 0.1)

    def norm(self, name, dim, bias=True):
        """A LayerNorm (or RMSNorm without bias): weight 1 +- 0.1."""
        self.randn(name + ".weight", (dim,), 0.1, 1.0)
        if bias:
            self.randn(name + ".bias", (dim,), 0.1)

    def as_dtype(self, dtype):
        return {k: v.to(dtype) for k, v in self.f16.items()}

    def nbytes(self):
        return sum(2 * v.numel() for v in self.f16.values())


def write_safetensors(path, tensors):
    """The safetensors format: u64 LE header size, JSON header, raw data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].numpy().astype("<f2").tobytes()
        header[name] = {
            "dtype": "F16",
            "shape": list(tensors[name].shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data section starts 8-aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    """Reads back what write_safetensors wrote (used by the self-check)."""
    with open(path, "rb") as f:
        raw = f.read()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    base = 8 + size
    out = {}
    for name, info in header.items():
        lo, hi = info["data_offsets"]
        array = np.frombuffer(raw[base + lo:base + hi], dtype="<f2")
        out[name] = array.reshape(info["shape"])
    return out


NPY_DTYPES = {torch.float32: "<f4", torch.float64: "<f4", torch.int32: "<i4",
              torch.int64: "<i8"}


def to_numpy(tensor):
    """f32 for floating tensors (golden f64 outputs are rounded), else as is."""
    return np.ascontiguousarray(tensor.numpy().astype(NPY_DTYPES[tensor.dtype]))


def dtype_name(array):
    return {"<f4": "f32", "<i4": "i32", "<i8": "i64"}[array.dtype.str]


def write_case(root, case, params, inputs, outputs, meta):
    """Writes one case directory; `inputs`/`outputs` are ordered dicts."""
    directory = os.path.join(root, case)
    os.makedirs(directory, exist_ok=True)
    for stale in os.listdir(directory):
        os.remove(os.path.join(directory, stale))
    write_safetensors(os.path.join(directory, "weights.safetensors"), params.f16)
    signature = {}
    for kind, tensors in (("inputs", inputs), ("outputs", outputs)):
        signature[kind] = []
        for name, tensor in tensors.items():
            array = to_numpy(tensor)
            np.save(os.path.join(directory, name + ".npy"), array)
            signature[kind].append(
                {"name": name, "dtype": dtype_name(array), "shape": list(array.shape)})
    meta = dict(meta, **signature)
    lines = [f" {json.dumps(k)}: {json.dumps(meta[k], sort_keys=True)}" for k in sorted(meta)]
    with open(os.path.join(directory, "meta.json"), "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")
