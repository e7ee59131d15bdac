func.func @same_input_name(%a: tensor<4xf32> {kiln.name = "x"}, %b: tensor<4xf32> {kiln.name = "x"}) -> tensor<4xf32> {
  %y = kiln.add %a, %b : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}
