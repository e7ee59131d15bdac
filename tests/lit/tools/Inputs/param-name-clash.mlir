func.func @clash(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = kiln.param "w" : tensor<4xf32>
  %b = kiln.param "w" : tensor<2x2xf32>
  %c = kiln.reshape %b : tensor<2x2xf32> -> tensor<4xf32>
  %s = kiln.add %a, %c : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %y = kiln.add %s, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}
