// A NaN reaches exactly the attention rows that see it: the row max skips
// NaN scores, so the exponentials and the final division must carry them
// (a NaN row sum once gave zeros, like a row that sees no key). One NaN
// query element (batch 0, row 3, head 0) and one NaN key element (batch 0,
// key 300, head 1); V is finite, since a masked key's 0 * NaN is NaN in any
// GEMM. With head dim 64 (scale 1/8, carried by the keys) the plain
// attention has no mask op. In the causal one the flash loop's second key
// block, [160, 320), holds key 300 and is partly masked for the row tiles
// from 160 on: rows 160-299 must stay finite, rows 300-319 turn NaN.
func.func @attention_nan(%q: tensor<2x320x128xf32> {kiln.nan_at = array<i64: 384>},
                         %k: tensor<2x320x128xf32> {kiln.nan_at = array<i64: 38464>},
                         %v: tensor<2x320x128xf32>)
    -> (tensor<2x320x128xf32>, tensor<2x320x128xf32>) {
  %plain = kiln.attention %q, %k, %v {heads = 2 : i64} : (tensor<2x320x128xf32>, tensor<2x320x128xf32>, tensor<2x320x128xf32>) -> tensor<2x320x128xf32>
  %causal = kiln.attention %q, %k, %v {heads = 2 : i64, mask = #kiln.mask_kind<causal>} : (tensor<2x320x128xf32>, tensor<2x320x128xf32>, tensor<2x320x128xf32>) -> tensor<2x320x128xf32>
  return %plain, %causal : tensor<2x320x128xf32>, tensor<2x320x128xf32>
}
