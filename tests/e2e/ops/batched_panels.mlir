// Batched GEMMs whose run-time B is copied into panels that keep B's
// leading dims ([..., N / p, K, p]): B[n, k] per head (attention scores
// written by hand, N = 40 in padded panels and N = 64 in whole ones), a
// B[k, n] shared by a broadcast batch dim (140 rows read each slice), and
// a B[n, k] broadcast over the leading batch dim.
func.func @batched_panels(%q: tensor<2x3x9x16xf32>, %k40: tensor<2x3x40x16xf32>, %k64: tensor<2x3x64x16xf32>,
                          %x: tensor<2x3x70x24xf32>, %w: tensor<3x24x40xf32>, %v: tensor<3x45x16xf32>)
    -> (tensor<2x3x9x40xf32>, tensor<2x3x9x64xf32>, tensor<2x3x70x40xf32>, tensor<2x3x9x45xf32>) {
  %s40 = kiln.matmul %q, %k40 {transpose_rhs} : (tensor<2x3x9x16xf32>, tensor<2x3x40x16xf32>) -> tensor<2x3x9x40xf32>
  %s64 = kiln.matmul %q, %k64 {transpose_rhs} : (tensor<2x3x9x16xf32>, tensor<2x3x64x16xf32>) -> tensor<2x3x9x64xf32>
  %xw = kiln.matmul %x, %w : (tensor<2x3x70x24xf32>, tensor<3x24x40xf32>) -> tensor<2x3x70x40xf32>
  %qv = kiln.matmul %q, %v {transpose_rhs} : (tensor<2x3x9x16xf32>, tensor<3x45x16xf32>) -> tensor<2x3x9x45xf32>
  return %s40, %s64, %xw, %qv : tensor<2x3x9x40xf32>, tensor<2x3x9x64xf32>, tensor<2x3x70x40xf32>, tensor<2x3x9x45xf32>
}
