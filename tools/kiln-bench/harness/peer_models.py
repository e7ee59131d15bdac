"""The peers' models: the golden-data architectures as PyTorch functions.

tests/golden/generate.py writes each zoo architecture as a forward(W, inputs)
closed over the small golden sizes. The peers need them at any size and in
the form that Hugging Face's modules take (F.linear, F.layer_norm,
scaled_dot_product_attention, Mixtral's per-expert index_add), so that ONNX
export, torch.compile and IREE see an ordinary model. Each builder here takes
the dims and returns a PeerModel; the dataflow follows generate.py line by
line, reusing reference.py's llama3 frequency scaling. `kiln-bench
check-peer-models` runs every builder on the golden cases and compares with
the golden outputs.

Masks are inputs, as Hugging Face gives them: Show-o gets the dense additive
`attention_mask` [B, 1, L, L], mllama the additive `cross_attention_bias`
[B, 1, S, NV]; Kiln gets the equivalent row spans.
"""

import os
import sys
from collections import namedtuple

import torch
import torch.nn.functional as F

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "golden")
sys.path.insert(0, os.path.abspath(GOLDEN))
from reference import llama3_inv_freq  # noqa: E402

LLAMA3_ROPE = dict(factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0, original=8192)

PeerModel = namedtuple("PeerModel", "inputs outputs forward")
"""Input and output names in Kiln's order, and forward(W, inputs) -> dict."""


def lin(W, name, x):
    return F.linear(x, W[name + ".weight"], W.get(name + ".bias"))


def ln(W, name, x, eps):
    return F.layer_norm(x, x.shape[-1:], W[name + ".weight"], W[name + ".bias"], eps)


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def swiglu(x, gate, up, down):
    return F.linear(F.silu(F.linear(x, gate)) * F.linear(x, up), down)


def attention(q, k, v, heads, kv_heads=None, mask=None, causal=False):
    """Multi-head attention on projections [B, S, heads * dh], scale dh^-0.5;
    `mask` is additive, broadcastable to [B, heads, Sq, Sk]."""
    kv_heads = kv_heads or heads
    b, sq, width = q.shape
    sk, dh = k.shape[1], width // heads
    q = q.reshape(b, sq, heads, dh).transpose(1, 2)
    k = k.reshape(b, sk, kv_heads, dh).transpose(1, 2)
    v = v.reshape(b, sk, kv_heads, dh).transpose(1, 2)
    if kv_heads != heads:  # Hugging Face's repeat_kv
        k = k.repeat_interleave(heads // kv_heads, dim=1)
        v = v.repeat_interleave(heads // kv_heads, dim=1)
    if hasattr(F, "scaled_dot_product_attention"):
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
    else:  # torch 1.x
        s = q @ k.transpose(-1, -2) * dh ** -0.5
        if mask is not None:
            s = s + mask
        if causal:
            s = s.masked_fill(torch.ones(sq, sk, dtype=torch.bool).triu(1), float("-inf"))
        o = torch.softmax(s, -1) @ v
    return o.transpose(1, 2).reshape(b, sq, heads * dh)


def rope_tables(length, rotary_dim, theta, llama3=None):
    """cos, sin [length, rotary_dim] of rotate_half RoPE at positions 0..length-1."""
    inv_freq = 1.0 / theta ** (torch.arange(0, rotary_dim, 2, dtype=torch.float64) / rotary_dim)
    if llama3 is not None:
        inv_freq = llama3_inv_freq(inv_freq, **llama3)
    angles = torch.arange(length, dtype=torch.float64)[:, None] * inv_freq[None, :]
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos().float(), angles.sin().float()


def apply_rope(x, heads, cos, sin):
    """Rotates the first cos.shape[-1] channels of every head of x [B, S, heads * dh]."""
    b, s, width = x.shape
    dh, rd = width // heads, cos.shape[-1]
    x = x.reshape(b, s, heads, dh)
    rot = x[..., :rd]
    rotated = torch.cat([-rot[..., rd // 2:], rot[..., :rd // 2]], dim=-1)
    rot = rot * cos[:, None, :] + rotated * sin[:, None, :]
    if rd < dh:
        rot = torch.cat([rot, x[..., rd:]], dim=-1)
    return rot.reshape(b, s, width)


def expert_mix(x, index, weights, experts):
    """Mixtral's sparse combine: each expert runs on the tokens routed to it
    (torch.where), scaled by their weights and index_add'ed into place."""
    out = torch.zeros_like(x)
    for e, (gate, up, down) in enumerate(experts):
        token, slot = torch.where(index == e)
        y = swiglu(x[token], gate, up, down) * weights[token, slot, None]
        out = out.index_add(0, token, y)
    return out


def expert_counts(index, experts):
    """(token, slot) assignments per expert, i64 [experts]."""
    return (index.unsqueeze(-1) == torch.arange(experts)).sum((0, 1))


# --------------------------------------------------------------------------
# The zoo (SPEC.md sections 1-8)
# --------------------------------------------------------------------------

def qformer(d):
    heads, layers = d["H"], d["LAYERS"]

    def forward(W, I):
        image, eps = I["image_embeds"], 1e-12

        def bert_attention(pre, x, kv):
            a = attention(lin(W, pre + "attention.query", x), lin(W, pre + "attention.key", kv),
                          lin(W, pre + "attention.value", kv), heads)
            return ln(W, pre + "output.LayerNorm", lin(W, pre + "output.dense", a) + x, eps)

        x = ln(W, "qformer.layernorm", W["query_tokens"].expand(image.shape[0], -1, -1), eps)
        for i in range(layers):
            pre = f"qformer.encoder.layer.{i}."
            x = bert_attention(pre + "attention.", x, x)
            if i % 2 == 0:
                x = bert_attention(pre + "crossattention.", x, image)
            y = F.gelu(lin(W, pre + "intermediate_query.dense", x))
            x = ln(W, pre + "output_query.LayerNorm", lin(W, pre + "output_query.dense", y) + x, eps)
        return {"query_output": x, "language_model_inputs": lin(W, "language_projection", x)}

    return PeerModel(["image_embeds"], ["query_output", "language_model_inputs"], forward)


def mllama_cross_attention(d):
    hq, hkv, dh, layers = d["HQ"], d["HKV"], d["DH"], d["LAYERS"]
    cos, sin = rope_tables(d["S"], dh, 500000.0, LLAMA3_ROPE)

    def forward(W, I):
        h, vision = I["hidden_states"], I["vision_states"]
        b, s, _ = h.shape
        nv = vision.shape[1]
        for i in range(layers):
            pre = f"model.layers.{i}."
            x = rms_norm(h, W[pre + "input_layernorm.weight"], 1e-5)
            cross = i % 5 == 3
            if not cross:
                at = pre + "self_attn."
                q = apply_rope(lin(W, at + "q_proj", x), hq, cos, sin)
                k = apply_rope(lin(W, at + "k_proj", x), hkv, cos, sin)
                a = attention(q, k, lin(W, at + "v_proj", x), hq, hkv, causal=True)
                h = h + lin(W, at + "o_proj", a)
            else:
                at = pre + "cross_attn."
                q = lin(W, at + "q_proj", x).reshape(b, s, hq, dh)
                q = rms_norm(q, W[at + "q_norm.weight"], 1e-5).reshape(b, s, hq * dh)
                k = lin(W, at + "k_proj", vision).reshape(b, nv, hkv, dh)
                k = rms_norm(k, W[at + "k_norm.weight"], 1e-5).reshape(b, nv, hkv * dh)
                a = attention(q, k, lin(W, at + "v_proj", vision), hq, hkv,
                              mask=I["cross_attention_bias"])
                h = h + torch.tanh(W[pre + "cross_attn_attn_gate"]) * lin(W, at + "o_proj", a)
            y = rms_norm(h, W[pre + "post_attention_layernorm.weight"], 1e-5)
            m = swiglu(y, W[pre + "mlp.gate_proj.weight"], W[pre + "mlp.up_proj.weight"],
                       W[pre + "mlp.down_proj.weight"])
            if cross:
                m = torch.tanh(W[pre + "cross_attn_mlp_gate"]) * (I["row_mask"] * m)
            h = h + m
        return {"last_hidden_state": rms_norm(h, W["model.norm.weight"], 1e-5)}

    return PeerModel(["hidden_states", "vision_states", "cross_attention_bias", "row_mask"],
                     ["last_hidden_state"], forward)


def showo_omni_attention(d):
    heads, layers = d["H"], d["LAYERS"]
    cos, sin = rope_tables(d["L"], d["RD"], 10000.0)

    def forward(W, I):
        h = F.embedding(I["input_ids"], W["showo.model.embed_tokens.weight"])
        mask = I["attention_mask"]
        for i in range(layers):
            pre = f"showo.model.layers.{i}."
            x = ln(W, pre + "input_layernorm", h, 1e-5)
            q = apply_rope(lin(W, pre + "self_attn.q_proj", x), heads, cos, sin)
            k = apply_rope(lin(W, pre + "self_attn.k_proj", x), heads, cos, sin)
            a = attention(q, k, lin(W, pre + "self_attn.v_proj", x), heads, mask=mask)
            mlp = lin(W, pre + "mlp.fc2", F.gelu(lin(W, pre + "mlp.fc1", x), approximate="tanh"))
            h = h + lin(W, pre + "self_attn.dense", a) + mlp
        x = ln(W, "showo.model.final_layernorm", h, 1e-5)
        return {"logits": lin(W, "showo.lm_head", x)}

    return PeerModel(["input_ids", "attention_mask"], ["logits"], forward)


def mixtral_moe(d):
    experts, top_k, layers = d["E"], d["K"], d["LAYERS"]

    def forward(W, I):
        h = I["hidden_states"]
        b, s, dim = h.shape
        tokens = b * s
        counts, aux = [], []
        for i in range(layers):
            pre = f"model.layers.{i}."
            y = rms_norm(h, W[pre + "post_attention_layernorm.weight"], 1e-5).reshape(tokens, dim)
            scores = torch.softmax(F.linear(y, W[pre + "block_sparse_moe.gate.weight"]), -1)
            weights, index = scores.topk(top_k, dim=-1)
            weights = weights / weights.sum(-1, keepdim=True)
            mats = [tuple(W[f"{pre}block_sparse_moe.experts.{e}.{w}.weight"]
                          for w in ("w1", "w3", "w2")) for e in range(experts)]
            h = h + expert_mix(y, index, weights, mats).reshape(b, s, dim)
            count = expert_counts(index, experts)
            aux.append(experts * (count.to(h.dtype) / tokens * scores.mean(0)).sum())
            counts.append(count)
        return {"output": h, "router_counts": torch.stack(counts), "aux_loss": torch.stack(aux)}

    return PeerModel(["hidden_states"], ["output", "router_counts", "aux_loss"], forward)


def deepseek_moe(d):
    if d.get("G", 1) != 1:
        raise NotImplementedError("no peer model for the V3 grouped routing (G > 1)")
    experts, top_k, layers, alpha = d["E"], d["K"], d["LAYERS"], 0.001

    def forward(W, I):
        h = I["hidden_states"]
        b, s, dim = h.shape
        counts, aux = [], []
        for i in range(layers):
            pre = f"model.layers.{i}."
            y = rms_norm(h, W[pre + "post_attention_layernorm.weight"], 1e-6).reshape(b * s, dim)
            scores = torch.softmax(F.linear(y, W[pre + "mlp.gate.weight"]), -1)
            weights, index = scores.topk(top_k, dim=-1)
            mats = [tuple(W[f"{pre}mlp.experts.{e}.{w}.weight"]
                          for w in ("gate_proj", "up_proj", "down_proj")) for e in range(experts)]
            shared = tuple(W[f"{pre}mlp.shared_experts.{w}.weight"]
                           for w in ("gate_proj", "up_proj", "down_proj"))
            y = expert_mix(y, index, weights, mats) + swiglu(y, *shared)
            h = h + y.reshape(b, s, dim)
            counts.append(expert_counts(index, experts))
            per_seq = (index.reshape(b, s * top_k, 1) == torch.arange(experts)).sum(1)
            ce = per_seq.to(h.dtype) / (s * top_k / experts)
            aux.append(alpha * (ce * scores.reshape(b, s, experts).mean(1)).sum(1).mean())
        return {"output": h, "router_counts": torch.stack(counts), "aux_loss": torch.stack(aux)}

    return PeerModel(["hidden_states"], ["output", "router_counts", "aux_loss"], forward)


def llava_projector(d):
    a = d["A"]

    def forward(W, I):
        hidden = F.gelu(lin(W, "multi_modal_projector.linear_1", I["image_features"]))
        projected = lin(W, "multi_modal_projector.linear_2", hidden)
        text = I["inputs_embeds"]
        merged = torch.cat([text[:, :a], projected, text[:, a:]], dim=1)
        return {"projected": projected, "merged_embeds": merged}

    return PeerModel(["image_features", "inputs_embeds"], ["projected", "merged_embeds"], forward)


def vit_patch_embed(d):
    patch, pre = d["P"], "vit.embeddings."

    def forward(W, I):
        x = F.conv2d(I["pixel_values"], W[pre + "patch_embeddings.projection.weight"],
                     W[pre + "patch_embeddings.projection.bias"], stride=patch)
        patches = x.flatten(2).transpose(1, 2)
        cls = W[pre + "cls_token"].expand(patches.shape[0], -1, -1)
        return {"patch_embeds": patches,
                "embeddings": torch.cat([cls, patches], dim=1) + W[pre + "position_embeddings"]}

    return PeerModel(["pixel_values"], ["patch_embeds", "embeddings"], forward)


def siglip_layer(d):
    heads, layers, dim, eps = d["H"], d["LAYERS"], d["D"], 1e-6

    def forward(W, I):
        h = I["inputs_embeds"]
        for i in range(layers):
            pre = f"vision_model.encoder.layers.{i}."
            x = ln(W, pre + "layer_norm1", h, eps)
            q, k, v = (lin(W, pre + "self_attn." + n, x) for n in ("q_proj", "k_proj", "v_proj"))
            h = h + lin(W, pre + "self_attn.out_proj", attention(q, k, v, heads))
            x = ln(W, pre + "layer_norm2", h, eps)
            h = h + lin(W, pre + "mlp.fc2", F.gelu(lin(W, pre + "mlp.fc1", x), approximate="tanh"))
        last = ln(W, "vision_model.post_layernorm", h, eps)
        head = "vision_model.head."
        w, b = W[head + "attention.in_proj_weight"], W[head + "attention.in_proj_bias"]
        probe = W[head + "probe"].expand(h.shape[0], -1, -1)
        q = F.linear(probe, w[:dim], b[:dim])
        k = F.linear(last, w[dim:2 * dim], b[dim:2 * dim])
        v = F.linear(last, w[2 * dim:], b[2 * dim:])
        a = lin(W, head + "attention.out_proj", attention(q, k, v, heads))
        x = ln(W, head + "layernorm", a, eps)
        pooled = a + lin(W, head + "mlp.fc2", F.gelu(lin(W, head + "mlp.fc1", x), approximate="tanh"))
        return {"last_hidden_state": last, "pooler_output": pooled[:, 0]}

    return PeerModel(["inputs_embeds"], ["last_hidden_state", "pooler_output"], forward)


# --------------------------------------------------------------------------
# kiln-bench's own models (tools/kiln-bench/models)
# --------------------------------------------------------------------------

def gemm(d):
    return PeerModel(["a", "b"], ["c"], lambda W, I: {"c": I["a"] @ I["b"]})


def linear(d):
    return PeerModel(["x"], ["y"], lambda W, I: {"y": F.linear(I["x"], W["weight"])})


def attention_model(d):
    heads, causal = d["H"], d["CAUSAL"] == 1

    def forward(W, I):
        return {"o": attention(I["q"], I["k"], I["v"], heads, causal=causal)}

    return PeerModel(["q", "k", "v"], ["o"], forward)


# `kiln-bench ops`: one op each, on run-time inputs.

def matmul_at(d):
    return PeerModel(["a", "b"], ["c"], lambda W, I: {"c": I["a"].T @ I["b"]})


def scores(d):
    return PeerModel(["q", "k"], ["s"], lambda W, I: {"s": I["q"] @ I["k"].transpose(-1, -2)})


def top_k(d):
    def forward(W, I):
        values, indices = torch.topk(I["logits"], d["K"], dim=-1)
        return {"values": values, "indices": indices}

    return PeerModel(["logits"], ["values", "indices"], forward)


def column_sum(d):
    return PeerModel(["x"], ["y"], lambda W, I: {"y": I["x"].sum(0)})


def column_softmax(d):
    return PeerModel(["x"], ["y"], lambda W, I: {"y": torch.softmax(I["x"], 0)})


def decode_attention(d):
    def forward(W, I):
        return {"o": attention(I["q"], I["k"], I["v"], d["H"], kv_heads=d["HKV"])}

    return PeerModel(["q", "k", "v"], ["o"], forward)


OPS = {"matmul_at": matmul_at, "scores": scores, "top_k": top_k,
       "column_sum": column_sum, "column_softmax": column_softmax,
       "decode_attention": decode_attention}

MODELS = {
    "qformer": qformer, "mllama_cross_attention": mllama_cross_attention,
    "showo_omni_attention": showo_omni_attention, "mixtral_moe": mixtral_moe,
    "deepseek_moe": deepseek_moe, "llava_projector": llava_projector,
    "vit_patch_embed": vit_patch_embed, "siglip_layer": siglip_layer,
    "gemm": gemm, "linear": linear, "attention": attention_model, **OPS,
}


def build(name, dims):
    """The PeerModel `name` at `dims` (raises KeyError/NotImplementedError)."""
    return MODELS[name](dims)
