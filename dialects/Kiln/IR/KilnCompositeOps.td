//===- KilnCompositeOps.td - Attention and MoE -------------*- tablegen -*-===//
//
// Attention and mixture-of-experts stay single ops until code generation:
// their mask structure and routing decide what work exists at all, which a
// decomposition into matmuls and softmaxes would hide.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_DIALECTS_KILN_IR_KILNCOMPOSITEOPS_TD
#define KILN_DIALECTS_KILN_IR_KILNCOMPOSITEOPS_TD

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

def Kiln_AttentionOp : Kiln_Op<"attention", [Pure]> {
  let summary = "Multi-head attention with a structured mask.";
  let description = [{
    `query` is `[B, Sq, heads * head_dim]`, `key` and `value` are
    `[B, Sk, kv_heads * head_dim]` (projections as linear layers produce
    them; `kv_heads` defaults to `heads` and must divide it: grouped-query
    attention shares kv head `j` among query heads `j * g .. j * g + g - 1`).
    The result is `[B, Sq, heads * head_dim]`, heads concatenated.

    Per head, `softmax(q k^T * scale + mask) v`, with `scale` (default
    `head_dim^-0.5`) applied to the `scores` or to the `query` before the
    product. The mask is a structure, not a tensor:
    - `none`: every key is visible;
    - `causal`: key `j` is visible to query `i` when `j <= i + Sk - Sq`;
    - `key_padding`: operand `[B]` of valid key counts; keys at or after it
      are hidden;
    - `row_spans`: operand `[B, Sq, 2]` giving each query row the visible
      key range `[lo, hi)` (Show-o's Omni-Attention, cross-attention
      validity), supplied at run time;
    - `bias`: operand broadcastable to `[B, heads, Sq, Sk]`, added to the
      scores (the general fallback).
    A row that may see no key either attends to all keys unmasked
    (`all_keys`: Hugging Face mllama turns such a row's bias into zeros) or
    yields zeros (`zero`, Meta's reference). `softmax_f32` records an f32
    softmax for lower precisions.

    ```mlir
    %a = kiln.attention %q, %k, %v
        {heads = 12 : i64, mask = #kiln.mask_kind<causal>}
        : (tensor<2x32x768xf32>, tensor<2x32x768xf32>, tensor<2x32x768xf32>)
        -> tensor<2x32x768xf32>
    ```
  }];
  let arguments = (ins Kiln_Tensor:$query, Kiln_Tensor:$key, Kiln_Tensor:$value,
      Optional<Kiln_AnyTensor>:$mask_operand, I64Attr:$heads,
      OptionalAttr<I64Attr>:$kv_heads,
      DefaultValuedAttr<Kiln_MaskKindAttr, "::kiln::MaskKind::None">:$mask,
      OptionalAttr<F64Attr>:$scale,
      DefaultValuedAttr<Kiln_ScalePlacementAttr,
                        "::kiln::ScalePlacement::Scores">:$scale_on,
      UnitAttr:$softmax_f32,
      DefaultValuedAttr<Kiln_EmptyRowsAttr,
                        "::kiln::EmptyRows::AllKeys">:$empty_rows);
  let results = (outs Kiln_Tensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask_operand^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Query heads per kv head.
    int64_t getKvHeadCount() { return getKvHeads().value_or(getHeads()); }
    int64_t getHeadDim();
    /// The scale applied to q k^T (by default head_dim^-0.5).
    double getScaleValue();
  }];
}

//===----------------------------------------------------------------------===//
// MoeOp
//===----------------------------------------------------------------------===//

def Kiln_MoeOp : Kiln_Op<"moe", [Pure, AttrSizedOperandSegments]> {
  let summary = "Mixture of SwiGLU experts with top-k routing.";
  let description = [{
    For each token `x` of `input` (`[.., D]`), router logits `x R^T`
    (`router` is `[E, D]`) are scored (`softmax` or `sigmoid`); the top
    `top_k` experts are selected, either from the scores
    (`score_then_topk`, Hugging Face Mixtral) or from the logits with the
    scores computed over the selected ones only (`topk_then_score`,
    Mistral's reference). With `groups > 1` experts are split into groups
    scored by their `max` or `top2_sum` and only the best `topk_groups`
    groups compete (DeepSeek-V2/V3). `selection_bias` (`[E]`) shifts scores
    for selection only (V3). Selected weights are optionally `normalize`d to
    sum to 1, then multiplied by `scaling_factor`.

    `experts` holds, for each expert in order, its `gate [F, D]`,
    `up [F, D]` and `down [D, F]` weights (Mixtral's w1, w3, w2);
    expert `e` computes `down(silu(gate x) * up x)`. The output sums the
    selected experts' outputs times their weights, in ascending expert
    order, plus the optional `shared` expert (gate, up, down) applied to
    every token (DeepSeekMoE).

    Two more results monitor routing (code generation skips them when they
    are unused): `counts` (`[E]`, i64), the (token, slot) assignments each
    expert received; `aux` (rank 0), the load-balancing loss chosen by
    `aux_loss` times `aux_coefficient` (0 for `none`): `switch` is
    `E * sum_e f_e * P_e` over all tokens (f the fraction of assignments,
    P the mean score; Hugging Face's loss for one layer), `sequence` is
    DeepSeek's per-sequence loss averaged over the batch (`input` must then
    be `[B, S, D]`).

    ```mlir
    %y, %counts, %aux = kiln.moe %x, %r experts(%g0, %u0, %d0, %g1, %u1, %d1)
        {top_k = 1 : i64, normalize}
        : (tensor<64x256xf32>, tensor<2x256xf32>, tensor<512x256xf32>,
           tensor<512x256xf32>, tensor<256x512xf32>, tensor<512x256xf32>,
           tensor<512x256xf32>, tensor<256x512xf32>)
        -> (tensor<64x256xf32>, tensor<2xi64>, tensor<f32>)
    ```
  }];
  let arguments = (ins Kiln_Tensor:$input, Kiln_Tensor:$router,
      Variadic<Kiln_Tensor>:$experts, Variadic<Kiln_Tensor>:$shared,
      Optional<Kiln_Vector>:$selection_bias, I64Attr:$top_k,
      DefaultValuedAttr<Kiln_MoeScoringAttr,
                        "::kiln::MoeScoring::Softmax">:$scoring,
      DefaultValuedAttr<Kiln_MoeOrderAttr,
                        "::kiln::MoeOrder::ScoreThenTopK">:$order,
      UnitAttr:$normalize,
      DefaultValuedAttr<F64Attr, "1.0">:$scaling_factor,
      DefaultValuedAttr<I64Attr, "1">:$groups,
      DefaultValuedAttr<I64Attr, "1">:$topk_groups,
      DefaultValuedAttr<Kiln_GroupScoreAttr,
                        "::kiln::GroupScore::Max">:$group_score,
      DefaultValuedAttr<Kiln_AuxLossAttr, "::kiln::AuxLoss::None">:$aux_loss,
      DefaultValuedAttr<F64Attr, "1.0">:$aux_coefficient);
  let results = (outs Kiln_Tensor:$result,
                      Kiln_I64Tensor:$counts, Kiln_Tensor:$aux);
  let assemblyFormat = [{
    $input `,` $router `experts` `(` $experts `)`
    (`shared` `(` $shared^ `)`)?
    (`selection_bias` `(` $selection_bias^ `)`)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getNumExperts() { return getExperts().size() / 3; }
    /// Gate, up and down weights of expert `e`.
    ::mlir::Value getExpertGate(int64_t e) { return getExperts()[3 * e]; }
    ::mlir::Value getExpertUp(int64_t e) { return getExperts()[3 * e + 1]; }
    ::mlir::Value getExpertDown(int64_t e) { return getExperts()[3 * e + 2]; }
  }];
}

#endif // KILN_DIALECTS_KILN_IR_KILNCOMPOSITEOPS_TD
