func.func @scalar(%a: f32, %b: tensor<2xf32>) -> tensor<2xf32> {
  %0 = kiln.add %b, %b : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
