"""The peer engines: torch eager, torch.compile, ONNX Runtime and IREE.

They run in worker processes on the peers' virtual environment
(setup-peers.sh). All four start from the same PyTorch model
(peer_models.py) on the same weights: torch runs it directly, ONNX Runtime
runs its ONNX export, IREE compiles that export for the host CPU
(iree-import-onnx, iree-compile --iree-llvmcpu-target-cpu=host). Exports
and IREE modules are cached in the case's work directory under a name that
hashes the model, its dims and the tools' versions; setup times are
reported (0 when a cached file was used).
"""

import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

from . import peer_models
from .safetensors_io import read_safetensors


class PeerModule(torch.nn.Module):
    """A PeerModel with its weights, taking the inputs positionally."""

    def __init__(self, model, weights):
        super().__init__()
        self.model, self.weights = model, weights

    def forward(self, *args):
        out = self.model.forward(self.weights, dict(zip(self.model.inputs, args)))
        return tuple(out[name] for name in self.model.outputs)


def _stem(spec, tools):
    """Cache file stem for artifacts derived from this model at these dims."""
    with open(peer_models.__file__, "rb") as f:
        source = f.read()
    weights = os.stat(spec["weights"])  # the weights are baked into the artifacts
    text = json.dumps([spec["model"], spec["dims"], tools, weights.st_size,
                       weights.st_mtime_ns], sort_keys=True).encode()
    digest = hashlib.sha1(source + text).hexdigest()[:12]
    return os.path.join(spec["work_dir"], f"peer-{digest}")


def _tool(name):
    """A console script of the environment this worker runs in."""
    return os.path.join(os.path.dirname(sys.executable), name)


def _check_call(command, what):
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-4:]
        raise RuntimeError(f"{what} failed: " + " | ".join(line[:200] for line in tail))


class _TorchBased:
    """Builds the PeerModule and its positional input tensors."""

    def __init__(self, spec):
        self.spec = spec

    def build(self, inputs):
        torch.set_num_threads(self.spec["threads"])
        model = peer_models.build(self.spec["model"], self.spec["dims"])
        weights = {n: torch.from_numpy(np.array(a)) for n, a in
                   read_safetensors(self.spec["weights"]).items()}
        self.module = PeerModule(model, weights).eval()
        self.names = model.outputs
        self.args = tuple(torch.from_numpy(inputs[n]) for n in model.inputs)
        self.feeds = {n: inputs[n] for n in model.inputs}

    def export_onnx(self):
        """The model's ONNX file (TorchScript exporter, opset 17); seconds spent."""
        path = _stem(self.spec, ["onnx", torch.__version__]) + ".onnx"
        if os.path.exists(path):
            return path, 0.0
        start = time.perf_counter()
        kwargs = {"dynamo": False} if "dynamo" in torch.onnx.export.__code__.co_varnames else {}
        with torch.no_grad():
            torch.onnx.export(self.module, self.args, path + ".tmp.onnx",
                              input_names=list(self.feeds), output_names=list(self.names),
                              opset_version=17, do_constant_folding=True, **kwargs)
        os.replace(path + ".tmp.onnx", path)
        return path, time.perf_counter() - start


class TorchEngine(_TorchBased):
    """PyTorch eager under inference_mode, torch.set_num_threads(N)."""

    def setup(self, inputs):
        self.build(inputs)
        torch.inference_mode().__enter__()  # for the worker's lifetime
        self.fn = self.module
        return {"threads": torch.get_num_threads(), "torch": torch.__version__}

    def run(self):
        self.out = self.fn(*self.args)

    def outputs(self):
        return {n: t.numpy() for n, t in zip(self.names, self.out)}


class TorchCompileEngine(TorchEngine):
    """torch.compile (Inductor, default mode); timed after compilation."""

    def setup(self, inputs):
        info = super().setup(inputs)
        start = time.perf_counter()
        self.fn = torch.compile(self.module)
        self.fn(*self.args)  # compiles
        info["compile_s"] = time.perf_counter() - start
        return info


class OnnxRuntimeEngine(_TorchBased):
    """ONNX Runtime's CPU provider: intra_op_num_threads = N, inter_op 1,
    sequential execution, all graph optimisations."""

    def setup(self, inputs):
        import onnxruntime as ort
        self.build(inputs)
        path, export_s = self.export_onnx()
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.spec["threads"]
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        start = time.perf_counter()
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.module = None  # the session holds its own copy of the weights
        return {"export_s": export_s, "session_s": time.perf_counter() - start,
                "onnxruntime": ort.__version__}

    def run(self):
        self.out = self.session.run(None, self.feeds)

    def outputs(self):
        return dict(zip(self.names, self.out))


class IreeEngine(_TorchBased):
    """IREE: the ONNX export imported with iree-import-onnx, compiled with
    iree-compile for the local llvm-cpu device (host CPU), run by
    iree.runtime's local-task driver with --task_topology_max_group_count=N."""

    FLAGS = ["--iree-hal-target-device=local", "--iree-hal-local-target-device-backends=llvm-cpu",
             "--iree-llvmcpu-target-cpu=host"]

    def setup(self, inputs):
        import iree.runtime as rt
        from importlib.metadata import version
        self.build(inputs)
        onnx_path, export_s = self.export_onnx()
        vmfb = _stem(self.spec, ["iree", torch.__version__, version("iree-base-compiler"),
                                 self.FLAGS]) + ".vmfb"
        import_s = compile_s = 0.0
        if not os.path.exists(vmfb):
            mlir = vmfb[:-5] + ".mlir"
            start = time.perf_counter()
            _check_call([_tool("iree-import-onnx"), onnx_path, "-o", mlir], "iree-import-onnx")
            import_s = time.perf_counter() - start
            start = time.perf_counter()
            try:
                _check_call([_tool("iree-compile"), mlir] + self.FLAGS + ["-o", vmfb + ".tmp"],
                            "iree-compile")
            finally:
                os.remove(mlir)
            os.replace(vmfb + ".tmp", vmfb)
            compile_s = time.perf_counter() - start
        rt.flags.parse_flags(f"--task_topology_max_group_count={self.spec['threads']}")
        config = rt.Config("local-task")
        context = rt.SystemContext(config=config)
        context.add_vm_module(rt.VmModule.mmap(config.vm_instance, vmfb))
        self.fn = context.modules.module["main_graph"]
        self.iree_args = [rt.asdevicearray(config.device, self.feeds[n]) for n in self.feeds]
        self.context, self.module = context, None
        return {"export_s": export_s, "import_s": import_s, "compile_s": compile_s,
                "iree": version("iree-base-runtime")}

    def run(self):
        out = self.fn(*self.iree_args)
        out = out if isinstance(out, (tuple, list)) else (out,)
        self.out = [o.to_host() for o in out]

    def outputs(self):
        return {n: np.asarray(a) for n, a in zip(self.names, self.out)}


ENGINES = {"torch": TorchEngine, "torch.compile": TorchCompileEngine,
           "onnxruntime": OnnxRuntimeEngine, "iree": IreeEngine}
