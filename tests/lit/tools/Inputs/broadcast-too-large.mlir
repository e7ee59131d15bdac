func.func @huge(%x: tensor<f32>) -> tensor<f32> {
  %b = kiln.broadcast %x : tensor<f32> -> tensor<4294967296x4294967296xf32>
  %r = kiln.reduce sum %b {axes = array<i64: 0, 1>} : tensor<4294967296x4294967296xf32> -> tensor<f32>
  return %r : tensor<f32>
}
