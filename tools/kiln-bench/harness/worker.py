"""A worker process: one engine, driven by kiln-bench over a pipe.

    python worker.py SPEC.json

The worker sets the engine up (compile, export, load: untimed), runs it once
and saves that run's outputs for the cross-check, runs the warm-up (cut
short for runs of seconds: the first run warms up too), then
answers "ready" with its setup times and a warm run's time. After that each
{"run": n} line from the parent gets n timed runs back (nanoseconds); any
other line ends the worker. Protocol lines go to the original stdout; what
libraries print goes to stderr, which the parent keeps in a log file.
"""

import json
import os
import sys
import time
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_engine(spec):
    if spec["kind"] in ("kiln", "openblas"):
        from harness.engines_native import KilnEngine, OpenBlasEngine
        return (KilnEngine if spec["kind"] == "kiln" else OpenBlasEngine)(spec)
    from harness.engines_peers import ENGINES
    return ENGINES[spec["kind"]](spec)


def aligned_copy(array, alignment=64):
    """`array` copied to a buffer whose first element is `alignment`-byte
    aligned, as PyTorch allocates its tensors. np.load gives 16-byte
    alignment, where every 64-byte vector load of a row splits across two
    cache lines: one decoding step of attention ran at 2.6 ms on such
    inputs against 1.7 ms on aligned ones. Every engine gets the copies."""
    import numpy as np
    raw = np.empty(array.nbytes + alignment, dtype=np.uint8)
    start = -raw.ctypes.data % alignment
    out = raw[start:start + array.nbytes].view(array.dtype).reshape(array.shape)
    out[...] = array
    return out


def timed_run(engine):
    start = time.perf_counter_ns()
    engine.run()
    return time.perf_counter_ns() - start


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    protocol = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)

    def send(message):
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    try:
        import numpy as np
        inputs = {name: aligned_copy(a) for name, a in np.load(spec["inputs"]).items()}
        engine = make_engine(spec)
        info = engine.setup(inputs)
        first = timed_run(engine)
        np.savez(spec["outputs"], **engine.outputs())
        warm = []  # at most `warmup` runs, and no more once 3 s have gone
        while len(warm) < spec["warmup"] and first + sum(warm) < 3e9:
            warm.append(timed_run(engine))
        warm = sorted(warm) or [first]
        send({"ready": True, "info": info, "first_ns": first, "warm_ns": warm[len(warm) // 2]})
    except Exception as error:  # reported to the parent, which goes on without us
        traceback.print_exc()
        text = " ".join(str(error).split())
        send({"error": f"{type(error).__name__}: {text[:400]}"})
        return 1
    for line in sys.stdin:
        command = json.loads(line)
        if "run" not in command:
            break
        try:
            send({"times": [timed_run(engine) for _ in range(command["run"])]})
        except Exception as error:
            traceback.print_exc()
            send({"error": f"{type(error).__name__}: {error}"})
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
