// Cross-attention of few queries to many context rows through key and value
// projections, which kiln-absorb-attention-projections rewrites to attend to
// the context itself (5 queries, 4 heads of 8, 97 context rows of width 40:
// 0.60 of the multiply-adds). The reference interpreter runs the graph as
// written. No mask with both biases (the key bias drops out, the value
// bias is added after); padding lengths with rows that see no key
// attending to all keys; row spans with empty rows yielding zeros and no
// value bias; an additive bias per (query, key), shared by the heads. The
// rewrite stacks the 4 heads' queries as 20 rows of one head, so the spans
// and the bias are repeated for each head's rows. The context width 40 and the 97 keys leave remainders in
// every vector loop.
func.func @attention_projections(%q: tensor<3x5x32xf32>, %c: tensor<3x97x40xf32>,
                                 %len: tensor<3xi32> {kiln.int_range = array<i64: -4, 100>},
                                 %spans: tensor<3x5x2xi32> {kiln.int_range = array<i64: -4, 100>},
                                 %bias: tensor<5x97xf32>)
    -> (tensor<3x5x32xf32>, tensor<3x5x32xf32>, tensor<3x5x32xf32>, tensor<3x5x32xf32>) {
  %wk0 = kiln.param "none.key.weight" : tensor<32x40xf32>
  %bk0 = kiln.param "none.key.bias" : tensor<32xf32>
  %wv0 = kiln.param "none.value.weight" : tensor<32x40xf32>
  %bv0 = kiln.param "none.value.bias" : tensor<32xf32>
  %k0 = kiln.linear %c, %wk0, %bk0 : (tensor<3x97x40xf32>, tensor<32x40xf32>, tensor<32xf32>) -> tensor<3x97x32xf32>
  %v0 = kiln.linear %c, %wv0, %bv0 : (tensor<3x97x40xf32>, tensor<32x40xf32>, tensor<32xf32>) -> tensor<3x97x32xf32>
  %none = kiln.attention %q, %k0, %v0 {heads = 4 : i64}
      : (tensor<3x5x32xf32>, tensor<3x97x32xf32>, tensor<3x97x32xf32>) -> tensor<3x5x32xf32>

  %wk1 = kiln.param "pad.key.weight" : tensor<32x40xf32>
  %bk1 = kiln.param "pad.key.bias" : tensor<32xf32>
  %wv1 = kiln.param "pad.value.weight" : tensor<32x40xf32>
  %bv1 = kiln.param "pad.value.bias" : tensor<32xf32>
  %k1 = kiln.linear %c, %wk1, %bk1 : (tensor<3x97x40xf32>, tensor<32x40xf32>, tensor<32xf32>) -> tensor<3x97x32xf32>
  %v1 = kiln.linear %c, %wv1, %bv1 : (tensor<3x97x40xf32>, tensor<32x40xf32>, tensor<32xf32>) -> tensor<3x97x32xf32>
  %pad = kiln.attention %q, %k1, %v1 mask(%len) {heads = 4 : i64, mask = #kiln.mask_kind<key_padding>, scale = 0.3 : f64, scale_on = #kiln.scale_placement<query>}
      : (tensor<3x5x32xf32>, tensor<3x97x32xf32>, tensor<3x97x32xf32>, tensor<3xi32>) -> tensor<3x5x32xf32>

  %wk2 = kiln.param "spans.key.weight" : tensor<32x40xf32>
  %bk2 = kiln.param "spans.key.bias" : tensor<32xf32>
  %wv2 = kiln.param "spans.value.weight" : tensor<32x40xf32>
  %k2 = kiln.linear %c, %wk2, %bk2 : (tensor<3x97x40xf32>, tensor<32x40xf32>, tensor<32xf32>) -> tensor<3x97x32xf32>
  %v2 = kiln.linear %c, %wv2 : (tensor<3x97x40xf32>, tensor<32x40xf32>) -> tensor<3x97x32xf32>
  %span = kiln.attention %q, %k2, %v2 mask(%spans) {heads = 4 : i64, mask = #kiln.mask_kind<row_spans>, empty_rows = #kiln.empty_rows<zero>, softmax_f32}
      : (tensor<3x5x32xf32>, tensor<3x97x32xf32>, tensor<3x97x32xf32>, tensor<3x5x2xi32>) -> tensor<3x5x32xf32>

  %wk3 = kiln.param "bias.key.weight" : tensor<32x40xf32>
  %wv3 = kiln.param "bias.value.weight" : tensor<32x40xf32>
  %bv3 = kiln.param "bias.value.bias" : tensor<32xf32>
  %k3 = kiln.linear %c, %wk3 : (tensor<3x97x40xf32>, tensor<32x40xf32>) -> tensor<3x97x32xf32>
  %v3 = kiln.linear %c, %wv3, %bv3 : (tensor<3x97x40xf32>, tensor<32x40xf32>, tensor<32xf32>) -> tensor<3x97x32xf32>
  %biased = kiln.attention %q, %k3, %v3 mask(%bias) {heads = 4 : i64, mask = #kiln.mask_kind<bias>}
      : (tensor<3x5x32xf32>, tensor<3x97x32xf32>, tensor<3x97x32xf32>, tensor<5x97xf32>) -> tensor<3x5x32xf32>
  return %none, %pad, %span, %biased : tensor<3x5x32xf32>, tensor<3x5x32xf32>, tensor<3x5x32xf32>, tensor<3x5x32xf32>
}
