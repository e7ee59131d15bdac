// Few query rows per head (decoding steps, a few speculative tokens):
// under GQA the heads of a group become rows of their kv head, and heads
// with fewer than keys-in-place-rows rows (128, or 224 with 16-lane
// vectors) read the keys as they are instead of in panels. 600 keys make
// two flash blocks of 256 and a tail of 88. One query over 4 heads per kv
// head, unmasked, under key padding, under a bias shared by the group's
// heads (grouped) and under one per head (not grouped); three queries (12
// rows) causal and under row spans drawn at run time (empty spans too,
// both empty-row rules); 31 queries (124 rows of a kv head, the most
// grouped), 160 (not grouped: in place with 16-lane vectors, in panels
// without) and 256 (keys and values in panels on every target); one kv
// head for every query head (MQA, whose
// result is the product with V reshaped); one query without GQA; a scale
// that is not a power of two on the queries and on the scores; sixteen
// queries (64 grouped rows: tiles of 32, each two blocks of 16 rows with
// the keys as the broadcast operand of the scores, in blocks of 16 keys,
// and the keys past the last whole block of a padding length in dot
// products) with heads of 24 under key padding; sixteen queries of 8
// heads without GQA (one block of 16 rows per head takes the keys as the
// broadcast operand, each key block's copy riding in the FMAs of the block
// before, since heads of 32 are whole vectors) under key padding; one
// query of 4 heads of 96 on one kv head under key padding (4 grouped
// rows: the product with V in column blocks of 64, then one of 32).
// Each attention reads queries of its own, so that no two share a scores
// op (CSE would take it out of the flash loop).
func.func @attention_decoding(
    %q1: tensor<2x1x256xf32>, %q2: tensor<2x1x256xf32>, %q3: tensor<2x1x256xf32>,
    %q4: tensor<2x1x256xf32>, %q5: tensor<2x3x256xf32>, %q6: tensor<2x3x256xf32>,
    %q7: tensor<2x3x256xf32>, %q8: tensor<2x31x256xf32>, %q9: tensor<2x2x128xf32>,
    %q13: tensor<2x256x256xf32>, %q14: tensor<2x16x192xf32>,
    %q15: tensor<2x160x256xf32>, %q16: tensor<2x16x256xf32>, %q17: tensor<2x1x384xf32>,
    %q10: tensor<2x1x256xf32>, %q11: tensor<2x2x192xf32>, %q12: tensor<2x2x192xf32>,
    %kv: tensor<2x600x64xf32>, %kvFull: tensor<2x600x256xf32>, %kv24: tensor<2x600x48xf32>,
    %kv96: tensor<2x600x96xf32>,
    %len: tensor<2xi32> {kiln.int_range = array<i64: 0, 601>},
    %spans: tensor<2x3x2xi32> {kiln.int_range = array<i64: -20, 620>},
    %shared: tensor<2x1x1x600xf32>, %perHead: tensor<2x8x1x600xf32>)
    -> (tensor<2x1x256xf32>, tensor<2x1x256xf32>, tensor<2x1x256xf32>,
        tensor<2x1x256xf32>, tensor<2x3x256xf32>, tensor<2x3x256xf32>,
        tensor<2x3x256xf32>, tensor<2x31x256xf32>, tensor<2x2x128xf32>,
        tensor<2x1x256xf32>, tensor<2x2x192xf32>, tensor<2x2x192xf32>,
        tensor<2x256x256xf32>, tensor<2x16x192xf32>, tensor<2x160x256xf32>,
        tensor<2x16x256xf32>, tensor<2x1x384xf32>) {
  %none = kiln.attention %q1, %kv, %kv {heads = 8 : i64, kv_heads = 2 : i64}
      : (tensor<2x1x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>) -> tensor<2x1x256xf32>
  %pad = kiln.attention %q2, %kv, %kv mask(%len) {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<key_padding>}
      : (tensor<2x1x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>, tensor<2xi32>) -> tensor<2x1x256xf32>
  %sharedBias = kiln.attention %q3, %kv, %kv mask(%shared) {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<bias>}
      : (tensor<2x1x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>, tensor<2x1x1x600xf32>) -> tensor<2x1x256xf32>
  %headBias = kiln.attention %q4, %kv, %kv mask(%perHead) {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<bias>}
      : (tensor<2x1x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>, tensor<2x8x1x600xf32>) -> tensor<2x1x256xf32>
  %causal = kiln.attention %q5, %kv, %kv {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<2x3x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>) -> tensor<2x3x256xf32>
  %spansAll = kiln.attention %q6, %kv, %kv mask(%spans) {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<row_spans>}
      : (tensor<2x3x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>, tensor<2x3x2xi32>) -> tensor<2x3x256xf32>
  %spansZero = kiln.attention %q7, %kv, %kv mask(%spans) {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<row_spans>, empty_rows = #kiln.empty_rows<zero>}
      : (tensor<2x3x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>, tensor<2x3x2xi32>) -> tensor<2x3x256xf32>
  %rows124 = kiln.attention %q8, %kv, %kv {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<2x31x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>) -> tensor<2x31x256xf32>
  %panels = kiln.attention %q13, %kv, %kv {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<2x256x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>) -> tensor<2x256x256xf32>
  %kv1 = kiln.slice %kv {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 2, 600, 32>, strides = array<i64: 1, 1, 1>} : tensor<2x600x64xf32> -> tensor<2x600x32xf32>
  %mqa = kiln.attention %q9, %kv1, %kv1 {heads = 4 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<2x2x128xf32>, tensor<2x600x32xf32>, tensor<2x600x32xf32>) -> tensor<2x2x128xf32>
  %mha = kiln.attention %q10, %kvFull, %kvFull {heads = 8 : i64}
      : (tensor<2x1x256xf32>, tensor<2x600x256xf32>, tensor<2x600x256xf32>) -> tensor<2x1x256xf32>
  %onQuery = kiln.attention %q11, %kv24, %kv24 {heads = 8 : i64, kv_heads = 2 : i64, scale_on = #kiln.scale_placement<query>}
      : (tensor<2x2x192xf32>, tensor<2x600x48xf32>, tensor<2x600x48xf32>) -> tensor<2x2x192xf32>
  %onScores = kiln.attention %q12, %kv24, %kv24 mask(%len) {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<key_padding>, scale = 0.3 : f64}
      : (tensor<2x2x192xf32>, tensor<2x600x48xf32>, tensor<2x600x48xf32>, tensor<2xi32>) -> tensor<2x2x192xf32>
  %rows64 = kiln.attention %q14, %kv24, %kv24 mask(%len) {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<key_padding>}
      : (tensor<2x16x192xf32>, tensor<2x600x48xf32>, tensor<2x600x48xf32>, tensor<2xi32>) -> tensor<2x16x192xf32>
  %rows160 = kiln.attention %q15, %kv, %kv {heads = 8 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<2x160x256xf32>, tensor<2x600x64xf32>, tensor<2x600x64xf32>) -> tensor<2x160x256xf32>
  %rows16 = kiln.attention %q16, %kvFull, %kvFull mask(%len) {heads = 8 : i64, mask = #kiln.mask_kind<key_padding>}
      : (tensor<2x16x256xf32>, tensor<2x600x256xf32>, tensor<2x600x256xf32>, tensor<2xi32>) -> tensor<2x16x256xf32>
  %rows4 = kiln.attention %q17, %kv96, %kv96 mask(%len) {heads = 4 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<key_padding>}
      : (tensor<2x1x384xf32>, tensor<2x600x96xf32>, tensor<2x600x96xf32>, tensor<2xi32>) -> tensor<2x1x384xf32>
  return %none, %pad, %sharedBias, %headBias, %causal, %spansAll, %spansZero, %rows124, %mqa, %mha, %onQuery, %onScores, %panels, %rows64, %rows160, %rows16, %rows4
      : tensor<2x1x256xf32>, tensor<2x1x256xf32>, tensor<2x1x256xf32>,
        tensor<2x1x256xf32>, tensor<2x3x256xf32>, tensor<2x3x256xf32>,
        tensor<2x3x256xf32>, tensor<2x31x256xf32>, tensor<2x2x128xf32>,
        tensor<2x1x256xf32>, tensor<2x2x192xf32>, tensor<2x2x192xf32>,
        tensor<2x256x256xf32>, tensor<2x16x192xf32>, tensor<2x160x256xf32>,
        tensor<2x16x256xf32>, tensor<2x1x384xf32>
}
