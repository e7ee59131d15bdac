"""What a benchmark case is: a model at some dims, the engines that run it,
and the files they share (weights, inputs) in the case's work directory.

Engines of one `variant` compute the same thing and are cross-checked
against each other; a variant may override dims (MoE top-8, full instead of
causal attention).
"""

import hashlib
import json
import os
import zlib
from dataclasses import dataclass, field

import numpy as np

from . import safetensors_io
from .kiln_tools import model_dims
from .model_inputs import make_inputs
from .op_models import OPS  # noqa: F401 (kiln-bench ops' list)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
ZOO = os.path.join(ROOT, "models")
BENCH_MODELS = os.path.join(HERE, "..", "models")

PEERS = ["onnxruntime", "torch", "torch.compile", "iree"]
ENGINES = ["kiln", "openblas"] + PEERS

# Dims the `model` command uses unless -D says otherwise: canonical sizes
# where one copy per engine fits in memory and a run takes seconds at most.
BENCH_DIMS = {
    "qformer": {},
    "llava_projector": {},
    "vit_patch_embed": {},
    "showo_omni_attention": {"LAYERS": 1, "V": 779},
    "mixtral_moe": {"S": 512, "D": 1024, "F": 3584, "LAYERS": 1},
    "deepseek_moe": {"S": 512, "D": 1024, "FE": 704, "FS": 1408, "LAYERS": 1},
    "mllama_cross_attention": {"S": 512, "D": 1024, "HQ": 8, "HKV": 2, "DH": 128,
                               "F": 3584, "LAYERS": 5},
    "siglip_layer": {"LAYERS": 2},
}


@dataclass
class EngineSpec:
    """One engine of a case: its kind, thread count and variant."""
    kind: str
    threads: int
    variant: str = ""
    dims: dict = field(default_factory=dict)  # the variant's dims overrides
    tag: str = ""  # extra label text, e.g. "1t"

    @property
    def label(self):
        text = self.kind + (f"[{self.variant}]" if self.variant else "")
        return text + (f"@{self.tag}" if self.tag else "")


@dataclass
class Case:
    """A model (a key of peer_models.MODELS), its .kiln source, complete
    dims, engines and, for GEMMs, the flop count of one run."""
    title: str
    model: str
    source: str
    dims: dict
    engines: list
    flops: float = None
    seed: int = 0

    def engine_dims(self, spec):
        return dict(self.dims, **spec.dims)

    def key(self):
        """The name of the case's work directory (weights, inputs, artifacts)."""
        text = json.dumps([self.model, self.dims, self.seed, 2], sort_keys=True)
        return f"{self.model}-{hashlib.sha1(text.encode()).hexdigest()[:12]}"


def engines_for(kinds, threads, variant="", dims=None, tag=""):
    return [EngineSpec(k, threads, variant, dict(dims or {}), tag) for k in kinds]


def gemm_case(m, n, k, kinds, threads=(2,)):
    """C = A B with both operands run-time inputs."""
    engines = [e for t in threads for e in engines_for(kinds, t, tag=_tag(t, threads))]
    return Case(f"gemm {m}x{n}x{k}", "gemm", os.path.join(BENCH_MODELS, "gemm.kiln"),
                {"M": m, "N": n, "K": k}, engines, flops=2.0 * m * n * k)


def linear_case(m, n, k, kinds, threads=(2,)):
    """y = x W^T, W [N, K] a parameter (packed at compile time by Kiln)."""
    engines = [e for t in threads for e in engines_for(kinds, t, tag=_tag(t, threads))]
    return Case(f"linear {m}x{n}x{k}", "linear", os.path.join(BENCH_MODELS, "linear.kiln"),
                {"M": m, "N": n, "K": k}, engines, flops=2.0 * m * n * k)


def attention_case(kinds, threads=2, length=2048, heads=16, head_dim=64, batch=1):
    """Causal and full attention on run-time q, k, v: two variants."""
    dims = {"B": batch, "L": length, "H": heads, "DH": head_dim, "CAUSAL": 1}
    engines = (engines_for(kinds, threads, "causal") +
               engines_for(kinds, threads, "full", {"CAUSAL": 0}))
    return Case(f"attention L={length} H={heads} dh={head_dim} B={batch}", "attention",
                os.path.join(BENCH_MODELS, "attention.kiln"), dims, engines)


def op_case(name, kinds, threads=2, overrides=None):
    """The op model `name` at its own dims, updated with `overrides`."""
    source = os.path.join(BENCH_MODELS, name + ".kiln")
    dims = model_dims(source)
    for key, value in (overrides or {}).items():
        if key not in dims:
            raise SystemExit(f"kiln-bench: {name} has no dimension {key} ({', '.join(dims)})")
        dims[key] = value
    shown = ", ".join(f"{k}={v}" for k, v in dims.items())
    return Case(f"{name} ({shown})", name, source, dims, engines_for(kinds, threads))


def model_case(name, overrides, kinds, threads=2):
    """A zoo model at BENCH_DIMS[name] updated with `overrides`."""
    source = os.path.join(ZOO, name + ".kiln")
    if not os.path.exists(source):
        known = ", ".join(sorted(BENCH_DIMS))
        raise SystemExit(f"kiln-bench: no model '{name}' in {ZOO} (known: {known})")
    dims = model_dims(source)
    for key, value in dict(BENCH_DIMS.get(name, {}), **overrides).items():
        if key not in dims:
            raise SystemExit(f"kiln-bench: {name} has no dimension {key} ({', '.join(dims)})")
        dims[key] = value
    shown = ", ".join(f"{k}={v}" for k, v in dims.items())
    return Case(f"{name} ({shown})", name, source, dims, engines_for(kinds, threads))


def _tag(t, threads):
    return f"{t}t" if len(threads) > 1 else ""


# --------------------------------------------------------------------------
# Weights and inputs
# --------------------------------------------------------------------------

def draw_parameter(name, shape, seed):
    """Golden-script style draws: Linear (and conv) weights N(0, 1/fan_in),
    biases N(0, 0.1^2), norm weights 1 + N(0, 0.1^2), anything else
    (embedding tables, learned queries, positions) N(0, 1). Each parameter has
    its own stream, so a weight's value does not depend on the others."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    x = rng.standard_normal(shape, dtype=np.float32)
    leaf = name.rsplit(".", 1)[-1]
    if leaf == "weight" and len(shape) == 1:
        return x * np.float32(0.1) + np.float32(1.0)
    if leaf.endswith("bias"):
        return x * np.float32(0.1)
    if leaf.endswith("weight") and len(shape) >= 2 and "embed_tokens" not in name:
        return x * np.float32(np.prod(shape[1:]) ** -0.5)
    return x


def prepare_files(case, signature, work_dir):
    """Writes (once) the case's weights.safetensors and inputs.npz; returns
    (weights path, inputs path)."""
    os.makedirs(work_dir, exist_ok=True)
    weights = os.path.join(work_dir, "weights.safetensors")
    if not os.path.exists(weights):
        tensors = {n: draw_parameter(n, s, case.seed) for n, s in signature.params.items()}
        safetensors_io.write_safetensors(weights + ".tmp", tensors)
        os.replace(weights + ".tmp", weights)
    inputs = os.path.join(work_dir, "inputs.npz")
    if not os.path.exists(inputs):
        arrays = make_inputs(case.model, case.dims, signature, case.seed)
        with open(inputs + ".tmp", "wb") as f:
            np.savez(f, **arrays)
        os.replace(inputs + ".tmp", inputs)
    return weights, inputs
