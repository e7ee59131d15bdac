// Names that DOT must quote and escape.
func.func @tiny(%x: tensor<2x4xf32> {kiln.name = "x \"in\""})
    -> (tensor<2x8xf32> {kiln.name = "y"}) {
  %w = kiln.param "w \"quoted\" \\ name" : tensor<8x4xf32>
  %b = kiln.param "b" : tensor<8xf32>
  %h = kiln.linear %x, %w, %b
      : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %g = kiln.gelu %h : tensor<2x8xf32>
  return %g : tensor<2x8xf32>
}
