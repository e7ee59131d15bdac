// One parameter read by a GEMM as both operands: W W^T through a linear
// and through a matmul with transpose_rhs, N a multiple of the panel
// width and not. Only the B use is re-laid out; counting the A use as a
// B use too failed the compile (found by differential fuzzing). The
// input keeps the weights' products from folding away.
func.func @weight_both_operands(%x: tensor<64x64xf32>)
    -> (tensor<64x64xf32>, tensor<29x29xf32>) {
  %w = kiln.param "w" : tensor<64x29xf32>
  %v = kiln.param "v" : tensor<29x64xf32>
  %g = kiln.linear %w, %w : (tensor<64x29xf32>, tensor<64x29xf32>) -> tensor<64x64xf32>
  %y = kiln.add %g, %x : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
  %h = kiln.matmul %v, %v {transpose_rhs} : (tensor<29x64xf32>, tensor<29x64xf32>) -> tensor<29x29xf32>
  return %y, %h : tensor<64x64xf32>, tensor<29x29xf32>
}
