// Decoding steps compiled for AVX2 (x86-64-v3: vectors of 8 lanes), run
// on any host with AVX2 and FMA, so that an AVX-512 machine tests the
// kernels a Zen 3 runs. With 8 lanes the scores stay dot products of
// rows read in place (up to 127 rows of a kv head; key blocks of 8 x 8
// measured 19-33% slower than these, docs/attention.md): blocks of 8, 4,
// 2 and 1 rows, each ending in one tree of horizontal sums. Cases: one
// query of 8 heads on one kv head (8 rows) under key padding; two queries
// under GQA 4 (8 rows) unmasked over 601 keys; three (12 rows: a block of
// 8 and one of 4) causal; four (16 rows) under row spans drawn at run
// time; 31 (124 rows) causal; heads of 20 (two whole vectors and a masked
// tail of 4 lanes) at 16 rows under key padding and at 8 rows causal; one
// query without GQA (1 row, heads of 32).
func.func @attention_decoding_avx2(
    %q1: tensor<2x1x256xf32>, %q2: tensor<2x2x256xf32>, %q3: tensor<2x3x256xf32>,
    %q4: tensor<2x4x256xf32>, %q5: tensor<2x31x256xf32>, %q6: tensor<2x4x160xf32>,
    %q7: tensor<2x2x160xf32>, %q8: tensor<2x1x256xf32>,
    %kv: tensor<2x600x64xf32>, %kvOdd: tensor<2x601x64xf32>,
    %kv20: tensor<2x600x40xf32>, %kvFull: tensor<2x600x256xf32>,
    %len: tensor<2xi32> {kiln.int_range = array<i64: 0, 601>},
    %spans: tensor<2x4x2xi32> {kiln.int_range = array<i64: -20, 620>})
    -> (tensor<2x1x256xf32>, tensor<2x2x256xf32>, tensor<2x3x256xf32>,
        tensor<2x4x256xf32>, tensor<2x31x256xf32>, tensor<2x4x160xf32>,
        tensor<2x2x160xf32>, tensor<2x1x256xf32>)
    attributes {kiln.target_cpu = "x86-64-v3"} {
  %kv1 = kiln.slice %kv {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 2, 600, 32>, strides = array<i64: 1, 1, 1>} : tensor<2x600x64xf32> -> tensor<2x600x32xf32>
  %gqa8 = kiln.attention %q1, %kv1, %kv1 mask(%len) {heads = 8 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<key_padding>}
      : (tensor<2x1x256xf32>, tensor<2x600x32xf32>, tensor<2x600x32xf32>, tensor<2xi32>) -> tensor<2x1x256xf32>
  %rows8 = kiln.attention %q2, %kvOdd, %kvOdd {heads = 8 : i64, kv_heads = 2 : i64}
      : (tensor<2x2x256xf32>, tensor<2x601x64xf32>, tensor<2x601x64xf32>) -> tensor<2x2x256xf32>
  %rows12 = kiln.attention %q3, %kv, %kv {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<2x3x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>) -> tensor<2x3x256xf32>
  %rows16 = kiln.attention %q4, %kv, %kv mask(%spans) {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<row_spans>}
      : (tensor<2x4x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>, tensor<2x4x2xi32>) -> tensor<2x4x256xf32>
  %rows124 = kiln.attention %q5, %kv, %kv {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<2x31x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>) -> tensor<2x31x256xf32>
  %dh20 = kiln.attention %q6, %kv20, %kv20 mask(%len) {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<key_padding>}
      : (tensor<2x4x160xf32>, tensor<2x600x40xf32>, tensor<2x600x40xf32>, tensor<2xi32>) -> tensor<2x4x160xf32>
  %dh20rows8 = kiln.attention %q7, %kv20, %kv20 {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<2x2x160xf32>, tensor<2x600x40xf32>, tensor<2x600x40xf32>) -> tensor<2x2x160xf32>
  %mha = kiln.attention %q8, %kvFull, %kvFull {heads = 8 : i64}
      : (tensor<2x1x256xf32>, tensor<2x600x256xf32>, tensor<2x600x256xf32>) -> tensor<2x1x256xf32>
  return %gqa8, %rows8, %rows12, %rows16, %rows124, %dh20, %dh20rows8, %mha
      : tensor<2x1x256xf32>, tensor<2x2x256xf32>, tensor<2x3x256xf32>,
        tensor<2x4x256xf32>, tensor<2x31x256xf32>, tensor<2x4x160xf32>,
        tensor<2x2x160xf32>, tensor<2x1x256xf32>
}
