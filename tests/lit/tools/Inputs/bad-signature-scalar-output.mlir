func.func @scalar_output(%b: tensor<2xf32>) -> (tensor<2xf32>, f32) {
  %0 = kiln.add %b, %b : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  %c = arith.constant 1.0 : f32
  return %0, %c : tensor<2xf32>, f32
}
