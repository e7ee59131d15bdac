"""Engines that need numpy only: Kiln through its C API, and OpenBLAS.

Both run in a worker process (worker.py); `setup` does everything that is
not timed, `run` is one timed run, `outputs` gives the last run's results.
"""

import ctypes
import os

import numpy as np

from .safetensors_io import read_safetensors

_KILN_DTYPES = {np.dtype("float32"): 0, np.dtype("int32"): 6, np.dtype("int64"): 7}
_NUMPY_DTYPES = {0: np.float32, 6: np.int32, 7: np.int64, 3: np.float64}


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_size_t),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("byte_size", ctypes.c_uint64)]


class _TensorView(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("rank", ctypes.c_size_t),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("data", ctypes.c_void_p)]


def _kiln_library(path):
    lib = ctypes.CDLL(path)
    p = ctypes.c_void_p
    signatures = {
        "kiln_status_message": ([p], ctypes.c_char_p),
        "kiln_status_free": ([p], None),
        "kiln_program_load": ([ctypes.c_char_p, ctypes.POINTER(p)], p),
        "kiln_program_release": ([p], None),
        "kiln_program_input_count": ([p], ctypes.c_size_t),
        "kiln_program_output_count": ([p], ctypes.c_size_t),
        "kiln_program_input_info": ([p, ctypes.c_size_t, ctypes.POINTER(_TensorInfo)], p),
        "kiln_program_output_info": ([p, ctypes.c_size_t, ctypes.POINTER(_TensorInfo)], p),
        "kiln_session_create": ([p, ctypes.c_int32, ctypes.c_uint32, ctypes.POINTER(p)], p),
        "kiln_session_release": ([p], None),
        "kiln_session_thread_count": ([p], ctypes.c_int32),
        "kiln_session_run": ([p, ctypes.POINTER(_TensorView), ctypes.c_size_t,
                              ctypes.POINTER(_TensorView), ctypes.c_size_t], p),
    }
    for name, (args, result) in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, result
    return lib


class KilnEngine:
    """A .kbin loaded with kiln_program_load, run by one session of N threads
    on caller-owned numpy buffers (bound once: a run allocates nothing)."""

    def __init__(self, spec):
        self.spec = spec

    def _check(self, status, what):
        if status:
            message = self.lib.kiln_status_message(status).decode()
            self.lib.kiln_status_free(status)
            raise RuntimeError(f"{what}: {message}")

    def _signature(self, count, info_fn):
        out = []
        for i in range(count(self.program)):
            info = _TensorInfo()
            self._check(info_fn(self.program, i, ctypes.byref(info)), "signature")
            shape = tuple(info.shape[d] for d in range(info.rank))
            out.append((info.name.decode(), shape, _NUMPY_DTYPES[info.dtype]))
        return out

    def setup(self, inputs):
        self.lib = _kiln_library(self.spec["kiln_runtime"])
        self.program, self.session = ctypes.c_void_p(), ctypes.c_void_p()
        self._check(self.lib.kiln_program_load(self.spec["kbin"].encode(),
                                               ctypes.byref(self.program)), "load")
        self._check(self.lib.kiln_session_create(self.program, self.spec["threads"], 0,
                                                 ctypes.byref(self.session)), "session")
        ins = self._signature(self.lib.kiln_program_input_count, self.lib.kiln_program_input_info)
        outs = self._signature(self.lib.kiln_program_output_count,
                               self.lib.kiln_program_output_info)
        self.arrays = [np.ascontiguousarray(inputs[n], dtype=t) for n, _, t in ins]
        self.results = {n: np.empty(s, dtype=t) for n, s, t in outs}
        self.in_views = self._views(self.arrays)
        self.out_views = self._views(list(self.results.values()))
        threads = self.lib.kiln_session_thread_count(self.session)
        return {"threads": threads}

    def _views(self, arrays):
        views = (_TensorView * len(arrays))()
        self._shapes = getattr(self, "_shapes", [])
        for view, a in zip(views, arrays):
            shape = (ctypes.c_int64 * max(a.ndim, 1))(*a.shape)
            self._shapes.append(shape)  # keep alive
            view.dtype, view.rank = _KILN_DTYPES[a.dtype], a.ndim
            view.shape, view.data = shape, a.ctypes.data
        return views

    def run(self):
        self._check(self.lib.kiln_session_run(self.session, self.in_views, len(self.arrays),
                                              self.out_views, len(self.results)), "run")

    def outputs(self):
        return {n: a.copy() for n, a in self.results.items()}


class OpenBlasEngine:
    """cblas_sgemm from Debian's OpenBLAS on the case's arrays: C = A B for
    `gemm`, y = x W^T (W [N, K] as given, CblasTrans) for `linear`."""

    LIBRARY = "/usr/lib/x86_64-linux-gnu/libopenblas.so.0"
    ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112

    def __init__(self, spec):
        self.spec = spec

    def setup(self, inputs):
        model = self.spec["model"]
        if model not in ("gemm", "linear"):
            raise RuntimeError(f"openblas runs plain GEMMs only, not '{model}'")
        lib = ctypes.CDLL(os.environ.get("KILN_BENCH_OPENBLAS", self.LIBRARY))
        lib.openblas_set_num_threads(self.spec["threads"])
        lib.openblas_get_corename.restype = ctypes.c_char_p
        self.sgemm = lib.cblas_sgemm
        if model == "gemm":
            a, b = inputs["a"], inputs["b"]
            trans_b, self.name = self.NO_TRANS, "c"
        else:
            a, b = inputs["x"], read_safetensors(self.spec["weights"])["weight"]
            trans_b, self.name = self.TRANS, "y"
        self.a, self.b = np.ascontiguousarray(a), np.ascontiguousarray(b)
        m, k = self.a.shape
        n = self.b.shape[1] if trans_b == self.NO_TRANS else self.b.shape[0]
        self.c = np.empty((m, n), dtype=np.float32)
        f, i, v = ctypes.c_float, ctypes.c_int, ctypes.c_void_p
        self.sgemm.argtypes = [i, i, i, i, i, i, f, v, i, v, i, f, v, i]
        self.sgemm.restype = None
        self.args = (self.ROW_MAJOR, self.NO_TRANS, trans_b, m, n, k, 1.0,
                     self.a.ctypes.data, k, self.b.ctypes.data, self.b.shape[1], 0.0,
                     self.c.ctypes.data, n)
        return {"threads": lib.openblas_get_num_threads(),
                "core": lib.openblas_get_corename().decode()}

    def run(self):
        self.sgemm(*self.args)

    def outputs(self):
        return {self.name: self.c.copy()}
