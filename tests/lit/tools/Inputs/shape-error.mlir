func.func @mismatch(%x: tensor<2x4xf32>) -> tensor<2x8xf32> {
  %w = kiln.param "fc.weight" : tensor<8x5xf32>
  %y = kiln.linear %x, %w : (tensor<2x4xf32>, tensor<8x5xf32>) -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
