// Norms of one input share its row statistics (CSE): the first norm's
// dispatch exports the sum and the centred sum of squares, and the second
// norm's dispatch reads them. Both statistics are results of one tile
// whose reductions CSE had given one zero fill; the compiled code wrote
// the sum over the sum of squares (found by differential fuzzing). The
// GEMM after the first norm keeps the two norms in separate dispatches;
// the third norm, with a scale and a bias, shares them too.
func.func @norms_shared_stats(%x: tensor<7x17xf32>, %m: tensor<17x31xf32>, %bias: tensor<17xf32>)
    -> (tensor<7x31xf32>, tensor<7x17xf32>, tensor<7x17xf32>) {
  %w = kiln.param "norm.weight" : tensor<17xf32>
  %a = kiln.layer_norm %x {epsilon = 1.0e-5 : f64} : (tensor<7x17xf32>) -> tensor<7x17xf32>
  %p = kiln.matmul %a, %m : (tensor<7x17xf32>, tensor<17x31xf32>) -> tensor<7x31xf32>
  %b = kiln.layer_norm %x {epsilon = 1.0e-12 : f64} : (tensor<7x17xf32>) -> tensor<7x17xf32>
  %c = kiln.layer_norm %x scale(%w) bias(%bias) {epsilon = 1.0e-5 : f64} : (tensor<7x17xf32>, tensor<17xf32>, tensor<17xf32>) -> tensor<7x17xf32>
  return %p, %b, %c : tensor<7x31xf32>, tensor<7x17xf32>, tensor<7x17xf32>
}
