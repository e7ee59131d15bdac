// Layer norms of rows of equal values, known only at run time (a column
// broadcast along the rows): the mean is shifted by each row's first
// element, so it is exactly that value and the rows normalise to exactly
// 0 (then the bias), as in torch. With the mean as sum(x) / D, its
// rounding error times 1 / sqrt(1e-12) gave outputs up to 0.12 (found by
// differential fuzzing). The last norm joins a GEMM's dispatch, whose
// epilogue makes its rows equal too (the broadcast plus a product of
// m - m).
func.func @norms_constant_rows(%x: tensor<6x1xf32>, %m: tensor<6x5xf32>, %bias: tensor<24xf32>)
    -> (tensor<6x24xf32>, tensor<6x24xf32>, tensor<6x24xf32>) {
  %w = kiln.param "norm.weight" : tensor<24xf32>
  %fc = kiln.param "fc.weight" : tensor<24x5xf32>
  %rows = kiln.broadcast %x : tensor<6x1xf32> -> tensor<6x24xf32>
  %a = kiln.layer_norm %rows {epsilon = 1.0e-12 : f64} : (tensor<6x24xf32>) -> tensor<6x24xf32>
  %b = kiln.layer_norm %rows scale(%w) bias(%bias) {epsilon = 1.0e-5 : f64} : (tensor<6x24xf32>, tensor<24xf32>, tensor<24xf32>) -> tensor<6x24xf32>
  %z = kiln.sub %m, %m : tensor<6x5xf32>, tensor<6x5xf32> -> tensor<6x5xf32>
  %p = kiln.linear %z, %fc : (tensor<6x5xf32>, tensor<24x5xf32>) -> tensor<6x24xf32>
  %q = kiln.add %p, %rows : tensor<6x24xf32>, tensor<6x24xf32> -> tensor<6x24xf32>
  %c = kiln.layer_norm %q scale(%w) bias(%bias) {epsilon = 1.0e-12 : f64} : (tensor<6x24xf32>, tensor<24xf32>, tensor<24xf32>) -> tensor<6x24xf32>
  return %a, %b, %c : tensor<6x24xf32>, tensor<6x24xf32>, tensor<6x24xf32>
}
