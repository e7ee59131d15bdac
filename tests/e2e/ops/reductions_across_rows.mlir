// Reductions and softmax along a dim that is not the last: the loops stay
// in tensor order (the innermost along memory), and a sum over R rows with
// a divisor B in [8, sqrt(R)] first sums blocks of B rows (R = 1000: 40
// blocks of 25; R = 64: 8 of 8); R = 61 has none. Fed by an elementwise
// producer, with a kept dim (33) that no vector width divides. A reduction
// over several axes runs one axis at a time, the highest first: over all
// of x, over dims 1 and 2 of y, over dims 0 and 2 of z.
func.func @reductions_across_rows(%x: tensor<1000x33xf32>, %y: tensor<3x64x33xf32>, %z: tensor<61x2x40xf32>)
    -> (tensor<33xf32>, tensor<33xf32>, tensor<33xf32>, tensor<3x33xf32>, tensor<3x33xf32>, tensor<2x40xf32>,
        tensor<33xf32>, tensor<1000x33xf32>, tensor<3x64x33xf32>, tensor<61x2x40xf32>, tensor<2x40xf32>,
        tensor<f32>, tensor<f32>, tensor<3xf32>, tensor<2xf32>, tensor<1x1x1xf32>) {
  %e = kiln.exp %x : tensor<1000x33xf32>
  %sum = kiln.reduce sum %e {axes = array<i64: 0>} : tensor<1000x33xf32> -> tensor<33xf32>
  %mean = kiln.reduce mean %x {axes = array<i64: 0>} : tensor<1000x33xf32> -> tensor<33xf32>
  %max = kiln.reduce max %x {axes = array<i64: -2>} : tensor<1000x33xf32> -> tensor<33xf32>
  %mid = kiln.reduce sum %y {axes = array<i64: 1>} : tensor<3x64x33xf32> -> tensor<3x33xf32>
  %midMin = kiln.reduce min %y {axes = array<i64: 1>} : tensor<3x64x33xf32> -> tensor<3x33xf32>
  %prime = kiln.reduce mean %z {axes = array<i64: 0>} : tensor<61x2x40xf32> -> tensor<2x40xf32>
  %two = kiln.reduce sum %y {axes = array<i64: 0, 1>} : tensor<3x64x33xf32> -> tensor<33xf32>
  %sx = kiln.softmax %x {axis = 0 : i64} : tensor<1000x33xf32>
  %sy = kiln.softmax %y {axis = 1 : i64} : tensor<3x64x33xf32>
  %sz = kiln.softmax %z {axis = -3 : i64} : tensor<61x2x40xf32>
  %kept = kiln.reduce sum %z {axes = array<i64: 0>, keep_dims} : tensor<61x2x40xf32> -> tensor<1x2x40xf32>
  %flat = kiln.reshape %kept : tensor<1x2x40xf32> -> tensor<2x40xf32>
  %all = kiln.reduce sum %e {axes = array<i64: 0, 1>} : tensor<1000x33xf32> -> tensor<f32>
  %allMean = kiln.reduce mean %x {axes = array<i64: 1, 0>} : tensor<1000x33xf32> -> tensor<f32>
  %inner = kiln.reduce sum %y {axes = array<i64: 1, 2>} : tensor<3x64x33xf32> -> tensor<3xf32>
  %outer = kiln.reduce max %z {axes = array<i64: 0, -1>} : tensor<61x2x40xf32> -> tensor<2xf32>
  %cube = kiln.reduce mean %z {axes = array<i64: 0, 1, 2>, keep_dims} : tensor<61x2x40xf32> -> tensor<1x1x1xf32>
  return %sum, %mean, %max, %mid, %midMin, %prime, %two, %sx, %sy, %sz, %flat, %all, %allMean, %inner, %outer, %cube
      : tensor<33xf32>, tensor<33xf32>, tensor<33xf32>, tensor<3x33xf32>, tensor<3x33xf32>, tensor<2x40xf32>,
        tensor<33xf32>, tensor<1000x33xf32>, tensor<3x64x33xf32>, tensor<61x2x40xf32>, tensor<2x40xf32>,
        tensor<f32>, tensor<f32>, tensor<3xf32>, tensor<2xf32>, tensor<1x1x1xf32>
}
