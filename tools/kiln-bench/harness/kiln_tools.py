"""Kiln's command-line tools as kiln-bench drives them.

`model_dims` reads the `dims` clause of a .kiln model (the canonical sizes);
`KilnTools.describe` runs `kiln-compile --emit=input` to learn a model's
signature and parameters at given dims; `KilnTools.compile` builds the .kbin
artifact and reports how long that took.
"""

import os
import re
import subprocess
import time

_MLIR_DTYPES = {"f32": "float32", "i32": "int32", "i64": "int64"}
_TENSOR = r"tensor<([^>]*)>\s*\{kiln\.name = \"([^\"]+)\"\}"
_PARAM = re.compile(r'kiln\.param "([^"]+)" : tensor<([^>]*)>')


class KilnError(RuntimeError):
    """A Kiln tool failed; the message holds the end of its diagnostics."""


def model_dims(source):
    """The `dims` of a .kiln model in order: name -> default (ints)."""
    with open(source) as f:
        text = re.sub(r"(#|//).*", "", f.read())
    match = re.search(r"\bdims\b(.*?)\{", text, re.S)
    dims = {}
    if not match:
        return dims
    for item in match.group(1).split(","):
        name, _, expr = item.partition("=")
        expr = re.sub(r"(?<!/)/(?!/)", "//", expr.strip())  # kiln ints divide like //
        if not re.fullmatch(r"[\w\s+\-*/%()]+", expr):
            raise KilnError(f"{source}: cannot read dimension '{item.strip()}'")
        dims[name.strip()] = int(eval(expr, {"__builtins__": {}}, dict(dims)))
    return dims


def _parse_type(text):
    """'1x257x1408xf32' -> ((1, 257, 1408), 'float32')."""
    parts = text.split("x")
    return tuple(int(p) for p in parts[:-1]), _MLIR_DTYPES[parts[-1]]


class Signature:
    """Inputs and outputs (name, shape, numpy dtype name) and parameters
    (name -> shape) of a model, from the kiln dialect that kiln-compile prints."""

    def __init__(self, kiln_ir):
        head = next(line for line in kiln_ir.splitlines() if "func.func" in line)
        args, _, results = head.partition(") -> ")
        self.inputs = [(name,) + _parse_type(t) for t, name in re.findall(_TENSOR, args)]
        self.outputs = [(name,) + _parse_type(t) for t, name in re.findall(_TENSOR, results)]
        self.params = {name: _parse_type(t)[0] for name, t in _PARAM.findall(kiln_ir)}


class KilnTools:
    """kiln-compile and the runtime library of one build directory."""

    def __init__(self, build_dir, kiln_compile=None, runtime_library=None):
        self.kiln_compile = kiln_compile or os.path.join(build_dir, "bin", "kiln-compile")
        self.runtime_library = runtime_library or os.path.join(
            build_dir, "lib", "libkiln_runtime.so")

    def missing(self):
        """What is missing to run Kiln, or None."""
        for path in (self.kiln_compile, self.runtime_library):
            if not os.path.exists(path):
                return f"{path} not found (build Kiln first)"
        return None

    def _run(self, source, dims, extra):
        command = [self.kiln_compile, source] + extra
        for name, value in dims.items():
            command += ["-D", f"{name}={value}"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-6:]
            raise KilnError("kiln-compile failed: " + " | ".join(tail))
        return done.stdout

    def describe(self, source, dims):
        """The model's Signature at `dims`."""
        return Signature(self._run(source, dims, ["--emit=input"]))

    def compile(self, source, dims, weights, output):
        """Compiles to `output` (parameters from `weights` if given); returns
        the wall time in seconds."""
        start = time.perf_counter()
        self._run(source, dims, (["--weights", weights] if weights else []) + ["-o", output])
        return time.perf_counter() - start
