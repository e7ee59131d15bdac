// Weights in panels per head: a [heads * 64, 40] linear weight read per
// head as [heads, 64, 40] (B[h, n, k]) is stored [heads, 2, 40, 32], each
// head's matrix in two panels of 32 columns (kiln-materialize-weight-
// layouts); 96 columns per head make three. Weights that GEMMs read as
// B[.., k, n], a per-head [heads, 40, 64] (the absorbed attention's
// query-side weights) and a plain [40, 64], are permuted and then stored
// in panels the same way. The last product reads per-head queries
// [2, 7, heads, 40] through their transpose to [2, heads, 7, 40]
// (kiln-fold-gemm-transposes). 7 rows and a depth of 40 leave remainders
// in the row and depth loops.
func.func @per_head_panels(%x: tensor<3x7x40xf32>, %y: tensor<3x7x40xf32>, %z: tensor<7x40xf32>,
                           %q: tensor<2x7x3x40xf32>)
    -> (tensor<3x7x64xf32>, tensor<3x7x96xf32>, tensor<3x7x64xf32>, tensor<7x64xf32>,
        tensor<2x3x7x64xf32>) {
  %w = kiln.param "proj.weight" : tensor<192x40xf32>
  %wh = kiln.reshape %w : tensor<192x40xf32> -> tensor<3x64x40xf32>
  %a = kiln.matmul %x, %wh {transpose_rhs} : (tensor<3x7x40xf32>, tensor<3x64x40xf32>) -> tensor<3x7x64xf32>
  %v = kiln.param "wide.weight" : tensor<288x40xf32>
  %vh = kiln.reshape %v : tensor<288x40xf32> -> tensor<3x96x40xf32>
  %b = kiln.matmul %y, %vh {transpose_rhs} : (tensor<3x7x40xf32>, tensor<3x96x40xf32>) -> tensor<3x7x96xf32>
  %u = kiln.param "query.weight" : tensor<120x64xf32>
  %uh = kiln.reshape %u : tensor<120x64xf32> -> tensor<3x40x64xf32>
  %c = kiln.matmul %x, %uh : (tensor<3x7x40xf32>, tensor<3x40x64xf32>) -> tensor<3x7x64xf32>
  %p = kiln.param "plain.weight" : tensor<40x64xf32>
  %d = kiln.matmul %z, %p : (tensor<7x40xf32>, tensor<40x64xf32>) -> tensor<7x64xf32>
  %qt = kiln.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x7x3x40xf32> -> tensor<2x3x7x40xf32>
  %e = kiln.matmul %qt, %uh : (tensor<2x3x7x40xf32>, tensor<3x40x64xf32>) -> tensor<2x3x7x64xf32>
  return %a, %b, %c, %d, %e : tensor<3x7x64xf32>, tensor<3x7x96xf32>, tensor<3x7x64xf32>, tensor<7x64xf32>,
                              tensor<2x3x7x64xf32>
}
