"""F32 safetensors files with numpy only (no torch, no safetensors package).

kiln-compile --weights reads them; the peer workers read them back into
torch tensors, so every engine runs exactly the same parameter values.
"""

import json
import struct

import numpy as np

_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4"}


def write_safetensors(path, tensors):
    """Writes `tensors` (name -> numpy array, stored as F32) in name order."""
    header, offset = {}, 0
    names = sorted(tensors)
    for name in names:
        nbytes = tensors[name].size * 4
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data section starts 8-aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in names:
            f.write(np.ascontiguousarray(tensors[name], dtype="<f4").data)


def read_safetensors(path):
    """Name -> array (a read-only memory map of the file, widened to f32)."""
    with open(path, "rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    base = 8 + size
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        lo, hi = info["data_offsets"]
        array = raw[base + lo:base + hi].view(_DTYPES[info["dtype"]])
        out[name] = array.reshape(info["shape"]).astype(np.float32, copy=False)
    return out
