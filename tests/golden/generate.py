#!/usr/bin/python3
"""Golden data for the model zoo (see SPEC.md for the contract, README.md).

Run with Debian's python3 (torch 1.13, numpy 1.24):

    /usr/bin/python3 tests/golden/generate.py            # all cases
    /usr/bin/python3 tests/golden/generate.py qformer    # some cases

Each case draws its parameters (rounded to f16) and inputs from a fixed
seed, computes the outputs in float64, and repeats the computation in float32
to check that the tolerance written to meta.json is within reach of an f32
implementation. The architectures are written here from ARCHITECTURES.md;
nothing is imported from transformers.
"""

import math
import os
import sys

import torch

sys.dont_write_bytecode = True  # keep tests/golden free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import Params, write_case, read_safetensors  # noqa: E402
from reference import (allowed_to_bias, attention, gelu_erf, gelu_tanh,  # noqa: E402
                       layer_norm, linear, moe_combine, rms_norm, rope, route,
                       spans_from_allowed, swiglu)

ROOT = os.path.dirname(os.path.abspath(__file__))
RTOL = 1e-4
MAX_BYTES = 25_000_000
MIN_MARGIN = 5e-4  # smallest top-k (and group) score gap we accept


def lin(W, name, x):
    """Linear layer `name` (weight [out, in], bias if present)."""
    return linear(x, W[name + ".weight"], W.get(name + ".bias"))


def ln(W, name, x, eps):
    return layer_norm(x, W[name + ".weight"], W[name + ".bias"], eps)


def eps_probe(t, index, factor):
    """Scales t[index] by `factor`: rows of tiny variance make the output
    depend visibly on the norm epsilon (a wrong eps fails the comparison)."""
    t[index] *= factor
    return t


class Case:
    """One golden case: dims, how to draw parameters and inputs, the forward.

    `build()` returns (Params, inputs); inputs whose names start with `_`
    are private to the forward (e.g. a mask in its Hugging Face form) and are
    not written. `forward(W, inputs)` returns (outputs, diagnostics);
    `accept(outputs, diagnostics)` may reject a draw (the seed is then
    advanced), e.g. for routing ties.
    """

    def __init__(self, name, model, dims, covers, build, forward, accept=None):
        self.name, self.model, self.dims, self.covers = name, model, dims, covers
        self.build, self.forward = build, forward
        self.accept = accept or (lambda outputs, diag: True)


# --------------------------------------------------------------------------
# 1. BLIP-2 Q-Former, query-only path
# --------------------------------------------------------------------------

def qformer():
    d = dict(B=2, Q=32, D=256, H=4, F=384, DV=384, M=65, P=512, LAYERS=3)
    B, Q, D, F, DV, M, L = (d[k] for k in ("B", "Q", "D", "F", "DV", "M", "LAYERS"))

    def build():
        p = Params()
        p.add("query_tokens", eps_probe(torch.randn(1, Q, D), (0, slice(0, 2)), 1e-3))
        p.norm("qformer.layernorm", D)
        for i in range(L):
            pre = f"qformer.encoder.layer.{i}."
            for n in ("query", "key", "value"):
                p.linear(pre + "attention.attention." + n, D, D)
            p.linear(pre + "attention.output.dense", D, D)
            p.norm(pre + "attention.output.LayerNorm", D)
            if i % 2 == 0:
                p.linear(pre + "crossattention.attention.query", D, D)
                p.linear(pre + "crossattention.attention.key", D, DV)
                p.linear(pre + "crossattention.attention.value", D, DV)
                p.linear(pre + "crossattention.output.dense", D, D)
                p.norm(pre + "crossattention.output.LayerNorm", D)
            p.linear(pre + "intermediate_query.dense", F, D)
            p.linear(pre + "output_query.dense", D, F)
            p.norm(pre + "output_query.LayerNorm", D)
        p.linear("language_projection", d["P"], D)
        return p, {"image_embeds": torch.randn(B, M, DV)}

    def forward(W, I):
        E = I["image_embeds"]
        eps = 1e-12

        def bert_attention(pre, x, kv):
            a = attention(lin(W, pre + "attention.query", x), lin(W, pre + "attention.key", kv),
                          lin(W, pre + "attention.value", kv), d["H"])
            return ln(W, pre + "output.LayerNorm", lin(W, pre + "output.dense", a) + x, eps)

        x = ln(W, "qformer.layernorm", W["query_tokens"].expand(E.shape[0], -1, -1), eps)
        for i in range(L):
            pre = f"qformer.encoder.layer.{i}."
            x = bert_attention(pre + "attention.", x, x)
            if i % 2 == 0:
                x = bert_attention(pre + "crossattention.", x, E)
            y = gelu_erf(lin(W, pre + "intermediate_query.dense", x))
            y = lin(W, pre + "output_query.dense", y)
            x = ln(W, pre + "output_query.LayerNorm", y + x, eps)
        return {"query_output": x, "language_model_inputs": lin(W, "language_projection", x)}, {}

    return Case("qformer", "qformer", d,
                "BLIP-2 Q-Former query path: LN'd learned queries, 3 post-LN BERT layers with "
                "cross-attention (65 keys of width 384) on layers 0 and 2, exact GELU, eps 1e-12, "
                "language projection to 512", build, forward)


# --------------------------------------------------------------------------
# 2. mllama: Llama self-attention layers + gated cross-attention layer
# --------------------------------------------------------------------------

LLAMA3_ROPE = dict(factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0, original=8192)


def hf_cross_attention_mask(mask, tokens_per_tile, dtype):
    """HF `_prepare_cross_attention_mask`: {0,1} [B, S, images, tiles] ->
    (additive bias [B, 1, S, NV], full_text_row_masked_out_mask [B, 1, S, 1])."""
    b, s = mask.shape[:2]
    m = mask.repeat_interleave(tokens_per_tile, dim=3).reshape(b, s, -1).unsqueeze(1)
    inverted = (1.0 - m).to(dtype)
    bias = inverted.masked_fill(inverted.to(torch.bool), torch.finfo(dtype).min)
    rows = (bias != torch.finfo(dtype).min).any(dim=-1).to(dtype)[..., None]
    return bias * rows, rows


def mllama_cross_attention():
    d = dict(B=2, S=32, D=256, HQ=4, HKV=1, DH=64, F=288, NV=130, LAYERS=5)
    B, S, D, HQ, HKV, DH, F, NV, L = d.values()
    tiles, per_tile = 2, NV // 2

    def is_cross(i):
        return i % 5 == 3

    def build():
        p = Params()
        for i in range(L):
            pre = f"model.layers.{i}."
            attn = pre + ("cross_attn." if is_cross(i) else "self_attn.")
            p.norm(pre + "input_layernorm", D, bias=False)
            p.linear(attn + "q_proj", HQ * DH, D, bias=False)
            p.linear(attn + "k_proj", HKV * DH, D, bias=False)
            p.linear(attn + "v_proj", HKV * DH, D, bias=False)
            p.linear(attn + "o_proj", D, HQ * DH, bias=False)
            if is_cross(i):
                p.norm(attn + "q_norm", DH, bias=False)
                p.norm(attn + "k_norm", DH, bias=False)
                p.add(pre + "cross_attn_attn_gate", [0.5])
                p.add(pre + "cross_attn_mlp_gate", [-0.3])
            p.norm(pre + "post_attention_layernorm", D, bias=False)
            p.linear(pre + "mlp.gate_proj", F, D, bias=False)
            p.linear(pre + "mlp.up_proj", F, D, bias=False)
            p.linear(pre + "mlp.down_proj", D, F, bias=False)
        p.norm("model.norm", D, bias=False)
        # HF cross_attention_mask [B, S, images=1, tiles=2]: batch row 0 has its
        # first 4 text rows before <|image|> (fully masked); row 1 masks tile 1.
        xmask = torch.ones(B, S, 1, tiles, dtype=torch.int64)
        xmask[0, :4] = 0
        xmask[1, :, :, 1] = 0
        allowed = xmask.repeat_interleave(per_tile, dim=3).reshape(B, S, NV).bool()
        spans = spans_from_allowed(allowed)
        row_mask = allowed.any(-1).to(torch.float32)[..., None]
        inputs = {"hidden_states": eps_probe(torch.randn(B, S, D), (0, 5), 3e-3),
                  "vision_states": torch.randn(B, NV, D),
                  "spans": spans, "row_mask": row_mask, "_xmask": xmask}
        return p, inputs

    def forward(W, I):
        h, xv = I["hidden_states"], I["vision_states"]
        dtype = h.dtype
        xbias, rows = hf_cross_attention_mask(I["_xmask"], per_tile, dtype)
        assert torch.equal(rows[:, 0], I["row_mask"]), "row_mask disagrees with HF"
        causal = allowed_to_bias(torch.ones(S, S, dtype=torch.bool).tril()[None], dtype)
        pos = torch.arange(S)
        for i in range(L):
            pre = f"model.layers.{i}."
            x = rms_norm(h, W[pre + "input_layernorm.weight"], 1e-5)
            if not is_cross(i):
                at = pre + "self_attn."
                q = rope(lin(W, at + "q_proj", x), HQ, DH, 500000.0, pos, LLAMA3_ROPE)
                k = rope(lin(W, at + "k_proj", x), HKV, DH, 500000.0, pos, LLAMA3_ROPE)
                a = attention(q, k, lin(W, at + "v_proj", x), HQ, HKV, bias=causal)
                h = h + lin(W, at + "o_proj", a)
            else:
                at = pre + "cross_attn."
                q = lin(W, at + "q_proj", x).reshape(B, S, HQ, DH)
                q = rms_norm(q, W[at + "q_norm.weight"], 1e-5).reshape(B, S, HQ * DH)
                k = lin(W, at + "k_proj", xv).reshape(B, NV, HKV, DH)
                k = rms_norm(k, W[at + "k_norm.weight"], 1e-5).reshape(B, NV, HKV * DH)
                a = attention(q, k, lin(W, at + "v_proj", xv), HQ, HKV, bias=xbias)
                h = h + torch.tanh(W[pre + "cross_attn_attn_gate"]) * lin(W, at + "o_proj", a)
            y = rms_norm(h, W[pre + "post_attention_layernorm.weight"], 1e-5)
            m = swiglu(y, W[pre + "mlp.gate_proj.weight"], W[pre + "mlp.up_proj.weight"],
                       W[pre + "mlp.down_proj.weight"])
            if is_cross(i):
                h = h + torch.tanh(W[pre + "cross_attn_mlp_gate"]) * (rows[:, 0] * m)
            else:
                h = h + m
        return {"last_hidden_state": rms_norm(h, W["model.norm.weight"], 1e-5)}, {}

    return Case("mllama_cross_attention", "mllama_cross_attention", d,
                "4 Llama self-attention layers (RoPE llama3 theta 5e5, GQA 4:1, causal) and a "
                "gated cross-attention layer at index 3 (q/k RMSNorm, tanh gates 0.5/-0.3, "
                "row_spans with 4 empty rows attending to all 130 vision tokens as in HF, a batch "
                "row seeing tile 0 only, MLP zeroed on empty rows), final norm", build, forward)


# --------------------------------------------------------------------------
# 3. Show-o: Phi layers with the Omni-Attention mask
# --------------------------------------------------------------------------

SHOWO_IDS = dict(bos=1, eos=2, soi=256, eoi=257, t2i=260, mmu=261, pad=265, mask=778)


def showo_mask_predict_next(seq):
    """Show-o `create_attention_mask_predict_next(rm_pad_in_image=True)` as
    a visibility matrix [N, L, L] (True = may attend)."""
    ids = SHOWO_IDS
    n, length = seq.shape
    soi, eoi, pad = seq == ids["soi"], seq == ids["eoi"], seq == ids["pad"]
    in_image = (soi.cumsum(1) > eoi.cumsum(1)) | soi | eoi
    causal = torch.ones(length, length, dtype=torch.bool).tril()
    text_rows = (~in_image)[:, :, None] & causal[None]
    image_rows = torch.ones(n, length, length, dtype=torch.bool)
    for i in range(n):
        pads = torch.nonzero(pad[i]).flatten()
        if len(pads):
            text_rows[i, pads[-1] + 1:, :pads[-1] + 1] = False
        start = int(torch.nonzero(soi[i]).flatten()[0])
        image_rows[i, start:, pads] = False
    return torch.where(in_image[:, :, None], image_rows, text_rows)


def showo_mask_mmu(seq):
    """Show-o `create_attention_mask_for_mmu`: causal, or key <= eoi (of row 0)."""
    length = seq.shape[1]
    allowed = torch.ones(seq.shape[0], length, length, dtype=torch.bool).tril()
    eoi = int(torch.nonzero(seq == SHOWO_IDS["eoi"])[0, 1])
    allowed[:, :, :eoi + 1] = True
    return allowed


def showo_batch(text_len, image_tokens):
    """Four rows: t2i with 0 and 9 left pads, MMU right-padded by 5, LM right-padded by 7."""
    ids = SHOWO_IDS

    def text(n):
        return torch.randint(3, 256, (n,)).tolist()

    def image(masked):
        codes = torch.randint(266, 778, (image_tokens,))
        if masked:
            codes[torch.rand(image_tokens) < 0.4] = ids["mask"]
        return codes.tolist()

    def t2i(pads):
        body = [ids["t2i"], ids["bos"]] + text(text_len - pads - 3) + [ids["eos"]]
        return [ids["pad"]] * pads + body + [ids["soi"]] + image(True) + [ids["eoi"]]

    length = text_len + image_tokens + 2
    mmu_text = length - image_tokens - 3 - 5 - 2
    mmu = ([ids["mmu"], ids["soi"]] + image(False) + [ids["eoi"], ids["bos"]] + text(mmu_text)
           + [ids["eos"]] + [ids["pad"]] * 5)
    lm = [ids["bos"]] + text(length - 2 - 7) + [ids["eos"]] + [ids["pad"]] * 7
    rows = torch.tensor([t2i(0), t2i(9), mmu, lm], dtype=torch.int64)
    allowed = torch.cat([showo_mask_predict_next(rows[:2]), showo_mask_mmu(rows[2:3]),
                         torch.ones(1, length, length, dtype=torch.bool).tril()])
    return rows, allowed


def showo_omni_attention():
    d = dict(B=4, L=83, D=256, H=4, RD=32, F=384, V=779, LAYERS=2)
    B, L, D, H, RD, F, V, NL = d.values()

    def build():
        p = Params()
        embed = eps_probe(torch.randn(V, D), SHOWO_IDS["pad"], 1e-2)
        p.add("showo.model.embed_tokens.weight", embed)
        for i in range(NL):
            pre = f"showo.model.layers.{i}."
            p.norm(pre + "input_layernorm", D)
            for n in ("q_proj", "k_proj", "v_proj", "dense"):
                p.linear(pre + "self_attn." + n, D, D)
            p.linear(pre + "mlp.fc1", F, D)
            p.linear(pre + "mlp.fc2", D, F)
        p.norm("showo.model.final_layernorm", D)
        p.linear("showo.lm_head", V, D)
        ids, allowed = showo_batch(17, 64)
        spans = spans_from_allowed(allowed)
        assert (spans[..., 1] > spans[..., 0]).all(), "an Omni-Attention row is empty"
        return p, {"input_ids": ids, "spans": spans, "_allowed": allowed}

    def forward(W, I):
        h = W["showo.model.embed_tokens.weight"][I["input_ids"]]
        # Show-o's additive mask: iinfo(int64).min where masked, added in fp32.
        bias = allowed_to_bias(I["_allowed"], h.dtype, float(torch.iinfo(torch.int64).min))
        pos = torch.arange(L)
        for i in range(NL):
            pre = f"showo.model.layers.{i}."
            x = ln(W, pre + "input_layernorm", h, 1e-5)
            q = rope(lin(W, pre + "self_attn.q_proj", x), H, RD, 10000.0, pos)
            k = rope(lin(W, pre + "self_attn.k_proj", x), H, RD, 10000.0, pos)
            a = attention(q, k, lin(W, pre + "self_attn.v_proj", x), H, bias=bias)
            mlp = lin(W, pre + "mlp.fc2", gelu_tanh(lin(W, pre + "mlp.fc1", x)))
            h = h + lin(W, pre + "self_attn.dense", a) + mlp
        x = ln(W, "showo.model.final_layernorm", h, 1e-5)
        return {"logits": lin(W, "showo.lm_head", x)}, {}

    return Case("showo_omni_attention", "showo_omni_attention", d,
                "2 Phi parallel blocks (partial rotary 32/64, gelu_new, LN 1e-5) with "
                "Omni-Attention row_spans over a mixed batch: t2i rows with 0 and 9 left pads, "
                "an MMU row right-padded by 5, an LM row; lm_head logits over 779 tokens",
                build, forward)


# --------------------------------------------------------------------------
# 4. Mixtral sparse MoE blocks
# --------------------------------------------------------------------------

def mixtral_moe(adversarial=False):
    d = dict(B=2, S=32, D=256, E=8, K=2, F=32 if adversarial else 128, LAYERS=2)
    B, S, D, E, K, F, L = d.values()
    first, never = 5, 2  # adversarial: every token's top-1, and the unused expert

    def build():
        p = Params()
        x = torch.randn(B, S, D)
        if adversarial:  # a common component that the routers can key on
            common = torch.randn(D)
            x = x + 2.0 * common
            direction = common / common.norm()
        else:
            x = eps_probe(x, (1, 7), 3e-3)
        for i in range(L):
            pre = f"model.layers.{i}."
            p.norm(pre + "post_attention_layernorm", D, bias=False)
            router = torch.randn(E, D) * D ** -0.5
            if adversarial:
                router[first] += 0.3 * direction
                router[never] -= 0.3 * direction
            p.add(pre + "block_sparse_moe.gate.weight", router)
            for e in range(E):
                ex = f"{pre}block_sparse_moe.experts.{e}."
                p.linear(ex + "w1", F, D, bias=False)
                p.linear(ex + "w3", F, D, bias=False)
                p.linear(ex + "w2", D, F, bias=False)
        return p, {"hidden_states": x}

    def forward(W, I):
        h = I["hidden_states"]
        T = B * S
        counts, aux, routes, margin = [], [], [], math.inf
        for i in range(L):
            pre = f"model.layers.{i}."
            y = rms_norm(h, W[pre + "post_attention_layernorm.weight"], 1e-5).reshape(T, D)
            logits = linear(y, W[pre + "block_sparse_moe.gate.weight"])
            scores, index, weights, m = route(logits, K, "softmax", normalize=True)
            experts = [tuple(W[f"{pre}block_sparse_moe.experts.{e}.{w}.weight"]
                             for w in ("w1", "w3", "w2")) for e in range(E)]
            h = h + moe_combine(y, index, weights, experts).reshape(B, S, D)
            count = torch.bincount(index.flatten(), minlength=E)
            # HF load_balancing_loss_func on this layer's logits alone.
            aux.append(E * (count.to(h.dtype) / T * scores.mean(0)).sum())
            counts.append(count)
            routes.append(index)
            margin = min(margin, m)
        outputs = {"output": h, "router_counts": torch.stack(counts),
                   "aux_loss": torch.stack(aux)}
        return outputs, {"routes": routes, "margin": margin}

    def accept(outputs, diag):
        if not adversarial:
            return True
        counts = outputs["router_counts"]
        return (all(bool((r[:, 0] == first).all()) for r in diag["routes"])
                and bool((counts[:, never] == 0).all()))

    name = "mixtral_moe_adversarial" if adversarial else "mixtral_moe"
    covers = ("2 Mixtral MoE blocks (RMSNorm, softmax top-2 renormalised, 8 SwiGLU experts) on "
              "64 tokens, per-layer counts and HF switch aux loss")
    if adversarial:
        covers += "; adversarial routing: every token's top-1 is expert 5, expert 2 gets no token"
    return Case(name, "mixtral_moe", d, covers, build, forward, accept)


# --------------------------------------------------------------------------
# 5. DeepSeekMoE block (16B routing, and the V3 sigmoid/grouped variant)
# --------------------------------------------------------------------------

def deepseek_moe(v3=False):
    d = dict(B=2, S=32, D=256, E=16, K=4, FE=32 if v3 else 64, FS=32 if v3 else 128, LAYERS=1)
    if v3:
        d.update(G=4, TG=2)
    B, S, D, E, K, FE, FS, L = (d[k] for k in ("B", "S", "D", "E", "K", "FE", "FS", "LAYERS"))
    alpha = 0.001

    def build():
        p = Params()
        for i in range(L):
            pre = f"model.layers.{i}."
            p.norm(pre + "post_attention_layernorm", D, bias=False)
            p.linear(pre + "mlp.gate", E, D, bias=False)
            if v3:
                p.randn(pre + "mlp.gate.e_score_correction_bias", (E,), 0.05)
            for e in range(E):
                ex = f"{pre}mlp.experts.{e}."
                p.linear(ex + "gate_proj", FE, D, bias=False)
                p.linear(ex + "up_proj", FE, D, bias=False)
                p.linear(ex + "down_proj", D, FE, bias=False)
            p.linear(pre + "mlp.shared_experts.gate_proj", FS, D, bias=False)
            p.linear(pre + "mlp.shared_experts.up_proj", FS, D, bias=False)
            p.linear(pre + "mlp.shared_experts.down_proj", D, FS, bias=False)
        return p, {"hidden_states": eps_probe(torch.randn(B, S, D), (1, 7), 3e-3)}

    def forward(W, I):
        h = I["hidden_states"]
        T = B * S
        counts, aux, routes, margin, zero_fill_ok = [], [], [], math.inf, True
        for i in range(L):
            pre = f"model.layers.{i}."
            y = rms_norm(h, W[pre + "post_attention_layernorm.weight"], 1e-6).reshape(T, D)
            logits = linear(y, W[pre + "mlp.gate.weight"])
            if v3:
                bias = W[pre + "mlp.gate.e_score_correction_bias"]
                scores, index, weights, m = route(
                    logits, K, "sigmoid", normalize=True, scale=2.5, groups=d["G"],
                    topk_groups=d["TG"], selection_bias=bias, norm_eps=1e-20)
                # HF V3 fills experts of unselected groups with 0.0, not -inf.
                zero_fill_ok &= hf_v3_selection_agrees(scores + bias, index, d["G"], d["TG"], K)
            else:
                scores, index, weights, m = route(logits, K, "softmax")
            experts = [tuple(W[f"{pre}mlp.experts.{e}.{w}.weight"]
                             for w in ("gate_proj", "up_proj", "down_proj")) for e in range(E)]
            shared = tuple(W[f"{pre}mlp.shared_experts.{w}.weight"]
                           for w in ("gate_proj", "up_proj", "down_proj"))
            h = h + moe_combine(y, index, weights, experts, shared).reshape(B, S, D)
            counts.append(torch.bincount(index.flatten(), minlength=E))
            if not v3:  # sequence-level aux loss (DeepSeekMoE MoEGate, seq_aux=True)
                per_seq = torch.stack([torch.bincount(index.reshape(B, S * K)[b], minlength=E)
                                       for b in range(B)]).to(h.dtype)
                ce = per_seq / (S * K / E)
                aux.append(alpha * (ce * scores.reshape(B, S, E).mean(1)).sum(1).mean())
            routes.append(index)
            margin = min(margin, m)
        outputs = {"output": h, "router_counts": torch.stack(counts)}
        if not v3:
            outputs["aux_loss"] = torch.stack(aux)
        return outputs, {"routes": routes, "margin": margin, "ok": zero_fill_ok}

    name = "deepseek_moe_v3" if v3 else "deepseek_moe"
    if v3:
        covers = ("DeepSeek-V3 routing variant: sigmoid scores, selection bias, 4 groups scored "
                  "by top-2 sum with top-2 groups, top-4, normalised, scale 2.5, one shared expert")
    else:
        covers = ("DeepSeekMoE block: RMSNorm 1e-6, softmax top-4 of 16 fine-grained experts, no "
                  "renormalisation, fused shared experts, per-layer counts and sequence aux "
                  "loss (alpha 0.001)")
    return Case(name, "deepseek_moe", d, covers, build, forward,
                lambda outputs, diag: diag["ok"])


def hf_v3_selection_agrees(choice, index, groups, topk_groups, k):
    """True if HF V3's masked_fill(0.0) selects the same experts as -inf."""
    t, e = choice.shape
    group_scores = choice.reshape(t, groups, -1).topk(2, dim=-1).values.sum(-1)
    chosen = group_scores.topk(topk_groups, dim=-1).indices
    mask = torch.zeros(t, groups, dtype=torch.bool).scatter_(1, chosen, True)
    masked = choice.masked_fill(~mask.repeat_interleave(e // groups, dim=1), 0.0)
    hf_index = masked.topk(k, dim=-1).indices
    return torch.equal(hf_index.sort(-1).values, index.sort(-1).values)


# --------------------------------------------------------------------------
# 6. LLaVA projector and splice
# --------------------------------------------------------------------------

def llava_projector():
    d = dict(B=2, N=64, DV=128, DT=256, T=40, A=5)
    B, N, DV, DT, T, A = d.values()

    def build():
        p = Params()
        p.linear("multi_modal_projector.linear_1", DT, DV)
        p.linear("multi_modal_projector.linear_2", DT, DT)
        return p, {"image_features": torch.randn(B, N, DV), "inputs_embeds": torch.randn(B, T, DT)}

    def forward(W, I):
        hidden = gelu_erf(lin(W, "multi_modal_projector.linear_1", I["image_features"]))
        projected = lin(W, "multi_modal_projector.linear_2", hidden)
        text = I["inputs_embeds"]
        merged = torch.cat([text[:, :A], projected, text[:, A:]], dim=1)
        return {"projected": projected, "merged_embeds": merged}, {}

    return Case("llava_projector", "llava_projector", d,
                "LLaVA-1.5 mlp2x_gelu projector 128->256->256 (exact GELU) on 2x64 image tokens, "
                "spliced after the first 5 of 40 text embeddings", build, forward)


# --------------------------------------------------------------------------
# 7. ViT patch embedding
# --------------------------------------------------------------------------

def vit_patch_embed(odd=False):
    d = dict(B=2, C=3, IH=28 if odd else 32, IW=28 if odd else 32, P=7 if odd else 8, D=64)
    B, C, IH, IW, P, D = d.values()
    N = (IH // P) * (IW // P)

    def build():
        p = Params()
        pre = "vit.embeddings."
        p.randn(pre + "patch_embeddings.projection.weight", (D, C, P, P), (C * P * P) ** -0.5)
        p.randn(pre + "patch_embeddings.projection.bias", (D,), 0.1)
        p.randn(pre + "cls_token", (1, 1, D))
        p.randn(pre + "position_embeddings", (1, N + 1, D))
        return p, {"pixel_values": torch.randn(B, C, IH, IW)}

    def forward(W, I):
        pre = "vit.embeddings."
        x = torch.nn.functional.conv2d(I["pixel_values"],
                                       W[pre + "patch_embeddings.projection.weight"],
                                       W[pre + "patch_embeddings.projection.bias"], stride=P)
        patches = x.flatten(2).transpose(1, 2)
        cls = W[pre + "cls_token"].expand(B, -1, -1)
        emb = torch.cat([cls, patches], dim=1) + W[pre + "position_embeddings"]
        return {"patch_embeds": patches, "embeddings": emb}, {}

    name = "vit_patch_embed_odd" if odd else "vit_patch_embed"
    covers = (f"ViT patch embedding {C}x{IH}x{IW}, P={P} (K={C * P * P}), D={D}, conv bias, "
              f"CLS and learned positions ({N}+1 tokens)")
    return Case(name, "vit_patch_embed", d, covers, build, forward)


# --------------------------------------------------------------------------
# 8. SigLIP encoder layers, post-LN and MAP head
# --------------------------------------------------------------------------

def siglip_layer(odd=False):
    if odd:
        d = dict(B=2, N=49, D=144, H=2, F=560, LAYERS=1)
    else:
        d = dict(B=2, N=64, D=256, H=4, F=384, LAYERS=2)
    B, N, D, H, F, L = d.values()

    def build():
        p = Params()
        for i in range(L):
            pre = f"vision_model.encoder.layers.{i}."
            p.norm(pre + "layer_norm1", D)
            for n in ("q_proj", "k_proj", "v_proj", "out_proj"):
                p.linear(pre + "self_attn." + n, D, D)
            p.norm(pre + "layer_norm2", D)
            p.linear(pre + "mlp.fc1", F, D)
            p.linear(pre + "mlp.fc2", D, F)
        p.norm("vision_model.post_layernorm", D)
        p.randn("vision_model.head.probe", (1, 1, D))
        p.randn("vision_model.head.attention.in_proj_weight", (3 * D, D), D ** -0.5)
        p.randn("vision_model.head.attention.in_proj_bias", (3 * D,), 0.1)
        p.linear("vision_model.head.attention.out_proj", D, D)
        p.norm("vision_model.head.layernorm", D)
        p.linear("vision_model.head.mlp.fc1", F, D)
        p.linear("vision_model.head.mlp.fc2", D, F)
        return p, {"inputs_embeds": eps_probe(torch.randn(B, N, D), (slice(None), 3), 1e-2)}

    def forward(W, I):
        h, eps = I["inputs_embeds"], 1e-6
        for i in range(L):
            pre = f"vision_model.encoder.layers.{i}."
            x = ln(W, pre + "layer_norm1", h, eps)
            q, k, v = (lin(W, pre + "self_attn." + n, x) for n in ("q_proj", "k_proj", "v_proj"))
            a = attention(q, k, v, H)
            h = h + lin(W, pre + "self_attn.out_proj", a)
            x = ln(W, pre + "layer_norm2", h, eps)
            h = h + lin(W, pre + "mlp.fc2", gelu_tanh(lin(W, pre + "mlp.fc1", x)))
        last = ln(W, "vision_model.post_layernorm", h, eps)
        head = "vision_model.head."
        w, b = W[head + "attention.in_proj_weight"], W[head + "attention.in_proj_bias"]
        probe = W[head + "probe"].expand(B, -1, -1)
        q = linear(probe, w[:D], b[:D])
        k = linear(last, w[D:2 * D], b[D:2 * D])
        v = linear(last, w[2 * D:], b[2 * D:])
        a = lin(W, head + "attention.out_proj", attention(q, k, v, H))
        x = ln(W, head + "layernorm", a, eps)
        pooled = a + lin(W, head + "mlp.fc2", gelu_tanh(lin(W, head + "mlp.fc1", x)))
        return {"last_hidden_state": last, "pooler_output": pooled[:, 0]}, {}

    name = "siglip_layer_odd" if odd else "siglip_layer"
    covers = (f"{L} SigLIP encoder layer(s) D={D}, H={H} (dh {D // H}), F={F}, N={N}, LN 1e-6, "
              "tanh GELU, post_layernorm and MAP head (packed in_proj, probe query)")
    return Case(name, "siglip_layer", d, covers, build, forward)


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

CASES = [qformer, mllama_cross_attention, showo_omni_attention,
         lambda: mixtral_moe(False), lambda: mixtral_moe(True),
         lambda: deepseek_moe(False), lambda: deepseek_moe(True),
         llava_projector, lambda: vit_patch_embed(False), lambda: vit_patch_embed(True),
         lambda: siglip_layer(False), lambda: siglip_layer(True)]


def convert(inputs, dtype):
    return {k: v.to(dtype) if v.is_floating_point() else v for k, v in inputs.items()}


def same_routes(a, b):
    return len(a) == len(b) and all(torch.equal(x.sort(-1).values, y.sort(-1).values)
                                    for x, y in zip(a, b))


def round_up(x):
    """x rounded up to one significant digit (a readable tolerance)."""
    exponent = math.floor(math.log10(x))
    return float(f"{math.ceil(x / 10 ** exponent - 1e-9)}e{exponent}")


def tolerances(golden, check):
    """atol = RTOL * rms(golden) per float output (rounded up to one digit),
    and the worst ratio |f32 - golden| / (atol + RTOL |golden|) of the f32 run."""
    atol, worst = {}, {}
    for name, g in golden.items():
        if not g.is_floating_point():
            assert torch.equal(g, check[name]), f"{name}: f32 run disagrees"
            continue
        rms = float(g.pow(2).mean().sqrt())
        atol[name] = round_up(RTOL * rms)
        err = (check[name].to(torch.float64) - g).abs()
        worst[name] = float((err / (atol[name] + RTOL * g.abs())).max())
    return atol, worst


def generate(case):
    seed0 = sum(ord(c) * 31 ** i for i, c in enumerate(case.name)) % 2 ** 31
    for attempt in range(50):
        seed = seed0 + attempt
        torch.manual_seed(seed)
        params, inputs = case.build()
        golden, diag = case.forward(params.as_dtype(torch.float64), convert(inputs, torch.float64))
        check, diag32 = case.forward(params.as_dtype(torch.float32), convert(inputs, torch.float32))
        routes_ok = "routes" not in diag or (
            diag["margin"] > MIN_MARGIN and same_routes(diag["routes"], diag32["routes"]))
        if routes_ok and case.accept(golden, diag):
            break
        print(f"  {case.name}: seed {seed} rejected (routing margin or condition), retrying")
    else:
        raise RuntimeError(f"{case.name}: no acceptable seed")
    atol, worst = tolerances(golden, check)
    defines = " ".join(f"-D {k}={v}" for k, v in case.dims.items())
    meta = {"case": case.name, "model": case.model, "dims": case.dims, "defines": defines,
            "seed": seed, "rtol": RTOL, "atol": atol, "covers": case.covers,
            "exact": [k for k, v in golden.items() if not v.is_floating_point()],
            "f32_torch_worst_ratio": {k: float("%.3g" % v) for k, v in worst.items()}}
    if "margin" in diag:
        meta["min_topk_margin"] = float("%.3g" % diag["margin"])
    public = {k: v for k, v in inputs.items() if not k.startswith("_")}
    write_case(ROOT, case.name, params, public, golden, meta)
    stored = read_safetensors(os.path.join(ROOT, case.name, "weights.safetensors"))
    assert all((stored[k] == v.numpy()).all() for k, v in params.f16.items())
    print(f"{case.name:26s} seed {seed:10d}  weights {params.nbytes() / 1e6:5.2f} MB  "
          f"f32 worst {max(worst.values()):.3f}  {defines}")


def main(names):
    cases = [make() for make in CASES]
    unknown = set(names) - {c.name for c in cases}
    assert not unknown, f"unknown cases: {sorted(unknown)}"
    for case in cases:
        if not names or case.name in names:
            generate(case)
    total = sum(os.path.getsize(os.path.join(dp, f))
                for dp, _, files in os.walk(ROOT) for f in files
                if os.path.basename(dp) != "__pycache__" and dp != ROOT)
    print(f"golden data: {total / 1e6:.2f} MB")
    assert total <= MAX_BYTES, "golden data over budget"


if __name__ == "__main__":
    main(sys.argv[1:])
