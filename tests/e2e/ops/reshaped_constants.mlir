// Reshapes of constants: a literal reshaped before an add, and the aux
// loss of an MoE layer without one (the constant 0, made by the MoE
// lowering) reshaped to a vector. Both failed to compile: the reshape, a
// view, kept its constant outside every dispatch (found by differential
// fuzzing).
func.func @reshaped_constants(%x: tensor<3x5xf32>, %h: tensor<4x8xf32>)
    -> (tensor<3x5xf32>, tensor<4x8xf32>, tensor<1xf32>) {
  %c = kiln.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %r = kiln.reshape %c : tensor<3xf32> -> tensor<3x1xf32>
  %s = kiln.add %x, %r : tensor<3x5xf32>, tensor<3x1xf32> -> tensor<3x5xf32>
  %router = kiln.param "router" : tensor<2x8xf32>
  %g0 = kiln.param "g0" : tensor<4x8xf32>
  %u0 = kiln.param "u0" : tensor<4x8xf32>
  %d0 = kiln.param "d0" : tensor<8x4xf32>
  %g1 = kiln.param "g1" : tensor<4x8xf32>
  %u1 = kiln.param "u1" : tensor<4x8xf32>
  %d1 = kiln.param "d1" : tensor<8x4xf32>
  %y, %n, %aux = kiln.moe %h, %router experts(%g0, %u0, %d0, %g1, %u1, %d1) {top_k = 1 : i64}
      : (tensor<4x8xf32>, tensor<2x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x4xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x4xf32>)
      -> (tensor<4x8xf32>, tensor<2xi64>, tensor<f32>)
  %a = kiln.reshape %aux : tensor<f32> -> tensor<1xf32>
  return %s, %y, %a : tensor<3x5xf32>, tensor<4x8xf32>, tensor<1xf32>
}
