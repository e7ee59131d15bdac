// Attention over 655 keys (flash blocks [0, 256), [256, 512) and a tail
// block [512, 655)) with row spans under both empty-row rules and padding
// lengths; the inputs come from attention_key_blocks.py
// (attention-key-blocks.test).
func.func @attention_key_blocks(
    %q: tensor<8x64x32xf32> {kiln.name = "q"},
    %kv: tensor<8x655x32xf32> {kiln.name = "kv"},
    %spans: tensor<8x64x2xi32> {kiln.name = "spans"},
    %len: tensor<8xi32> {kiln.name = "len"})
    -> (tensor<8x64x32xf32> {kiln.name = "zero"},
        tensor<8x64x32xf32> {kiln.name = "all_keys"},
        tensor<8x64x32xf32> {kiln.name = "padding"}) {
  %zero = kiln.attention %q, %kv, %kv mask(%spans) {heads = 2 : i64, mask = #kiln.mask_kind<row_spans>, empty_rows = #kiln.empty_rows<zero>}
      : (tensor<8x64x32xf32>, tensor<8x655x32xf32>, tensor<8x655x32xf32>, tensor<8x64x2xi32>) -> tensor<8x64x32xf32>
  %all = kiln.attention %q, %kv, %kv mask(%spans) {heads = 2 : i64, mask = #kiln.mask_kind<row_spans>, empty_rows = #kiln.empty_rows<all_keys>}
      : (tensor<8x64x32xf32>, tensor<8x655x32xf32>, tensor<8x655x32xf32>, tensor<8x64x2xi32>) -> tensor<8x64x32xf32>
  %pad = kiln.attention %q, %kv, %kv mask(%len) {heads = 2 : i64, mask = #kiln.mask_kind<key_padding>, empty_rows = #kiln.empty_rows<zero>}
      : (tensor<8x64x32xf32>, tensor<8x655x32xf32>, tensor<8x655x32xf32>, tensor<8xi32>) -> tensor<8x64x32xf32>
  return %zero, %all, %pad : tensor<8x64x32xf32>, tensor<8x64x32xf32>, tensor<8x64x32xf32>
}
