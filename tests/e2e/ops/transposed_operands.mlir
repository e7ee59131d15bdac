// kiln.matmul with A read transposed (copied into [.., m, k] before the
// GEMM): two-dimensional with odd sizes, batched with A broadcast over a
// batch dim, both operands transposed, an elementwise producer of the
// transposed A, and a weight as B.
func.func @transposed_operands(%at: tensor<70x37xf32>, %b: tensor<70x45xf32>, %bat: tensor<3x24x40xf32>, %bb: tensor<2x3x24x33xf32>,
                               %bt: tensor<2x3x33x24xf32>)
    -> (tensor<37x45xf32>, tensor<2x3x40x33xf32>, tensor<2x3x40x33xf32>, tensor<37x45xf32>, tensor<37x64xf32>) {
  %plain = kiln.matmul %at, %b {transpose_lhs} : (tensor<70x37xf32>, tensor<70x45xf32>) -> tensor<37x45xf32>
  %batched = kiln.matmul %bat, %bb {transpose_lhs} : (tensor<3x24x40xf32>, tensor<2x3x24x33xf32>) -> tensor<2x3x40x33xf32>
  %both = kiln.matmul %bat, %bt {transpose_lhs, transpose_rhs} : (tensor<3x24x40xf32>, tensor<2x3x33x24xf32>) -> tensor<2x3x40x33xf32>
  %e = kiln.tanh %at : tensor<70x37xf32>
  %produced = kiln.matmul %e, %b {transpose_lhs} : (tensor<70x37xf32>, tensor<70x45xf32>) -> tensor<37x45xf32>
  %w = kiln.param "w" : tensor<70x64xf32>
  %weight = kiln.matmul %at, %w {transpose_lhs} : (tensor<70x37xf32>, tensor<70x64xf32>) -> tensor<37x64xf32>
  return %plain, %batched, %both, %produced, %weight : tensor<37x45xf32>, tensor<2x3x40x33xf32>, tensor<2x3x40x33xf32>, tensor<37x45xf32>, tensor<37x64xf32>
}
