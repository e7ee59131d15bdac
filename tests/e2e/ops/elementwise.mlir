// Elementwise ops with broadcasting, every activation, literals.
func.func @elementwise(%x: tensor<3x5x40xf32>, %y: tensor<5x1xf32>)
    -> (tensor<3x5x40xf32>, tensor<3x5x40xf32>, tensor<3x5x40xf32>) {
  %w = kiln.param "w" : tensor<40xf32>
  %half = kiln.constant dense<0.5> : tensor<f32>
  %a = kiln.add %x, %w : tensor<3x5x40xf32>, tensor<40xf32> -> tensor<3x5x40xf32>
  %b = kiln.sub %a, %y : tensor<3x5x40xf32>, tensor<5x1xf32> -> tensor<3x5x40xf32>
  %c = kiln.mul %b, %half : tensor<3x5x40xf32>, tensor<f32> -> tensor<3x5x40xf32>
  %d = kiln.div %c, %y : tensor<3x5x40xf32>, tensor<5x1xf32> -> tensor<3x5x40xf32>
  %e = kiln.maximum %d, %x : tensor<3x5x40xf32>, tensor<3x5x40xf32> -> tensor<3x5x40xf32>
  %g0 = kiln.gelu %e : tensor<3x5x40xf32>
  %g1 = kiln.gelu %g0 approximation tanh : tensor<3x5x40xf32>
  %g2 = kiln.gelu %g1 approximation quick : tensor<3x5x40xf32>
  %s0 = kiln.silu %x : tensor<3x5x40xf32>
  %s1 = kiln.sigmoid %s0 : tensor<3x5x40xf32>
  %s2 = kiln.tanh %s1 : tensor<3x5x40xf32>
  %s3 = kiln.exp %s2 : tensor<3x5x40xf32>
  %s4 = kiln.rsqrt %s3 : tensor<3x5x40xf32>
  %s5 = kiln.sqrt %s4 : tensor<3x5x40xf32>
  %s6 = kiln.neg %s5 : tensor<3x5x40xf32>
  %bc = kiln.broadcast %y : tensor<5x1xf32> -> tensor<3x5x40xf32>
  return %g2, %s6, %bc : tensor<3x5x40xf32>, tensor<3x5x40xf32>, tensor<3x5x40xf32>
}
