"""The targets table of issue 4: which cases to run, and each row's check.

Every row is measured inside one case run (engines alternating), so its
ratio compares engines that ran side by side. A row whose engine failed is
reported as ERROR with the reason; the other rows go on.
"""

import math
from dataclasses import dataclass

from .cases import EngineSpec, attention_case, gemm_case, linear_case, model_case
from .report import shorten

ALL_PEERS = ["onnxruntime", "torch", "torch.compile", "iree"]
NAMES = {"onnxruntime": "ONNX Runtime", "torch": "torch eager", "torch.compile": "torch.compile",
         "iree": "IREE", "openblas": "OpenBLAS"}


@dataclass
class Row:
    """One line of the table: `measure(result)` -> (value, detail) or an error
    string; the row passes when `passes(value)`."""
    name: str
    target: str
    measure: object
    passes: object


def versus(kind, minimum, tag="", strict=False):
    """Kiln's speed-up over a peer (peer time / Kiln time) >= minimum (or >)."""
    def measure(result):
        r = result.find(kind, tag=tag)
        ref = result.reference(r) if r else None
        failed = [x for x in (ref, r) if x is None or not x.ok]
        if failed:
            who = failed[0]
            return f"{who.spec.label}: {who.error}" if who else f"{kind} not run"
        ratio = r.median_s / ref.median_s
        note = "" if r.check_ok else "; OUTPUTS DIFFER"
        return ratio, (f"kiln {ref.median_s * 1e3:.2f} ms, {r.spec.label} "
                       f"{r.median_s * 1e3:.2f} ms{note}")
    label = f"{'>' if strict else '>='} {minimum:g}x {NAMES[kind]}"
    return label, measure, (lambda v: v > minimum) if strict else (lambda v: v >= minimum)


def kiln_ratio(numerator, denominator):
    """time(numerator) / time(denominator), both Kiln engines (variant, tag)."""
    def measure(result):
        a, b = result.find("kiln", *numerator), result.find("kiln", *denominator)
        for x in (a, b):
            if x is None or not x.ok:
                return f"kiln: {x.error if x else 'not run'}"
        return a.median_s / b.median_s, (f"{a.spec.label} {a.median_s * 1e3:.2f} ms, "
                                          f"{b.spec.label} {b.median_s * 1e3:.2f} ms")
    return measure


def compile_time(result):
    r = result.find("kiln")
    if r is None or "compile_s" not in r.setup:
        return f"kiln: {r.error if r else 'not run'}"
    return r.setup["compile_s"], "kiln-compile wall time, weights included"


def plan():
    """[(case, [Row])] in the order of issue 4's table."""
    items = []
    for n in (1024, 2048, 4096):
        case = gemm_case(n, n, n, ["kiln", "openblas"], threads=(2, 1))
        rows = []
        for t in (1, 2):
            target, measure, passes = versus("openblas", 0.97, tag=f"{t}t")
            rows.append(Row(f"GEMM {n}^3, {t} thread{'s' if t > 1 else ''}",
                            target.replace("x OpenBLAS", "x OpenBLAS throughput"), measure, passes))
        items.append((case, rows))
    for (m, n, k), minimum in (((32, 3072, 768), 1.5), ((257, 768, 1408), 1.05),
                               ((576, 4096, 1024), 1.0)):
        target, measure, passes = versus("openblas", minimum)
        items.append((linear_case(m, n, k, ["kiln", "openblas"]),
                      [Row(f"packed GEMM {m}x{n}x{k}", target, measure, passes)]))
    qformer_checks = [("onnxruntime", 1.15, False), ("torch", 1.5, False), ("iree", 1.0, True),
                      ("torch.compile", 1.0, True)]
    for batch in (1, 8):
        case = model_case("qformer", {"B": batch}, ["kiln"] + ALL_PEERS)
        rows = [Row(f"Q-Former full, B={batch}", *versus(k, m, strict=s))
                for k, m, s in qformer_checks]
        if batch == 1:
            case.engines.insert(1, EngineSpec("kiln", 1, tag="1t"))
            rows.append(Row("Q-Former, 1 vs 2 threads", "2-thread speed-up >= 1.8x",
                            kiln_ratio(("", "1t"), ("", "")), lambda v: v >= 1.8))
            rows.append(Row("compile time, full Q-Former", "<= 15 s", compile_time,
                            lambda v: v <= 15.0))
        items.append((case, rows))
    items.append((model_case("llava_projector", {"N": 576}, ["kiln", "onnxruntime"]),
                  [Row("LLaVA-1.5 projector, 576 tokens", *versus("onnxruntime", 1.1))]))
    items.append((attention_case(["kiln"]),
                  [Row("causal vs full attention, L=2048", "causal time <= 0.6x full",
                       kiln_ratio(("causal", ""), ("full", "")), lambda v: v <= 0.6)]))
    showo = [Row("Show-o omni-attention layer, L=1155", *versus("onnxruntime", 1.6))]
    showo += [Row("Show-o omni-attention layer, L=1155", *versus(k, 1.0, strict=True))
              for k in ("torch", "torch.compile", "iree")]
    items.append((model_case("showo_omni_attention", {}, ["kiln"] + ALL_PEERS), showo))
    moe = model_case("mixtral_moe", {}, ["kiln"] + ALL_PEERS)
    moe.engines.insert(1, EngineSpec("kiln", 2, "top-8", {"K": 8}))
    rows = [Row("MoE T=512 D=1024 E=8 F=3584 top-2", *versus(k, 1.5)) for k in ("torch", "onnxruntime")]
    rows += [Row("MoE T=512 D=1024 E=8 F=3584 top-2", *versus(k, 1.0, strict=True))
             for k in ("iree", "torch.compile")]
    rows.append(Row("MoE top-2 vs top-8 (Kiln)", "top-2 time <= 0.35x top-8",
                    kiln_ratio(("", ""), ("top-8", "")), lambda v: v <= 0.35))
    items.append((moe, rows))
    return items


def evaluate(row, result):
    """(measured text, status) of a row."""
    measured = row.measure(result)
    if isinstance(measured, str):
        return f"n/a ({shorten(measured, 120)})", "ERROR"
    value, detail = measured
    if not math.isfinite(value):
        return f"n/a ({detail})", "ERROR"
    unit = " s" if row.target.endswith(" s") else "x"
    status = "PASS" if row.passes(value) else "MISS"
    if "OUTPUTS DIFFER" in detail:
        status += " (outputs differ)"
    return f"{value:.2f}{unit} ({detail})", status


def print_table(evaluated, out):
    """Markdown: row, target, measured, status."""
    print("\n| issue 4 row | target | measured | result |", file=out)
    print("|---|---|---|---|", file=out)
    for row, (measured, status) in evaluated:
        print(f"| {row.name} | {row.target} | {measured} | {status} |", file=out)
