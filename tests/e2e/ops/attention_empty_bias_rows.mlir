// Bias masks whose rows hide every key (-inf everywhere): under
// empty_rows = all_keys (the default) such a row attends to all keys
// unmasked, as Hugging Face mllama does; under zero it yields zeros. Each
// row's bias is w plus 0 or -inf, picked at run time by an integer input
// from a literal table, so about half the rows are empty. Compiled code
// gave zeros under all_keys too (found by differential fuzzing). 40
// queries against 70 keys, two heads, a per-head bias.
func.func @attention_empty_bias_rows(%q: tensor<2x40x32xf32>, %k: tensor<2x70x32xf32>, %v: tensor<2x70x32xf32>,
                                     %pick: tensor<2x40xi32> {kiln.int_range = array<i64: 0, 1>},
                                     %w: tensor<2x2x40x70xf32>)
    -> (tensor<2x40x32xf32>, tensor<2x40x32xf32>) {
  %table = kiln.constant dense<[0.000000e+00, 0xFF800000]> : tensor<2xf32>
  %hide = kiln.gather %table, %pick : (tensor<2xf32>, tensor<2x40xi32>) -> tensor<2x40xf32>
  %rows = kiln.reshape %hide : tensor<2x40xf32> -> tensor<2x1x40x1xf32>
  %bias = kiln.add %rows, %w : tensor<2x1x40x1xf32>, tensor<2x2x40x70xf32> -> tensor<2x2x40x70xf32>
  %a = kiln.attention %q, %k, %v mask(%bias) {heads = 2 : i64, mask = #kiln.mask_kind<bias>} : (tensor<2x40x32xf32>, tensor<2x70x32xf32>, tensor<2x70x32xf32>, tensor<2x2x40x70xf32>) -> tensor<2x40x32xf32>
  %z = kiln.attention %q, %k, %v mask(%bias) {heads = 2 : i64, mask = #kiln.mask_kind<bias>, empty_rows = #kiln.empty_rows<zero>} : (tensor<2x40x32xf32>, tensor<2x70x32xf32>, tensor<2x70x32xf32>, tensor<2x2x40x70xf32>) -> tensor<2x40x32xf32>
  return %a, %z : tensor<2x40x32xf32>, tensor<2x40x32xf32>
}
