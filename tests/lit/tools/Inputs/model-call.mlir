// The model calls a private function: kiln-reference used to run the first
// function of the module, @square, instead of the model.
func.func private @square(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = kiln.mul %x, %x : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}
func.func @calls(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = func.call @square(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
