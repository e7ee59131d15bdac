// A softmax along a dim that a broadcast expanded, with the axis counted
// from the end: every value of such a row is the same, so each gets 1/n.
// The axis was read unsigned when sinking broadcasts, and the compiled
// code gave 1 (found by differential fuzzing).
func.func @softmax_broadcast_axis(%x: tensor<2x1x70xf32>) -> (tensor<2x4x70xf32>, tensor<5x4x70xf32>) {
  %p = kiln.param "p.weight" : tensor<1x70xf32>
  %b = kiln.broadcast %x : tensor<2x1x70xf32> -> tensor<2x4x70xf32>
  %s = kiln.softmax %b {axis = -2 : i64} : tensor<2x4x70xf32>
  %bp = kiln.broadcast %p : tensor<1x70xf32> -> tensor<4x70xf32>
  %sp = kiln.softmax %bp {axis = -2 : i64} : tensor<4x70xf32>
  %w = kiln.broadcast %sp : tensor<4x70xf32> -> tensor<5x4x70xf32>
  return %s, %w : tensor<2x4x70xf32>, tensor<5x4x70xf32>
}
