// Norms and a softmax of rank-1 values: one row each, statistics of rank
// 0. The layer and RMS norms crashed the linalg lowering (found by
// differential fuzzing); an elementwise producer fuses into each.
func.func @norms_rank1(%x: tensor<37xf32>, %bias: tensor<37xf32>)
    -> (tensor<37xf32>, tensor<37xf32>, tensor<37xf32>, tensor<37xf32>) {
  %w = kiln.param "norm.weight" : tensor<37xf32>
  %t = kiln.tanh %x : tensor<37xf32>
  %l = kiln.layer_norm %t scale(%w) bias(%bias) {epsilon = 1.0e-5 : f64} : (tensor<37xf32>, tensor<37xf32>, tensor<37xf32>) -> tensor<37xf32>
  %l0 = kiln.layer_norm %x {epsilon = 1.0e-12 : f64} : (tensor<37xf32>) -> tensor<37xf32>
  %r = kiln.rms_norm %t scale(%w) {epsilon = 1.0e-6 : f64} : (tensor<37xf32>, tensor<37xf32>) -> tensor<37xf32>
  %s = kiln.softmax %x {axis = 0 : i64} : tensor<37xf32>
  return %l, %l0, %r, %s : tensor<37xf32>, tensor<37xf32>, tensor<37xf32>, tensor<37xf32>
}
