"""Plain PyTorch building blocks for the golden references.

Every function is dtype-generic: the golden run uses float64, a second run in
float32 estimates what an f32 implementation can reach. Formulas follow the
Hugging Face modules named in ARCHITECTURES.md; nothing is imported from
transformers.
"""

import math

import torch


def linear(x, weight, bias=None):
    y = x @ weight.t()
    return y if bias is None else y + bias


def layer_norm(x, weight, bias, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)  # biased, as torch
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def rms_norm(x, weight, eps):
    return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * weight


def gelu_erf(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    """gelu_new / gelu_pytorch_tanh."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def silu(x):
    return x * torch.sigmoid(x)


def swiglu(x, gate, up, down):
    """down(silu(gate x) * up x), Linear weights [out, in], no bias."""
    return linear(silu(linear(x, gate)) * linear(x, up), down)


def attention(q, k, v, heads, kv_heads=None, bias=None, scale=None):
    """Multi-head attention on projections [B, S, heads * dh].

    `bias` is additive and broadcastable to [B, heads, Sq, Sk]. kv head j
    serves query heads j*g .. j*g+g-1. Returns [B, Sq, heads * dh].
    """
    kv_heads = kv_heads or heads
    b, sq, width = q.shape
    sk = k.shape[1]
    dh = width // heads
    q = q.reshape(b, sq, heads, dh).transpose(1, 2)
    k = k.reshape(b, sk, kv_heads, dh).transpose(1, 2)
    v = v.reshape(b, sk, kv_heads, dh).transpose(1, 2)
    k = k.repeat_interleave(heads // kv_heads, dim=1)
    v = v.repeat_interleave(heads // kv_heads, dim=1)
    scores = (q @ k.transpose(-1, -2)) * (dh ** -0.5 if scale is None else scale)
    if bias is not None:
        scores = scores + bias
    probs = torch.softmax(scores, dim=-1)
    return (probs @ v).transpose(1, 2).reshape(b, sq, heads * dh)


def allowed_to_bias(allowed, dtype, masked_value=None):
    """{0,1} visibility [B, Sq, Sk] -> additive bias [B, 1, Sq, Sk]."""
    if masked_value is None:
        masked_value = torch.finfo(dtype).min
    bias = torch.zeros(allowed.shape, dtype=dtype)
    return bias.masked_fill(~allowed, masked_value).unsqueeze(1)


def spans_from_allowed(allowed):
    """[B, Sq, Sk] bool -> i32 [B, Sq, 2] row spans [lo, hi); asserts contiguity.

    An empty row gives [0, 0).
    """
    b, sq, sk = allowed.shape
    spans = torch.zeros(b, sq, 2, dtype=torch.int32)
    for i in range(b):
        for r in range(sq):
            idx = torch.nonzero(allowed[i, r]).flatten()
            if len(idx) == 0:
                continue
            lo, hi = int(idx[0]), int(idx[-1]) + 1
            assert len(idx) == hi - lo, f"row {i},{r} is not one interval"
            spans[i, r, 0], spans[i, r, 1] = lo, hi
    return spans


def llama3_inv_freq(inv_freq, factor, low_freq_factor, high_freq_factor, original):
    """Llama 3 frequency scaling (HF `_compute_llama3_parameters`)."""
    low_wavelen = original / low_freq_factor
    high_wavelen = original / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (original / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen)
    return torch.where(medium, smoothed, scaled)


def rope(x, heads, rotary_dim, theta, positions, llama3=None):
    """rotate_half RoPE on the first `rotary_dim` channels of every head.

    cos/sin are computed in float64 and cast to x's dtype.
    """
    b, s, width = x.shape
    dh = width // heads
    inv_freq = 1.0 / theta ** (torch.arange(0, rotary_dim, 2, dtype=torch.float64) / rotary_dim)
    if llama3 is not None:
        inv_freq = llama3_inv_freq(inv_freq, **llama3)
    angles = positions.to(torch.float64)[:, None] * inv_freq[None, :]
    angles = torch.cat([angles, angles], dim=-1)
    cos = angles.cos().to(x.dtype)[None, :, None, :]
    sin = angles.sin().to(x.dtype)[None, :, None, :]
    x = x.reshape(b, s, heads, dh)
    rot, rest = x[..., :rotary_dim], x[..., rotary_dim:]
    half = rotary_dim // 2
    rotated = torch.cat([-rot[..., half:], rot[..., :half]], dim=-1)
    rot = rot * cos + rotated * sin
    return torch.cat([rot, rest], dim=-1).reshape(b, s, width)


def route(logits, top_k, scoring="softmax", normalize=False, scale=1.0,
          groups=1, topk_groups=1, selection_bias=None, norm_eps=0.0):
    """MoE routing on [T, E] logits.

    Returns (scores [T, E], expert indices [T, k], weights [T, k], margin),
    where margin is the smallest gap between the last selected and the first
    unselected candidate over all tokens (and over the group selection).
    """
    scores = torch.softmax(logits, -1) if scoring == "softmax" else torch.sigmoid(logits)
    choice = scores if selection_bias is None else scores + selection_bias
    margins = []
    if groups > 1:
        t, e = choice.shape
        group_scores = choice.reshape(t, groups, e // groups).topk(2, dim=-1).values.sum(-1)
        ordered = group_scores.sort(-1, descending=True).values
        margins.append((ordered[:, topk_groups - 1] - ordered[:, topk_groups]).min())
        chosen = group_scores.topk(topk_groups, dim=-1).indices
        group_mask = torch.zeros(t, groups, dtype=torch.bool).scatter_(1, chosen, True)
        expert_mask = group_mask.repeat_interleave(e // groups, dim=1)
        choice = choice.masked_fill(~expert_mask, float("-inf"))
    ordered = choice.sort(-1, descending=True).values
    margins.append((ordered[:, top_k - 1] - ordered[:, top_k]).min())
    index = choice.topk(top_k, dim=-1).indices
    weights = scores.gather(1, index)
    if normalize:
        weights = weights / (weights.sum(-1, keepdim=True) + norm_eps)
    return scores, index, weights * scale, float(min(margins))


def moe_combine(x, index, weights, experts, shared=None):
    """sum_j w[t, j] * expert_{index[t, j]}(x_t) in ascending expert order
    (HF Mixtral's index_add_), plus the shared expert on every token."""
    out = torch.zeros_like(x)
    for e, (gate, up, down) in enumerate(experts):
        token, slot = torch.where(index == e)
        if len(token):
            out.index_add_(0, token, swiglu(x[token], gate, up, down) * weights[token, slot, None])
    if shared is not None:
        out = out + swiglu(x, *shared)
    return out
