// Linear layers with at most 4 outputs are rows of dot products along K
// (kiln.dot_rows), lowered as row reductions rather than GEMMs: one output
// with a bias (a value head), three over batch dims fed by an elementwise
// producer, four with K = 1000 (no multiple of a vector), and 5 outputs,
// still a GEMM, beside them.
func.func @dot_rows(%x: tensor<70x96xf32>, %y: tensor<2x9x40xf32>, %z: tensor<33x1000xf32>)
    -> (tensor<70x1xf32>, tensor<2x9x3xf32>, tensor<33x4xf32>, tensor<70x5xf32>) {
  %w1 = kiln.param "value.weight" : tensor<1x96xf32>
  %b1 = kiln.param "value.bias" : tensor<1xf32>
  %v = kiln.linear %x, %w1, %b1 : (tensor<70x96xf32>, tensor<1x96xf32>, tensor<1xf32>) -> tensor<70x1xf32>
  %g = kiln.gelu %y : tensor<2x9x40xf32>
  %w3 = kiln.param "gate.weight" : tensor<3x40xf32>
  %t = kiln.linear %g, %w3 : (tensor<2x9x40xf32>, tensor<3x40xf32>) -> tensor<2x9x3xf32>
  %w4 = kiln.param "head.weight" : tensor<4x1000xf32>
  %h = kiln.linear %z, %w4 : (tensor<33x1000xf32>, tensor<4x1000xf32>) -> tensor<33x4xf32>
  %w5 = kiln.param "five.weight" : tensor<5x96xf32>
  %f = kiln.linear %x, %w5 : (tensor<70x96xf32>, tensor<5x96xf32>) -> tensor<70x5xf32>
  return %v, %t, %h, %f : tensor<70x1xf32>, tensor<2x9x3xf32>, tensor<33x4xf32>, tensor<70x5xf32>
}
