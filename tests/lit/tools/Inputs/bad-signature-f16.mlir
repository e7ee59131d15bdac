// Kiln ops take f32, i32 and i64 tensors; an f16 input can reach none.
func.func @half(%x: tensor<4xf16>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %z = kiln.add %y, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %z : tensor<4xf32>
}
