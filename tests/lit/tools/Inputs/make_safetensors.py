"""Writes safetensors files for the weights tests, valid or damaged.

usage: make_safetensors.py OUT MODE [NAME=D0xD1... ...]

Every named tensor is F32, filled with a small deterministic pattern.
MODE: ok | integers | two-to-the-63 | truncated | bad-json | bad-dtype |
      numeric-dtype | bad-offsets | float-offsets | huge-header
(integers: integral F32 values, i % 7, for integer parameters;
two-to-the-63: 2^63, one past the largest i64)
"""
import json
import struct
import sys


def main():
    out, mode, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    header, data = {}, b""
    for spec in specs:
        name, dims = spec.split("=")
        shape = [int(d) for d in dims.split("x")] if dims else []
        count = 1
        for d in shape:
            count *= d
        if mode == "integers":
            values = [float(i % 7) for i in range(count)]
        elif mode == "two-to-the-63":
            values = [2.0 ** 63] * count
        else:
            values = [((i * 37) % 101 - 50) / 500.0 for i in range(count)]
        blob = struct.pack("<%df" % count, *values)
        header[name] = {"dtype": "F32", "shape": shape,
                        "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    if mode == "bad-dtype":
        next(iter(header.values()))["dtype"] = "I8"
    if mode == "numeric-dtype":
        next(iter(header.values()))["dtype"] = 7
    if mode == "float-offsets":
        next(iter(header.values()))["data_offsets"][0] = 0.5
    if mode == "bad-offsets":
        next(iter(header.values()))["data_offsets"][1] = len(data) + 4
    text = json.dumps(header).encode()
    if mode == "bad-json":
        text = text[:-1]
    size = len(text) if mode != "huge-header" else 1 << 40
    blob = struct.pack("<Q", size) + text + data
    if mode == "truncated":
        blob = blob[:5]
    with open(out, "wb") as f:
        f.write(blob)


if __name__ == "__main__":
    main()
