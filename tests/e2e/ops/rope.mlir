// Rotary embeddings: full rotate-half with Llama 3 scaling, partial
// rotate-half (Phi), interleaved, explicit [S] and [B, S] positions, and
// positions anywhere below 2^31 (f32 angles and cos/sin reduced by pi / 2
// in f32 left [-1, 1] past about 4e7 radians; the angles are now reduced
// by whole turns in f64, docs/compiler.md "Known limits").
func.func @rope(%x: tensor<2x7x24xf32>, %p: tensor<7xi64> {kiln.int_range = array<i64: 0, 300>}, %pb: tensor<2x7xi32> {kiln.int_range = array<i64: 0, 50>},
                %pl: tensor<7xi64> {kiln.int_range = array<i64: 0, 2147483647>})
    -> (tensor<2x7x24xf32>, tensor<2x7x24xf32>, tensor<2x7x24xf32>, tensor<2x7x24xf32>, tensor<2x7x24xf32>) {
  %a = kiln.rope %x {head_dim = 12 : i64, rotary_dim = 12 : i64, theta = 5.0e5 : f64,
                     llama3_factor = 8.0 : f64, llama3_low_freq_factor = 1.0 : f64,
                     llama3_high_freq_factor = 4.0 : f64, llama3_original_max_position = 16 : i64}
      : (tensor<2x7x24xf32>) -> tensor<2x7x24xf32>
  %b = kiln.rope %x {head_dim = 12 : i64, rotary_dim = 6 : i64, theta = 1.0e4 : f64} : (tensor<2x7x24xf32>) -> tensor<2x7x24xf32>
  %c = kiln.rope %x positions(%p) style interleaved {head_dim = 12 : i64, rotary_dim = 8 : i64, theta = 1.0e4 : f64}
      : (tensor<2x7x24xf32>, tensor<7xi64>) -> tensor<2x7x24xf32>
  %d = kiln.rope %x positions(%pb) {head_dim = 6 : i64, rotary_dim = 6 : i64, theta = 100.0 : f64}
      : (tensor<2x7x24xf32>, tensor<2x7xi32>) -> tensor<2x7x24xf32>
  %e = kiln.rope %x positions(%pl) {head_dim = 12 : i64, rotary_dim = 12 : i64, theta = 1.0e4 : f64}
      : (tensor<2x7x24xf32>, tensor<7xi64>) -> tensor<2x7x24xf32>
  return %a, %b, %c, %d, %e : tensor<2x7x24xf32>, tensor<2x7x24xf32>, tensor<2x7x24xf32>, tensor<2x7x24xf32>, tensor<2x7x24xf32>
}
