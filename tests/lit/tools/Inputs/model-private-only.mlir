// A private function is not a model.
func.func private @hidden(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = kiln.mul %x, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}
