"""Running one case: Kiln artifacts, worker processes, alternating rounds,
medians, ratios and the cross-check of outputs.

Workers are set up one after the other (so compilations do not overlap),
then the parent alternates rounds A B C A B C ...: each round asks one
engine for a few timed runs while the others wait on a pipe. Only one
engine runs at a time; each has its own process, thread pool and
environment (PEERS.md: exactly N threads, OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset for the peers only).
"""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from .cases import PEERS, prepare_files
from .kiln_tools import KilnError

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")


@dataclass
class Options:
    """How to run: where things are, and the measurement policy."""
    tools: object                 # kiln_tools.KilnTools
    work_dir: str                 # per-case directories go under it
    peers_python: str             # the peers' interpreter (venv), may not exist
    rounds: int = 5
    iters: int = 0                # runs per round; 0 = from round_time
    round_time: float = 0.25      # seconds per engine and round when iters = 0
    max_iters: int = 50
    budget: float = 45.0          # an engine with min_runs runs stops after this
    min_runs: int = 3             # many seconds of timed runs (slow engines)
    warmup: int = 2
    # Pause between engines, so that every round starts on an idle machine:
    # OpenBLAS's pool spins for tens of milliseconds after its last call, and
    # with 0.02 s the Kiln round after it ran the 32x3072x768 GEMM at half
    # speed (1.37 ms instead of 0.70).
    settle: float = 0.2
    rtol: float = 1e-3            # cross-check: max|diff| <= rtol * max|kiln|
    quiet: bool = False

    def say(self, text):
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)


@dataclass
class EngineResult:
    spec: object                  # cases.EngineSpec
    error: str = ""
    times_ns: list = field(default_factory=list)
    setup: dict = field(default_factory=dict)
    check: str = ""               # cross-check summary
    check_ok: bool = True

    @property
    def ok(self):
        return not self.error and bool(self.times_ns)

    @property
    def median_s(self):
        return float(np.median(self.times_ns)) * 1e-9 if self.times_ns else float("nan")

    @property
    def min_s(self):
        return min(self.times_ns) * 1e-9 if self.times_ns else float("nan")


@dataclass
class CaseResult:
    case: object
    engines: list
    load: tuple = ()              # 1-minute load average before and after

    def find(self, kind, variant="", tag=""):
        """The result of the engine with this kind, variant and tag, or None."""
        for r in self.engines:
            if (r.spec.kind, r.spec.variant, r.spec.tag) == (kind, variant, tag):
                return r
        return None

    def reference(self, r):
        """The Kiln engine that `r`'s ratio is taken against: for a Kiln engine
        the case's first Kiln engine; for a peer the Kiln engine of its variant
        and thread count (else of its variant, else the first)."""
        kilns = [k for k in self.engines if k.spec.kind == "kiln"]
        if not kilns or r.spec.kind == "kiln":
            return kilns[0] if kilns else None
        for match in (lambda k: (k.spec.variant, k.spec.threads) == (r.spec.variant, r.spec.threads),
                      lambda k: k.spec.variant == r.spec.variant):
            found = [k for k in kilns if match(k)]
            if found:
                return found[0]
        return kilns[0]


def _environment(kind, threads):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    if kind != "kiln":  # PEERS.md fact 1, for the peers' commands only
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    # One thread pool per engine (PEERS.md fact 2): the engine's own gets N,
    # any other library's (numpy's OpenBLAS, OpenMP) gets 1.
    pool = {"openblas": "OPENBLAS_NUM_THREADS", "torch": "OMP_NUM_THREADS",
            "torch.compile": "OMP_NUM_THREADS"}.get(kind)
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if pool:
        env[pool] = str(threads)
        if pool == "OMP_NUM_THREADS":
            env["MKL_NUM_THREADS"] = str(threads)
    return env


class Worker:
    """One engine's process and its pipe."""

    def __init__(self, spec, config, python, log_path):
        self.spec, self.log_path = spec, log_path
        config_path = log_path[:-4] + ".json"
        with open(config_path, "w") as f:
            json.dump(config, f)
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(
            [python, WORKER, config_path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.log, env=_environment(spec.kind, spec.threads), text=True)

    def receive(self):
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            return {"error": f"worker exited ({self.process.returncode}); {self.log_tail()}"}
        return json.loads(line)

    def request(self, message):
        try:
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            return {"error": f"worker died; {self.log_tail()}"}
        return self.receive()

    def log_tail(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            lines = [x.strip() for x in f.read().splitlines() if x.strip()]
        return lines[-1][:300] if lines else "no output"

    def close(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.write("{}\n")
                self.process.stdin.close()
                self.process.wait(timeout=30)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.log.close()


def _compile_kiln(case, options, weights, has_params, work_dir):
    """Compiles every Kiln dims variant of the case (always afresh: the
    compiler is what is measured). Returns {dims json: (kbin, seconds) or error}."""
    artifacts = {}
    for spec in case.engines:
        if spec.kind != "kiln":
            continue
        dims = case.engine_dims(spec)
        key = json.dumps(dims, sort_keys=True)
        if key in artifacts:
            continue
        kbin = os.path.join(work_dir, f"kiln-{len(artifacts)}.kbin")
        try:
            seconds = options.tools.compile(case.source, dims, weights if has_params else None,
                                            kbin)
            artifacts[key] = (kbin, seconds)
            options.say(f"  kiln{'[' + spec.variant + ']' if spec.variant else ''}: "
                        f"compiled in {seconds:.2f} s")
        except KilnError as error:
            artifacts[key] = str(error)
    return artifacts


def _start(case, spec, options, files, artifacts):
    """Starts and sets up one worker; returns (Worker or None, EngineResult)."""
    result = EngineResult(spec)
    work_dir, weights, inputs = files
    config = {"kind": spec.kind, "threads": spec.threads, "model": case.model,
              "dims": case.engine_dims(spec), "weights": weights, "inputs": inputs,
              "work_dir": work_dir, "warmup": options.warmup + (spec.kind == "torch.compile"),
              "outputs": os.path.join(work_dir, f"out-{spec.label}.npz")}
    python = sys.executable
    if spec.kind == "kiln":
        artifact = artifacts[json.dumps(config["dims"], sort_keys=True)]
        if isinstance(artifact, str):
            result.error = artifact
            return None, result
        config.update(kbin=artifact[0], kiln_runtime=options.tools.runtime_library)
        result.setup["compile_s"] = artifact[1]
    elif spec.kind in PEERS:
        python = options.peers_python
        if not os.path.exists(python):
            result.error = "not installed (tools/kiln-bench/setup-peers.sh)"
            return None, result
    start = time.perf_counter()
    worker = Worker(spec, config, python, os.path.join(work_dir, f"{spec.label}.log"))
    reply = worker.receive()
    if "error" in reply:
        result.error = reply["error"]
        worker.close()
        return None, result
    result.setup.update(reply["info"], setup_s=time.perf_counter() - start,
                        warm_s=reply["warm_ns"] * 1e-9)
    options.say(f"  {spec.label}: ready in {result.setup['setup_s']:.1f} s "
                f"(a run takes {reply['warm_ns'] * 1e-6:.2f} ms)")
    return worker, result


def _cross_check(results, work_dir, rtol):
    """Compares every engine's outputs with the reference of its variant
    (its first Kiln engine, else its first engine that ran)."""
    def load(r):
        return dict(np.load(os.path.join(work_dir, f"out-{r.spec.label}.npz")))

    by_variant = {}
    for r in results:
        if not r.error:
            by_variant.setdefault(r.spec.variant, []).append(r)
    for group in by_variant.values():
        group.sort(key=lambda r: r.spec.kind != "kiln")
        reference = load(group[0])
        group[0].check = "(reference)"
        for r in group[1:]:
            r.check, r.check_ok = compare_outputs(load(r), reference, rtol)


def compare_outputs(outputs, reference, rtol):
    """(summary, ok): max |diff| relative to max |reference| per output;
    integer outputs must be equal."""
    worst, notes = 0.0, []
    for name, ref in reference.items():
        if name not in outputs:
            notes.append(f"{name} missing")
            continue
        got = np.asarray(outputs[name])
        if got.shape != ref.shape:
            notes.append(f"{name} shape {got.shape} != {ref.shape}")
        elif ref.dtype.kind in "iu":
            bad = int((got != ref).sum())
            if bad:
                notes.append(f"{name}: {bad} of {ref.size} differ")
        else:
            diff = float(np.abs(got.astype(np.float64) - ref).max()) if ref.size else 0.0
            scale = float(np.abs(ref).max()) if ref.size else 0.0
            rel = diff / scale if scale else diff
            if not np.isfinite(rel) or rel > rtol:
                notes.append(f"{name}: max|diff| {diff:.3g} ({rel:.2g} of max|kiln|)")
            worst = max(worst, rel) if np.isfinite(rel) else float("inf")
    if notes:
        return "MISMATCH " + "; ".join(notes), False
    return f"{worst:.1e} ok", True


def run_case(case, options):
    """Runs every engine of `case`; failures are recorded, never raised."""
    options.say(f"== {case.title}")
    load = os.getloadavg()[0]
    results = [EngineResult(spec) for spec in case.engines]
    work_dir = os.path.join(options.work_dir, case.key())
    try:
        signature = options.tools.describe(case.source, case.dims)
        weights, inputs = prepare_files(case, signature, work_dir)
    except Exception as error:  # e.g. kiln-compile cannot read the model
        for r in results:
            r.error = f"case setup failed: {error}"
        return CaseResult(case, results, (load, os.getloadavg()[0]))
    artifacts = _compile_kiln(case, options, weights, bool(signature.params), work_dir)
    workers = {}
    for i, spec in enumerate(case.engines):
        worker, results[i] = _start(case, spec, options, (work_dir, weights, inputs), artifacts)
        if worker:
            workers[i] = worker
        else:
            options.say(f"  {spec.label}: {results[i].error}")
    try:
        _cross_check(results, work_dir, options.rtol)
        _alternate(results, workers, options)
    finally:
        for worker in workers.values():
            worker.close()
    for r in results:
        if not r.check_ok:
            options.say(f"  WARNING: {r.spec.label} disagrees with "
                        f"{'Kiln' if r.spec.kind != 'kiln' else 'the reference'}: {r.check}")
    return CaseResult(case, results, (load, os.getloadavg()[0]))


def _alternate(results, workers, options):
    """The timed rounds: every live engine in turn, `rounds` times. An engine
    whose runs take seconds stops once it has `min_runs` runs and its timed
    runs add up to `budget` seconds, so that one slow engine cannot make a
    table take hours."""
    iters = {}
    for i in workers:
        warm = max(results[i].setup["warm_s"], 1e-7)
        iters[i] = options.iters or max(1, min(options.max_iters, round(options.round_time / warm)))
    for r in range(options.rounds):
        options.say(f"  round {r + 1}/{options.rounds}")
        for i, worker in list(workers.items()):
            done = results[i].times_ns
            if len(done) >= options.min_runs and sum(done) * 1e-9 >= options.budget:
                continue  # a slow engine has had its share
            reply = worker.request({"run": iters[i]})
            if "error" in reply:
                results[i].error = reply["error"]
                worker.close()
                del workers[i]
                continue
            results[i].times_ns += reply["times"]
            time.sleep(options.settle)
