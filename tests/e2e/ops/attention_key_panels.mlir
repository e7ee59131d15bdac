// Attention with wide heads (256) reads its keys in panels of 32 keys as
// well as its values. 257 keys are one flash block whose last panel holds
// one key and 31 zeros; 384 keys go in blocks of 192, six whole panels
// each, so the key loop slices panels out of the middle. Two query heads
// share one kv head. No mask, causal, padding lengths (the second with the
// scale applied to the keys' panels), and row spans with empty rows
// yielding zeros, all drawn at run time.
func.func @attention_key_panels(%q: tensor<2x40x512xf32>, %kv: tensor<2x257x256xf32>,
                                %kv2: tensor<2x384x256xf32>,
                                %len: tensor<2xi32> {kiln.int_range = array<i64: -8, 394>},
                                %spans: tensor<2x40x2xi32> {kiln.int_range = array<i64: -8, 394>})
    -> (tensor<2x40x512xf32>, tensor<2x40x512xf32>, tensor<2x40x512xf32>, tensor<2x40x512xf32>,
        tensor<2x40x512xf32>, tensor<2x40x512xf32>, tensor<2x40x512xf32>, tensor<2x40x512xf32>) {
  %none = kiln.attention %q, %kv, %kv {heads = 2 : i64, kv_heads = 1 : i64, scale = 0.0625 : f64}
      : (tensor<2x40x512xf32>, tensor<2x257x256xf32>, tensor<2x257x256xf32>) -> tensor<2x40x512xf32>
  %causal = kiln.attention %q, %kv, %kv {heads = 2 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<causal>, scale = 0.0625 : f64}
      : (tensor<2x40x512xf32>, tensor<2x257x256xf32>, tensor<2x257x256xf32>) -> tensor<2x40x512xf32>
  %pad = kiln.attention %q, %kv, %kv mask(%len) {heads = 2 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<key_padding>, scale = 0.0625 : f64}
      : (tensor<2x40x512xf32>, tensor<2x257x256xf32>, tensor<2x257x256xf32>, tensor<2xi32>) -> tensor<2x40x512xf32>
  %span = kiln.attention %q, %kv, %kv mask(%spans) {heads = 2 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<row_spans>, empty_rows = #kiln.empty_rows<zero>, scale = 0.0625 : f64}
      : (tensor<2x40x512xf32>, tensor<2x257x256xf32>, tensor<2x257x256xf32>, tensor<2x40x2xi32>) -> tensor<2x40x512xf32>
  %none2 = kiln.attention %q, %kv2, %kv2 {heads = 2 : i64, kv_heads = 1 : i64, scale = 0.0625 : f64}
      : (tensor<2x40x512xf32>, tensor<2x384x256xf32>, tensor<2x384x256xf32>) -> tensor<2x40x512xf32>
  %causal2 = kiln.attention %q, %kv2, %kv2 {heads = 2 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<causal>, scale = 0.0625 : f64}
      : (tensor<2x40x512xf32>, tensor<2x384x256xf32>, tensor<2x384x256xf32>) -> tensor<2x40x512xf32>
  %pad2 = kiln.attention %q, %kv2, %kv2 mask(%len) {heads = 2 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<key_padding>, scale = 0.0625 : f64, scale_on = #kiln.scale_placement<query>}
      : (tensor<2x40x512xf32>, tensor<2x384x256xf32>, tensor<2x384x256xf32>, tensor<2xi32>) -> tensor<2x40x512xf32>
  %span2 = kiln.attention %q, %kv2, %kv2 mask(%spans) {heads = 2 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<row_spans>, empty_rows = #kiln.empty_rows<zero>, scale = 0.0625 : f64}
      : (tensor<2x40x512xf32>, tensor<2x384x256xf32>, tensor<2x384x256xf32>, tensor<2x40x2xi32>) -> tensor<2x40x512xf32>
  return %none, %causal, %pad, %span, %none2, %causal2, %pad2, %span2
      : tensor<2x40x512xf32>, tensor<2x40x512xf32>, tensor<2x40x512xf32>, tensor<2x40x512xf32>,
        tensor<2x40x512xf32>, tensor<2x40x512xf32>, tensor<2x40x512xf32>, tensor<2x40x512xf32>
}
