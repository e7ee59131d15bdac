// Attention with wide heads (256, as kiln-absorb-attention-projections
// makes them: the context's width), whose values the lowering reads in
// panels of 32 columns. Two query heads share one kv head; 335 keys make a
// block of 256 and a tail block of 79 in the flash loop, so the product
// with V reads key blocks out of each panel, the tail's ending mid-panel. No mask, causal (more keys than
// queries), padding lengths, and row spans with empty rows yielding zeros,
// all drawn at run time.
func.func @attention_wide_heads(%q: tensor<2x40x512xf32>, %kv: tensor<2x335x256xf32>,
                                %len: tensor<2xi32> {kiln.int_range = array<i64: -8, 340>},
                                %spans: tensor<2x40x2xi32> {kiln.int_range = array<i64: -8, 340>})
    -> (tensor<2x40x512xf32>, tensor<2x40x512xf32>, tensor<2x40x512xf32>, tensor<2x40x512xf32>) {
  %none = kiln.attention %q, %kv, %kv {heads = 2 : i64, kv_heads = 1 : i64, scale = 0.0625 : f64}
      : (tensor<2x40x512xf32>, tensor<2x335x256xf32>, tensor<2x335x256xf32>) -> tensor<2x40x512xf32>
  %causal = kiln.attention %q, %kv, %kv {heads = 2 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<causal>, scale = 0.0625 : f64}
      : (tensor<2x40x512xf32>, tensor<2x335x256xf32>, tensor<2x335x256xf32>) -> tensor<2x40x512xf32>
  %pad = kiln.attention %q, %kv, %kv mask(%len) {heads = 2 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<key_padding>, scale = 0.0625 : f64}
      : (tensor<2x40x512xf32>, tensor<2x335x256xf32>, tensor<2x335x256xf32>, tensor<2xi32>) -> tensor<2x40x512xf32>
  %span = kiln.attention %q, %kv, %kv mask(%spans) {heads = 2 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<row_spans>, empty_rows = #kiln.empty_rows<zero>, scale = 0.0625 : f64}
      : (tensor<2x40x512xf32>, tensor<2x335x256xf32>, tensor<2x335x256xf32>, tensor<2x40x2xi32>) -> tensor<2x40x512xf32>
  return %none, %causal, %pad, %span : tensor<2x40x512xf32>, tensor<2x40x512xf32>, tensor<2x40x512xf32>, tensor<2x40x512xf32>
}
