#!/usr/bin/env python3
"""A stand-in for kiln-run that writes a known trace, for kiln-bench compare.

The artifact's file name picks the times: a dispatch "kiln.linear x.mlir:1:1"
with two workgroups of 1000 + 100 (r - 1) and 2000 us in run r of an
artifact whose name holds "slow", half that otherwise, both starting at
the run's start. Run 0 (the warm-up) takes 1 us, less than any timed run,
and must be ignored. An artifact whose name holds "empty" gets a trace
without dispatches (a model with no kernels), one whose name holds
"notrace" gets no trace file."""
import json
import sys

args = sys.argv[1:]
artifact = args[0]
repeat = int(args[args.index("--repeat") + 1])
trace = args[args.index("--trace") + 1]
if "notrace" in artifact:
    sys.exit(0)
scale = 1.0 if "slow" in artifact else 0.5
events, ts = [], 0.0
for run in range(repeat + 1):
    for first, base in ((0, 1000.0), (1, 2000.0)):
        dur = 1.0 if run == 0 else scale * (base + (100.0 * (run - 1) if first == 0 else 0))
        events.append({"name": "kiln.linear x.mlir:1:1", "cat": "dispatch", "ph": "X",
                       "ts": ts, "dur": dur,
                       "args": {"dispatch": "x_0_linear", "run": run,
                                "first_workgroup": first, "workgroups": 1}})
    ts += 10000.0
if "empty" in artifact:
    events = [{"name": "run", "cat": "run", "ph": "X", "ts": 0.0, "dur": 5.0,
               "args": {"run": 1}}]
with open(trace, "w") as f:
    json.dump({"traceEvents": events}, f)
