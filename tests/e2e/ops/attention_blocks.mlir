// Masks over several key blocks: 655 keys make two blocks of 256 and a
// tail block of 143 in the flash loop, and workgroups own 32 query rows.
// Spans shared by a batch's rows, and spans that change every 16 rows (two
// per workgroup), drawn at run time, make tiles whose leading blocks are
// skipped (before every row's begin), blocks every row sees whole (no mask
// work), partial blocks and trailing blocks past every end (the tail
// too), plus empty spans (lo >= hi) under both empty-row rules; bounds
// below 0 and past the key count clamp. Padding lengths over the same
// blocks, with GQA. Without a mask and with an additive bias (sliced per
// block, the tail's 143 columns too) every block runs; the two read
// different queries, so that their scores are not one shared GEMM (CSE),
// which would take both out of the flash loop.
func.func @attention_blocks(%q: tensor<8x64x32xf32>, %kv: tensor<8x655x32xf32>,
                            %batchSpans: tensor<8x1x2xi32> {kiln.int_range = array<i64: -40, 696>},
                            %groupSpans: tensor<8x4x1x2xi32> {kiln.int_range = array<i64: -40, 696>},
                            %len: tensor<8xi32> {kiln.int_range = array<i64: -40, 696>},
                            %bias: tensor<8x1x64x655xf32>, %q2: tensor<8x64x32xf32>)
    -> (tensor<8x64x32xf32>, tensor<8x64x32xf32>, tensor<8x64x32xf32>,
        tensor<8x64x32xf32>, tensor<8x64x32xf32>) {
  %perBatch = kiln.broadcast %batchSpans : tensor<8x1x2xi32> -> tensor<8x64x2xi32>
  %perGroup4 = kiln.broadcast %groupSpans : tensor<8x4x1x2xi32> -> tensor<8x4x16x2xi32>
  %perGroup = kiln.reshape %perGroup4 : tensor<8x4x16x2xi32> -> tensor<8x64x2xi32>
  %batch = kiln.attention %q, %kv, %kv mask(%perBatch) {heads = 2 : i64, mask = #kiln.mask_kind<row_spans>, empty_rows = #kiln.empty_rows<all_keys>}
      : (tensor<8x64x32xf32>, tensor<8x655x32xf32>, tensor<8x655x32xf32>, tensor<8x64x2xi32>) -> tensor<8x64x32xf32>
  %group = kiln.attention %q, %kv, %kv mask(%perGroup) {heads = 2 : i64, mask = #kiln.mask_kind<row_spans>, empty_rows = #kiln.empty_rows<zero>}
      : (tensor<8x64x32xf32>, tensor<8x655x32xf32>, tensor<8x655x32xf32>, tensor<8x64x2xi32>) -> tensor<8x64x32xf32>
  %kv16 = kiln.slice %kv {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 8, 655, 16>, strides = array<i64: 1, 1, 1>} : tensor<8x655x32xf32> -> tensor<8x655x16xf32>
  %pad = kiln.attention %q, %kv16, %kv16 mask(%len) {heads = 2 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<key_padding>}
      : (tensor<8x64x32xf32>, tensor<8x655x16xf32>, tensor<8x655x16xf32>, tensor<8xi32>) -> tensor<8x64x32xf32>
  %plain = kiln.attention %q, %kv, %kv {heads = 2 : i64}
      : (tensor<8x64x32xf32>, tensor<8x655x32xf32>, tensor<8x655x32xf32>) -> tensor<8x64x32xf32>
  %biased = kiln.attention %q2, %kv, %kv mask(%bias) {heads = 2 : i64, mask = #kiln.mask_kind<bias>}
      : (tensor<8x64x32xf32>, tensor<8x655x32xf32>, tensor<8x655x32xf32>, tensor<8x1x64x655xf32>) -> tensor<8x64x32xf32>
  return %batch, %group, %pad, %plain, %biased : tensor<8x64x32xf32>, tensor<8x64x32xf32>, tensor<8x64x32xf32>, tensor<8x64x32xf32>, tensor<8x64x32xf32>
}
