// Attention with every mask structure, GQA, scale placement and both kinds
// of empty rows (spans with lo >= hi); causal attentions long enough for the
// kernels to skip key tiles past the diagonal (a causal limit), with as
// many keys as queries and with more keys (kv cache: 9 queries over 13 keys,
// and 300 over 520 with GQA).
func.func @attention(%q: tensor<2x9x32xf32>, %kv: tensor<2x13x16xf32>, %self: tensor<2x9x32xf32>,
                     %len: tensor<2xi32> {kiln.int_range = array<i64: 0, 14>},
                     %spans: tensor<2x9x2xi32> {kiln.int_range = array<i64: 0, 14>},
                     %bias: tensor<2x1x9x13xf32>, %long: tensor<1x520x32xf32>)
    -> (tensor<2x9x32xf32>, tensor<2x9x32xf32>, tensor<2x9x32xf32>, tensor<2x9x32xf32>, tensor<2x9x32xf32>, tensor<2x9x32xf32>, tensor<1x520x32xf32>, tensor<2x9x32xf32>, tensor<1x300x32xf32>) {
  %none = kiln.attention %q, %kv, %kv {heads = 4 : i64, kv_heads = 2 : i64} : (tensor<2x9x32xf32>, tensor<2x13x16xf32>, tensor<2x13x16xf32>) -> tensor<2x9x32xf32>
  %causal = kiln.attention %self, %self, %self {heads = 4 : i64, mask = #kiln.mask_kind<causal>, scale_on = #kiln.scale_placement<query>} : (tensor<2x9x32xf32>, tensor<2x9x32xf32>, tensor<2x9x32xf32>) -> tensor<2x9x32xf32>
  %pad = kiln.attention %q, %kv, %kv mask(%len) {heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<key_padding>, scale = 0.3 : f64}
      : (tensor<2x9x32xf32>, tensor<2x13x16xf32>, tensor<2x13x16xf32>, tensor<2xi32>) -> tensor<2x9x32xf32>
  %spansAll = kiln.attention %q, %kv, %kv mask(%spans) {heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<row_spans>}
      : (tensor<2x9x32xf32>, tensor<2x13x16xf32>, tensor<2x13x16xf32>, tensor<2x9x2xi32>) -> tensor<2x9x32xf32>
  %spansZero = kiln.attention %q, %kv, %kv mask(%spans) {heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<row_spans>, empty_rows = #kiln.empty_rows<zero>}
      : (tensor<2x9x32xf32>, tensor<2x13x16xf32>, tensor<2x13x16xf32>, tensor<2x9x2xi32>) -> tensor<2x9x32xf32>
  %biased = kiln.attention %q, %kv, %kv mask(%bias) {heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<bias>}
      : (tensor<2x9x32xf32>, tensor<2x13x16xf32>, tensor<2x13x16xf32>, tensor<2x1x9x13xf32>) -> tensor<2x9x32xf32>
  %chunked = kiln.attention %long, %long, %long {heads = 2 : i64, mask = #kiln.mask_kind<causal>} : (tensor<1x520x32xf32>, tensor<1x520x32xf32>, tensor<1x520x32xf32>) -> tensor<1x520x32xf32>
  %cached = kiln.attention %q, %kv, %kv {heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<causal>} : (tensor<2x9x32xf32>, tensor<2x13x16xf32>, tensor<2x13x16xf32>) -> tensor<2x9x32xf32>
  %recent = kiln.slice %long {offsets = array<i64: 0, 220, 0>, sizes = array<i64: 1, 300, 32>, strides = array<i64: 1, 1, 1>} : tensor<1x520x32xf32> -> tensor<1x300x32xf32>
  %longKv = kiln.slice %long {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 520, 16>, strides = array<i64: 1, 1, 1>} : tensor<1x520x32xf32> -> tensor<1x520x16xf32>
  %cachedLong = kiln.attention %recent, %longKv, %longKv {heads = 2 : i64, kv_heads = 1 : i64, mask = #kiln.mask_kind<causal>} : (tensor<1x300x32xf32>, tensor<1x520x16xf32>, tensor<1x520x16xf32>) -> tensor<1x300x32xf32>
  return %none, %causal, %pad, %spansAll, %spansZero, %biased, %chunked, %cached, %cachedLong : tensor<2x9x32xf32>, tensor<2x9x32xf32>, tensor<2x9x32xf32>, tensor<2x9x32xf32>, tensor<2x9x32xf32>, tensor<2x9x32xf32>, tensor<1x520x32xf32>, tensor<2x9x32xf32>, tensor<1x300x32xf32>
}
