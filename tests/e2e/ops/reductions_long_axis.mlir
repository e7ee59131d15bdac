// Rounding of sums along a long earlier axis, at a tolerance (kiln.rtol)
// that a sequential sum misses: over 65536 rows each result's terms are
// added in blocks of 256 rows, then the 256 partial sums (a reduce's sum
// and softmax's sum of exp(x - max) alike). Without the blocks softmax
// along dim 0 was off by up to 5.3e-6 of its values, against 2e-6 here.
func.func @reductions_long_axis(%x: tensor<65536x16xf32>)
    -> (tensor<65536x16xf32>, tensor<16xf32>, tensor<16xf32>)
    attributes {kiln.rtol = 2.0e-6 : f64} {
  %s = kiln.softmax %x {axis = 0 : i64} : tensor<65536x16xf32>
  %e = kiln.exp %x : tensor<65536x16xf32>
  %sum = kiln.reduce sum %e {axes = array<i64: 0>} : tensor<65536x16xf32> -> tensor<16xf32>
  %mean = kiln.reduce mean %e {axes = array<i64: 0>} : tensor<65536x16xf32> -> tensor<16xf32>
  return %s, %sum, %mean : tensor<65536x16xf32>, tensor<16xf32>, tensor<16xf32>
}
