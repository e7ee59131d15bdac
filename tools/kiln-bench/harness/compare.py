"""`kiln-bench compare A.kbin B.kbin`: two artifacts of one model (before and
after a pass, two pipelines), alternating `kiln-run --trace` sessions.

On a shared, noisy machine a run's wall time moves by 10% from one minute to
the next, more than most compiler changes. Each workgroup's best time over
all runs moves much less: the sum of those minima ("busy") is what the
workers would spend on a quiet machine, and it is compared per source line
too, which says where a difference comes from. docs/benchmarks.md uses this
for its "measured and not kept" notes.
"""

import collections
import json
import os
import subprocess
import sys
import tempfile


class CompareError(RuntimeError):
    """kiln-run failed or wrote no usable trace."""


def _session(kiln_run, artifact, threads, repeat, extra, trace):
    """One `kiln-run --trace` session; returns its dispatch events."""
    command = [kiln_run, artifact, "--threads", str(threads), "--repeat", str(repeat),
               "--trace", trace] + extra
    # The file is reused across sessions: a session that wrote none must not
    # read the last one's.
    if os.path.exists(trace):
        os.remove(trace)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise CompareError(f"kiln-run failed on {artifact} (exit {done.returncode}): "
                           f"{lines[-1] if lines else 'no output'}")
    try:
        with open(trace) as f:
            events = json.load(f)["traceEvents"]
    except (OSError, ValueError, KeyError) as error:
        raise CompareError(f"kiln-run wrote no readable trace for {artifact}: {error}")
    # Run 0 is the warm-up.
    return [e for e in events if e.get("cat") == "dispatch" and e["args"]["run"] > 0]


class Summary:
    """Per-workgroup minima, their sums by source, and wall times per run."""

    def __init__(self):
        self.best = {}       # (dispatch, first workgroup, workgroups) -> us
        self.source = {}     # dispatch -> "root op file:line:col"
        self.walls = []      # ms per run

    def add(self, events):
        """Adds one session's events (its runs are numbered from 1)."""
        spans = {}
        for e in events:
            a = e["args"]
            key = (a["dispatch"], a["first_workgroup"], a["workgroups"])
            self.best[key] = min(self.best.get(key, float("inf")), e["dur"])
            self.source[a["dispatch"]] = e["name"]
            start, end = spans.get(a["run"], (float("inf"), 0.0))
            spans[a["run"]] = (min(start, e["ts"]), max(end, e["ts"] + e["dur"]))
        self.walls += [(end - start) / 1e3 for start, end in spans.values()]

    def busy(self):
        return sum(self.best.values()) / 1e3

    def by_source(self):
        sums = collections.Counter()
        for (dispatch, _, _), us in self.best.items():
            sums[self.source[dispatch]] += us / 1e3
        return sums

    def wall(self, q):
        w = sorted(self.walls)
        return w[min(len(w) - 1, int(q * len(w)))] if w else float("nan")


def compare(kiln_run, a, b, threads, rounds, repeat, extra, out, quiet=False):
    """Alternates `rounds` sessions of `repeat` runs of each artifact and
    prints the comparison to `out`. Returns 0, or raises CompareError."""
    for path in (a, b):
        if not os.path.isfile(path):
            raise CompareError(f"{path}: no such artifact")
    sa, sb = Summary(), Summary()
    with tempfile.TemporaryDirectory(prefix="kiln-bench-compare-") as work:
        trace = os.path.join(work, "trace.json")
        for r in range(rounds):
            if not quiet:
                print(f"  round {r + 1}/{rounds}", file=sys.stderr)
            for artifact, summary in ((a, sa), (b, sb)):
                events = _session(kiln_run, artifact, threads, repeat, extra, trace)
                if not events:
                    raise CompareError(f"{artifact}: the trace holds no dispatch")
                summary.add(events)
    print(f"compare  A = {a}\n         B = {b}\n"
          f"  {threads} thread(s), {rounds} alternating sessions of {repeat} runs each",
          file=out)
    print(f"  {'':4} {'busy ms':>10} {'wall min':>10} {'p25':>10} {'median':>10}", file=out)
    for label, s in (("A", sa), ("B", sb)):
        print(f"  {label:4} {s.busy():10.2f} {s.wall(0):10.2f} {s.wall(0.25):10.2f} "
              f"{s.wall(0.5):10.2f}", file=out)
    print(f"  {'B/A':4} {sb.busy() / sa.busy():10.3f} {sb.wall(0) / sa.wall(0):10.3f} "
          f"{sb.wall(0.25) / sa.wall(0.25):10.3f} {sb.wall(0.5) / sa.wall(0.5):10.3f}",
          file=out)
    print("  busy: the sum of each workgroup's best time over all runs", file=out)
    ba, bb = sa.by_source(), sb.by_source()
    rows = sorted(set(ba) | set(bb), key=lambda s: -abs(bb.get(s, 0) - ba.get(s, 0)))
    print(f"by source (busy ms; largest differences first)\n"
          f"  {'A':>10} {'B':>10} {'B-A':>10}  root op and source", file=out)
    for source in rows[:12]:
        x, y = ba.get(source, 0.0), bb.get(source, 0.0)
        print(f"  {x:10.2f} {y:10.2f} {y - x:+10.2f}  {source}", file=out)
    if len(rows) > 12:
        print(f"  ({len(rows) - 12} more)", file=out)
    return 0
