"""`kiln-bench check-peer-models`: the peers' PyTorch models (peer_models.py)
on every golden case of tests/golden, against the golden outputs, with the
tolerances of each case's meta.json.

This keeps the peers honest: a benchmark's peers compute what the golden
script computes, so when their outputs also agree with Kiln's (the
cross-check of every run), all three are the same computation.
"""

import json
import os

import numpy as np
import torch

from . import peer_models
from .model_inputs import GOLDEN, allowed_from_spans, dense_bias


def _golden_inputs(case_dir, meta):
    inputs = {i["name"]: np.load(os.path.join(case_dir, i["name"] + ".npy"))
              for i in meta["inputs"]}
    dims = meta["dims"]
    if meta["model"] == "showo_omni_attention":
        allowed = allowed_from_spans(inputs["spans"], dims["L"])
        inputs["attention_mask"] = dense_bias(allowed, float(np.iinfo(np.int64).min))
    if meta["model"] == "mllama_cross_attention":
        allowed = allowed_from_spans(inputs["spans"], dims["NV"])
        inputs["cross_attention_bias"] = dense_bias(allowed, np.finfo(np.float32).min, True)
    return inputs


def check_case(case_dir):
    """(worst ratio |peer - golden| / (atol + rtol |golden|), notes)."""
    from golden_io import read_safetensors
    with open(os.path.join(case_dir, "meta.json")) as f:
        meta = json.load(f)
    model = peer_models.build(meta["model"], meta["dims"])
    weights = {n: torch.from_numpy(a.astype(np.float32))
               for n, a in read_safetensors(os.path.join(case_dir, "weights.safetensors")).items()}
    inputs = {n: torch.from_numpy(a) for n, a in _golden_inputs(case_dir, meta).items()}
    with torch.inference_mode():
        outputs = model.forward(weights, inputs)
    worst, notes = 0.0, []
    for out in meta["outputs"]:
        golden = np.load(os.path.join(case_dir, out["name"] + ".npy"))
        got = outputs[out["name"]].numpy()
        if out["name"] in meta["exact"]:
            if not np.array_equal(got, golden):
                notes.append(f"{out['name']} differs")
            continue
        allowed = meta["atol"][out["name"]] + meta["rtol"] * np.abs(golden)
        worst = max(worst, float((np.abs(got - golden) / allowed).max()))
    return worst, notes


def check_all(out):
    """Checks every golden case; returns 0 if all pass, 1 otherwise."""
    failed = passed = 0
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    for name in sorted(os.listdir(GOLDEN)):
        case_dir = os.path.join(GOLDEN, name)
        if not os.path.exists(os.path.join(case_dir, "meta.json")):
            continue
        try:
            worst, notes = check_case(case_dir)
        except NotImplementedError as error:
            print(f"  {name:26s} skipped: {error}", file=out)
            continue
        ok = worst <= 1.0 and not notes
        passed, failed = passed + ok, failed + (not ok)
        print(f"  {name:26s} {'ok  ' if ok else 'FAIL'} worst {worst:.3f} of the tolerance"
              + (f"; {'; '.join(notes)}" if notes else ""), file=out)
    print(f"check-peer-models: {passed} passed, {failed} failed", file=out)
    return 1 if failed else 0
