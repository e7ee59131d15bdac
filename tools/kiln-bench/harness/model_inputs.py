"""One set of inputs per case, shared by every engine.

Float inputs are N(0, 1) from one numpy seed. Masks are built the way the
golden script builds them and given in two forms: the row spans that Kiln's
models take, and the dense additive masks that Hugging Face (and so the
peers) use. Show-o's batch layout comes from tests/golden/generate.py
(imported lazily: it needs torch).
"""

import os
import sys

import numpy as np

GOLDEN = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..",
                                      "tests", "golden"))


def spans_from_allowed(allowed):
    """bool [B, Sq, Sk] -> i32 [B, Sq, 2] spans [lo, hi); [0, 0) for an empty
    row. Every row must be one interval (as the golden script checks)."""
    sk = allowed.shape[-1]
    any_key = allowed.any(-1)
    lo = np.where(any_key, allowed.argmax(-1), 0)
    hi = np.where(any_key, sk - allowed[..., ::-1].argmax(-1), 0)
    assert (allowed.sum(-1) == hi - lo).all(), "a mask row is not one interval"
    return np.stack([lo, hi], -1).astype(np.int32)


def allowed_from_spans(spans, keys):
    """i32 [B, Sq, 2] -> bool [B, Sq, keys]."""
    k = np.arange(keys)
    return (k >= spans[..., :1]) & (k < spans[..., 1:])


def dense_bias(allowed, masked_value, empty_rows_see_all=False):
    """Additive mask [B, 1, Sq, Sk] (f32): 0 where allowed, else masked_value.
    With empty_rows_see_all, a row that sees nothing gets 0 everywhere
    (Hugging Face mllama's full_text_row_masked_out_mask)."""
    bias = np.where(allowed, np.float32(0), np.float32(masked_value)).astype(np.float32)
    if empty_rows_see_all:
        bias *= allowed.any(-1, keepdims=True)
    return bias[:, None]


def showo_inputs(dims, seed):
    """Show-o's mixed batch (t2i with 0 and 9 left pads, MMU, LM rows, taken
    cyclically to B rows): input_ids, spans, and the dense attention_mask."""
    import torch
    sys.path.insert(0, GOLDEN)
    from generate import showo_batch
    b, length = dims["B"], dims["L"]
    side = 1
    while (2 * side) ** 2 <= 0.9 * length:  # the image: the largest 2^n x 2^n that fits
        side *= 2
    torch.manual_seed(seed)
    rows, allowed = showo_batch(length - side * side - 2, side * side)
    pick = [i % rows.shape[0] for i in range(b)]
    allowed = allowed.numpy()[pick]
    return {"input_ids": rows.numpy()[pick].astype(np.int64),
            "spans": spans_from_allowed(allowed),
            # Show-o adds iinfo(int64).min where masked, in f32.
            "attention_mask": dense_bias(allowed, float(np.iinfo(np.int64).min))}


def mllama_inputs(dims, rng):
    """Cross-attention visibility as HF's cross_attention_mask gives it: batch
    row 0 has its first 4 text rows before the image (they see no tile),
    row 1 does not see the last tile."""
    b, s, nv = dims["B"], dims["S"], dims["NV"]
    per_tile = 1025 if nv % 1025 == 0 else (nv // 2 if nv % 2 == 0 else nv)
    tiles = nv // per_tile
    visible = np.ones((b, s, tiles), dtype=bool)
    visible[0, :min(4, s)] = False
    if b > 1 and tiles > 1:
        visible[1, :, -1] = False
    allowed = np.repeat(visible, per_tile, axis=2)
    return {"hidden_states": rng.standard_normal((b, s, dims["D"]), dtype=np.float32),
            "vision_states": rng.standard_normal((b, nv, dims["D"]), dtype=np.float32),
            "spans": spans_from_allowed(allowed),
            "row_mask": allowed.any(-1, keepdims=True).astype(np.float32),
            "cross_attention_bias": dense_bias(allowed, np.finfo(np.float32).min, True)}


def make_inputs(model, dims, signature, seed):
    """Every input any engine of the case takes, by name."""
    rng = np.random.default_rng(seed)
    if model == "showo_omni_attention":
        return showo_inputs(dims, seed)
    if model == "mllama_cross_attention":
        return mllama_inputs(dims, rng)
    inputs = {}
    for name, shape, dtype in signature.inputs:
        if dtype != "float32":
            raise ValueError(f"{model}: no rule for the {dtype} input '{name}'")
        inputs[name] = rng.standard_normal(shape, dtype=np.float32)
    return inputs
