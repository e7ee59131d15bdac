// Outputs that no op of their own computes: a parameter, an input, a view
// of an input, a constant and one value returned twice. Each gets its own
// copy (kiln-materialize-outputs), so every output is a buffer of its own.
func.func @returned_values(%x: tensor<3x8xf32>, %y: tensor<3x8xf32>)
    -> (tensor<8xf32>, tensor<3x8xf32>, tensor<24xf32>, tensor<2xf32>,
        tensor<3x8xf32>, tensor<3x8xf32>) {
  %w = kiln.param "w" : tensor<8xf32>
  %r = kiln.reshape %x : tensor<3x8xf32> -> tensor<24xf32>
  %c = kiln.constant dense<[0.5, -2.0]> : tensor<2xf32>
  %s = kiln.add %y, %w : tensor<3x8xf32>, tensor<8xf32> -> tensor<3x8xf32>
  return %w, %x, %r, %c, %s, %s
      : tensor<8xf32>, tensor<3x8xf32>, tensor<24xf32>, tensor<2xf32>,
        tensor<3x8xf32>, tensor<3x8xf32>
}
