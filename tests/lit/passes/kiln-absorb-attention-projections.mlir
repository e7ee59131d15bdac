// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-absorb-attention-projections))" -split-input-file | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-absorb-attention-projections{max-cost-ratio=0.4}))" -split-input-file | FileCheck %s --check-prefix=STRICT

// Q-Former-style cross-attention at a small size: 4 queries, 2 heads of
// 8 (D = 16), 64 image features of width 24. Per batch, 2 Sk E D + 2 Sq Sk D
// = 57344 multiply-adds before, 2 Sq D E + 2 Sq Sk heads E = 27648 after
// (0.48: rewritten at the default ratio 0.75, not at 0.4). The queries
// take the key weight per head ([B, heads, Sq, dh] x [heads, dh, E]); the
// heads' rows stack into one head of 8 queries that attends to the context
// with the original scale 8^-0.5; the value weight and bias follow; the key
// bias drops out.
// CHECK-LABEL: func.func @cross_attention
// CHECK-SAME: (%[[Q:.+]]: tensor<2x4x16xf32>, %[[C:.+]]: tensor<2x64x24xf32>)
// CHECK-DAG: %[[WK:.+]] = kiln.param "key.weight" : tensor<16x24xf32>
// CHECK-DAG: %[[WV:.+]] = kiln.param "value.weight" : tensor<16x24xf32>
// CHECK-DAG: %[[BV:.+]] = kiln.param "value.bias" : tensor<16xf32>
// CHECK-NOT: kiln.linear
// CHECK: %[[Q4:.+]] = kiln.reshape %[[Q]] : tensor<2x4x16xf32> -> tensor<2x4x2x8xf32>
// CHECK: %[[QT:.+]] = kiln.transpose %[[Q4]] {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x4x2x8xf32> -> tensor<2x2x4x8xf32>
// CHECK: %[[WKH:.+]] = kiln.reshape %[[WK]] : tensor<16x24xf32> -> tensor<2x8x24xf32>
// CHECK: %[[QK:.+]] = kiln.matmul %[[QT]], %[[WKH]] : (tensor<2x2x4x8xf32>, tensor<2x8x24xf32>) -> tensor<2x2x4x24xf32>
// CHECK: %[[QS:.+]] = kiln.reshape %[[QK]] : tensor<2x2x4x24xf32> -> tensor<2x8x24xf32>
// CHECK: %[[A:.+]] = kiln.attention %[[QS]], %[[C]], %[[C]] {heads = 1 : i64, scale = 0.35355339059327373 : f64} : (tensor<2x8x24xf32>, tensor<2x64x24xf32>, tensor<2x64x24xf32>) -> tensor<2x8x24xf32>
// CHECK: %[[AH:.+]] = kiln.reshape %[[A]] : tensor<2x8x24xf32> -> tensor<2x2x4x24xf32>
// CHECK: %[[WVH:.+]] = kiln.reshape %[[WV]] : tensor<16x24xf32> -> tensor<2x8x24xf32>
// CHECK: %[[O:.+]] = kiln.matmul %[[AH]], %[[WVH]] {transpose_rhs} : (tensor<2x2x4x24xf32>, tensor<2x8x24xf32>) -> tensor<2x2x4x8xf32>
// CHECK: %[[OT:.+]] = kiln.transpose %[[O]] {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x2x4x8xf32> -> tensor<2x4x2x8xf32>
// CHECK: %[[O3:.+]] = kiln.reshape %[[OT]] : tensor<2x4x2x8xf32> -> tensor<2x4x16xf32>
// CHECK: %[[Y:.+]] = kiln.add %[[O3]], %[[BV]] : tensor<2x4x16xf32>, tensor<16xf32> -> tensor<2x4x16xf32>
// CHECK: return %[[Y]]
// STRICT-LABEL: func.func @cross_attention
// STRICT-NOT: {heads = 1
// STRICT: return
func.func @cross_attention(%q: tensor<2x4x16xf32>, %c: tensor<2x64x24xf32>) -> tensor<2x4x16xf32> {
  %wk = kiln.param "key.weight" : tensor<16x24xf32>
  %bk = kiln.param "key.bias" : tensor<16xf32>
  %wv = kiln.param "value.weight" : tensor<16x24xf32>
  %bv = kiln.param "value.bias" : tensor<16xf32>
  %k = kiln.linear %c, %wk, %bk : (tensor<2x64x24xf32>, tensor<16x24xf32>, tensor<16xf32>) -> tensor<2x64x16xf32>
  %v = kiln.linear %c, %wv, %bv : (tensor<2x64x24xf32>, tensor<16x24xf32>, tensor<16xf32>) -> tensor<2x64x16xf32>
  %a = kiln.attention %q, %k, %v {heads = 2 : i64} : (tensor<2x4x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>) -> tensor<2x4x16xf32>
  return %a : tensor<2x4x16xf32>
}

// -----

// A value weight that is not a parameter (a slice of a packed in-projection,
// as in SigLIP's pooling head) is transposed to [heads, E, dh] once per run
// rather than read transposed. Row spans are repeated for each head's rows;
// the scale of a query-scaled attention carries over. No value bias: any
// mask but causal is fine.
// CHECK-LABEL: func.func @sliced_weight_spans
// CHECK-SAME: %[[SPANS:[^:]+]]: tensor<2x4x2xi64>
// CHECK: kiln.slice %{{.+}} {offsets = array<i64: 16, 0>
// CHECK: %[[WV:.+]] = kiln.slice %{{.+}} {offsets = array<i64: 32, 0>
// CHECK: %[[S1:.+]] = kiln.reshape %[[SPANS]] : tensor<2x4x2xi64> -> tensor<2x1x4x2xi64>
// CHECK: %[[S2:.+]] = kiln.broadcast %[[S1]] : tensor<2x1x4x2xi64> -> tensor<2x2x4x2xi64>
// CHECK: %[[S3:.+]] = kiln.reshape %[[S2]] : tensor<2x2x4x2xi64> -> tensor<2x8x2xi64>
// CHECK: kiln.attention %{{.+}}, %{{.+}}, %{{.+}} mask(%[[S3]]) {empty_rows = #kiln.empty_rows<zero>, heads = 1 : i64, mask = #kiln.mask_kind<row_spans>, scale = 5.000000e-01 : f64, softmax_f32}
// CHECK: %[[WVH:.+]] = kiln.reshape %[[WV]] : tensor<16x24xf32> -> tensor<2x8x24xf32>
// CHECK: %[[WVT:.+]] = kiln.transpose %[[WVH]] {permutation = array<i64: 0, 2, 1>} : tensor<2x8x24xf32> -> tensor<2x24x8xf32>
// CHECK: kiln.matmul %{{.+}}, %[[WVT]] : (tensor<2x2x4x24xf32>, tensor<2x24x8xf32>) -> tensor<2x2x4x8xf32>
// CHECK-NOT: kiln.add
// CHECK: return
func.func @sliced_weight_spans(%q: tensor<2x4x16xf32>, %c: tensor<2x64x24xf32>, %spans: tensor<2x4x2xi64>) -> tensor<2x4x16xf32> {
  %w = kiln.param "in_proj.weight" : tensor<48x24xf32>
  %wk = kiln.slice %w {offsets = array<i64: 16, 0>, sizes = array<i64: 16, 24>, strides = array<i64: 1, 1>} : tensor<48x24xf32> -> tensor<16x24xf32>
  %wv = kiln.slice %w {offsets = array<i64: 32, 0>, sizes = array<i64: 16, 24>, strides = array<i64: 1, 1>} : tensor<48x24xf32> -> tensor<16x24xf32>
  %k = kiln.linear %c, %wk : (tensor<2x64x24xf32>, tensor<16x24xf32>) -> tensor<2x64x16xf32>
  %v = kiln.linear %c, %wv : (tensor<2x64x24xf32>, tensor<16x24xf32>) -> tensor<2x64x16xf32>
  %a = kiln.attention %q, %k, %v mask(%spans) {heads = 2 : i64, mask = #kiln.mask_kind<row_spans>, empty_rows = #kiln.empty_rows<zero>, scale = 0.5 : f64, scale_on = #kiln.scale_placement<query>, softmax_f32} : (tensor<2x4x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x4x2xi64>) -> tensor<2x4x16xf32>
  return %a : tensor<2x4x16xf32>
}

// -----

// An additive bias, broadcastable to [B, heads, Sq, Sk], is spread over the
// heads and their rows stacked: [B, 1, heads Sq, Sk].
// CHECK-LABEL: func.func @bias_mask
// CHECK: %[[FULL:.+]] = kiln.broadcast %{{.+}} : tensor<4x64xf32> -> tensor<2x2x4x64xf32>
// CHECK: %[[STACKED:.+]] = kiln.reshape %[[FULL]] : tensor<2x2x4x64xf32> -> tensor<2x1x8x64xf32>
// CHECK: kiln.attention %{{.+}}, %{{.+}}, %{{.+}} mask(%[[STACKED]]) {heads = 1 : i64, mask = #kiln.mask_kind<bias>
func.func @bias_mask(%q: tensor<2x4x16xf32>, %c: tensor<2x64x24xf32>, %bias: tensor<4x64xf32>) -> tensor<2x4x16xf32> {
  %wk = kiln.param "key.weight" : tensor<16x24xf32>
  %wv = kiln.param "value.weight" : tensor<16x24xf32>
  %k = kiln.linear %c, %wk : (tensor<2x64x24xf32>, tensor<16x24xf32>) -> tensor<2x64x16xf32>
  %v = kiln.linear %c, %wv : (tensor<2x64x24xf32>, tensor<16x24xf32>) -> tensor<2x64x16xf32>
  %a = kiln.attention %q, %k, %v mask(%bias) {heads = 2 : i64, mask = #kiln.mask_kind<bias>} : (tensor<2x4x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<4x64xf32>) -> tensor<2x4x16xf32>
  return %a : tensor<2x4x16xf32>
}

// -----

// Left alone:
// - a value bias when a row may see no key and then yields zeros (the bias
//   would appear where zeros are due);
// - grouped-query attention (kv_heads < heads);
// - a projection that something else also reads;
// - a causal mask (it reads the query's row index, which stacking moves);
// - self-attention, where the queries are as many as the keys (1.8x the
//   work after).
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-10: kiln.linear
// CHECK-NOT: {heads = 1 : i64
// CHECK: return
func.func @kept(%q: tensor<2x4x16xf32>, %c: tensor<2x64x24xf32>, %lens: tensor<2xi64>, %x: tensor<2x64x16xf32>)
    -> (tensor<2x4x16xf32>, tensor<2x4x16xf32>, tensor<2x4x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x4x16xf32>) {
  %wk = kiln.param "key.weight" : tensor<16x24xf32>
  %wv = kiln.param "value.weight" : tensor<16x24xf32>
  %bv = kiln.param "value.bias" : tensor<16xf32>
  %k = kiln.linear %c, %wk : (tensor<2x64x24xf32>, tensor<16x24xf32>) -> tensor<2x64x16xf32>
  %v = kiln.linear %c, %wv, %bv : (tensor<2x64x24xf32>, tensor<16x24xf32>, tensor<16xf32>) -> tensor<2x64x16xf32>
  %zero = kiln.attention %q, %k, %v mask(%lens) {heads = 2 : i64, mask = #kiln.mask_kind<key_padding>, empty_rows = #kiln.empty_rows<zero>} : (tensor<2x4x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2xi64>) -> tensor<2x4x16xf32>

  %wk8 = kiln.param "gqa.key.weight" : tensor<8x24xf32>
  %wv8 = kiln.param "gqa.value.weight" : tensor<8x24xf32>
  %k8 = kiln.linear %c, %wk8 : (tensor<2x64x24xf32>, tensor<8x24xf32>) -> tensor<2x64x8xf32>
  %v8 = kiln.linear %c, %wv8 : (tensor<2x64x24xf32>, tensor<8x24xf32>) -> tensor<2x64x8xf32>
  %gqa = kiln.attention %q, %k8, %v8 {heads = 2 : i64, kv_heads = 1 : i64} : (tensor<2x4x16xf32>, tensor<2x64x8xf32>, tensor<2x64x8xf32>) -> tensor<2x4x16xf32>

  %k2 = kiln.linear %c, %wk : (tensor<2x64x24xf32>, tensor<16x24xf32>) -> tensor<2x64x16xf32>
  %v2 = kiln.linear %c, %wv : (tensor<2x64x24xf32>, tensor<16x24xf32>) -> tensor<2x64x16xf32>
  %shared = kiln.attention %q, %k2, %v2 {heads = 2 : i64} : (tensor<2x4x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>) -> tensor<2x4x16xf32>

  %wks = kiln.param "self.key.weight" : tensor<16x16xf32>
  %wvs = kiln.param "self.value.weight" : tensor<16x16xf32>
  %ks = kiln.linear %x, %wks : (tensor<2x64x16xf32>, tensor<16x16xf32>) -> tensor<2x64x16xf32>
  %vs = kiln.linear %x, %wvs : (tensor<2x64x16xf32>, tensor<16x16xf32>) -> tensor<2x64x16xf32>
  %self = kiln.attention %x, %ks, %vs {heads = 2 : i64} : (tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>) -> tensor<2x64x16xf32>
  %kc = kiln.linear %c, %wk : (tensor<2x64x24xf32>, tensor<16x24xf32>) -> tensor<2x64x16xf32>
  %vc = kiln.linear %c, %wv : (tensor<2x64x24xf32>, tensor<16x24xf32>) -> tensor<2x64x16xf32>
  %causal = kiln.attention %q, %kc, %vc {heads = 2 : i64, mask = #kiln.mask_kind<causal>} : (tensor<2x4x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>) -> tensor<2x4x16xf32>
  return %zero, %gqa, %shared, %v2, %self, %causal : tensor<2x4x16xf32>, tensor<2x4x16xf32>, tensor<2x4x16xf32>, tensor<2x64x16xf32>, tensor<2x64x16xf32>, tensor<2x4x16xf32>
}
