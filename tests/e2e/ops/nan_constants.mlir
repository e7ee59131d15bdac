// NaN known at compile time: a kiln.constant with NaN elements (and one
// concatenated with a run-time input) through every op whose expansion
// converts a float to an integer (exp's range reduction, and the ops
// built on exp: sigmoid, SiLU, softmax, the GELUs, tanh). LLVM folds the
// conversion of a constant NaN to poison; before kiln-cpu-expand-math
// converted NaN as 0, exp's store of such an element was dropped and the
// output read 0 (or what the buffer held). The outputs must be NaN
// exactly where the reference's are. Rows of 20 take the vector path and
// its remainder.
func.func @nan_constants(%x: tensor<2x20xf32>)
    -> (tensor<2x20xf32>, tensor<2x20xf32>, tensor<2x20xf32>, tensor<2x20xf32>,
        tensor<2x20xf32>, tensor<2x20xf32>, tensor<2x20xf32>, tensor<4x20xf32>) {
  %c = kiln.constant dense<[[-7.4, 0x7FC00000, -6.66, -6.29, -5.92, -5.55, -5.18, -4.81, -4.44, -4.07, -3.7, -3.33, -2.96, -2.59, -2.22, -1.85, -1.48, 0x7FC00000, 0x7FC00000, -0.37], [0.0, 0.37, 0.74, 1.11, 1.48, 1.85, 2.22, 2.59, 2.96, 3.33, 3.7, 4.07, 4.44, 0x7FC00000, 5.18, 5.55, 5.92, 6.29, 6.66, 7.03]]> : tensor<2x20xf32>
  %e = kiln.exp %c : tensor<2x20xf32>
  %s = kiln.sigmoid %c : tensor<2x20xf32>
  %u = kiln.silu %c : tensor<2x20xf32>
  %m = kiln.softmax %c {axis = -1 : i64} : tensor<2x20xf32>
  %g = kiln.gelu %c approximation tanh : tensor<2x20xf32>
  %q = kiln.gelu %c approximation quick : tensor<2x20xf32>
  %t = kiln.tanh %c : tensor<2x20xf32>
  %cx = kiln.concat %c, %x {axis = 0 : i64} : (tensor<2x20xf32>, tensor<2x20xf32>) -> tensor<4x20xf32>
  %ce = kiln.exp %cx : tensor<4x20xf32>
  return %e, %s, %u, %m, %g, %q, %t, %ce : tensor<2x20xf32>, tensor<2x20xf32>, tensor<2x20xf32>, tensor<2x20xf32>, tensor<2x20xf32>, tensor<2x20xf32>, tensor<2x20xf32>, tensor<4x20xf32>
}
