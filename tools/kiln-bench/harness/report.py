"""Printing results: one table per case, and the summary of a whole run."""

import math
import os

SETUP_FIELDS = [("export_s", "onnx export"), ("import_s", "import"), ("compile_s", "compile"),
                ("session_s", "session")]


def _ms(seconds):
    return "—" if math.isnan(seconds) else f"{seconds * 1e3:.3f}" if seconds < 0.01 \
        else f"{seconds * 1e3:.2f}"


def setup_text(r):
    parts = []
    for key, name in SETUP_FIELDS:
        if key in r.setup:
            value = r.setup[key]
            parts.append(f"{name} {value:.1f} s" if value else f"{name} cached")
    if "core" in r.setup:
        parts.append(f"core {r.setup['core']}")
    actual = r.setup.get("threads")
    if actual is not None and actual != r.spec.threads:
        parts.append(f"RUNS {actual} THREADS")
    return ", ".join(parts)


def shorten(text, width=160):
    """One line of at most `width` characters (the JSON keeps it whole)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def speedup(result, r):
    """How many times faster the reference Kiln engine is than `r`."""
    ref = result.reference(r)
    if ref is None or not ref.ok or not r.ok:
        return None
    return r.median_s / ref.median_s


def print_case(result, out):
    case = result.case
    load = (f"  [load average {result.load[0]:.1f} -> {result.load[1]:.1f} on "
            f"{os.cpu_count()} CPUs]" if result.load else "")
    print(f"\n{case.title}{load}", file=out)
    header = (f"  {'engine':24s} {'thr':>3s} {'median ms':>10s} {'min ms':>10s} {'runs':>5s} "
              + (f"{'GFLOP/s':>8s} " if case.flops else "")
              + f"{'kiln speed-up':>13s}  {'outputs vs kiln':24s} setup")
    print(header, file=out)
    for r in result.engines:
        if not r.ok:
            flops = f"{'':>8s} " if case.flops else ""
            print(f"  {r.spec.label:24s} {r.spec.threads:3d} {'—':>10s} {'—':>10s} {'':>5s} "
                  f"{flops}{'—':>13s}  {shorten(r.error)}", file=out)
            continue
        ratio = speedup(result, r)
        is_ref = result.reference(r) is r
        ratio_text = "reference" if is_ref else f"{ratio:.2f}x" if ratio else "—"
        flops = f"{case.flops / r.median_s * 1e-9:8.1f} " if case.flops else ""
        print(f"  {r.spec.label:24s} {r.spec.threads:3d} {_ms(r.median_s):>10s} "
              f"{_ms(r.min_s):>10s} {len(r.times_ns):5d} {flops}{ratio_text:>13s}  "
              f"{r.check:24s} {setup_text(r)}", file=out)


def busy_warning(results):
    """A warning when another load shared the machine (PEERS.md fact 3), or ''."""
    cpus = os.cpu_count() or 1
    peak = max((x for r in results for x in r.load), default=0.0)
    if peak > cpus + 1:
        return (f"WARNING: the machine was busy (1-minute load average up to {peak:.1f} on "
                f"{cpus} CPUs; kiln-bench alone keeps it near the thread count): "
                "timings and ratios are noisy.")
    return ""


def as_json(result):
    """A case result as plain data (for --json)."""
    return {"title": result.case.title, "model": result.case.model, "dims": result.case.dims,
            "flops": result.case.flops, "load_average": list(result.load),
            "engines": [{"label": r.spec.label, "kind": r.spec.kind, "threads": r.spec.threads,
                         "variant": r.spec.variant, "error": r.error,
                         "median_ms": r.median_s * 1e3 if r.ok else None,
                         "min_ms": r.min_s * 1e3 if r.ok else None,
                         "runs": len(r.times_ns), "kiln_speedup": speedup(result, r),
                         "check": r.check, "setup": r.setup} for r in result.engines]}
