// Per-head weights in panels: a [heads * 64, 40] linear weight read per
// head as [heads, 64, 40] is stored [heads, 2, 40, 32], each head's
// matrix in two panels of 32 columns (kiln-materialize-weight-layouts).
// 7 rows and a depth of 40 leave remainders in the row and depth loops;
// 96 columns per head make three panels.
func.func @per_head_panels(%x: tensor<3x7x40xf32>, %y: tensor<3x7x40xf32>)
    -> (tensor<3x7x64xf32>, tensor<3x7x96xf32>) {
  %w = kiln.param "proj.weight" : tensor<192x40xf32>
  %wh = kiln.reshape %w : tensor<192x40xf32> -> tensor<3x64x40xf32>
  %a = kiln.matmul %x, %wh {transpose_rhs} : (tensor<3x7x40xf32>, tensor<3x64x40xf32>) -> tensor<3x7x64xf32>
  %v = kiln.param "wide.weight" : tensor<288x40xf32>
  %vh = kiln.reshape %v : tensor<288x40xf32> -> tensor<3x96x40xf32>
  %b = kiln.matmul %y, %vh {transpose_rhs} : (tensor<3x7x40xf32>, tensor<3x96x40xf32>) -> tensor<3x7x96xf32>
  return %a, %b : tensor<3x7x64xf32>, tensor<3x7x96xf32>
}
