// Integer parameters as gather indices (kiln-compile-weights.test): the
// artifact stores them as i64 and i32, not as the floats a weight source
// holds.
func.func @lookup(%table: tensor<8x2xf32> {kiln.name = "table"})
    -> (tensor<5x2xf32> {kiln.name = "y64"}, tensor<3x2xf32> {kiln.name = "y32"}) {
  %i64 = kiln.param "rows64" : tensor<5xi64>
  %i32 = kiln.param "rows32" : tensor<3xi32>
  %a = kiln.gather %table, %i64 {axis = 0 : i64} : (tensor<8x2xf32>, tensor<5xi64>) -> tensor<5x2xf32>
  %b = kiln.gather %table, %i32 {axis = 0 : i64} : (tensor<8x2xf32>, tensor<3xi32>) -> tensor<3x2xf32>
  return %a, %b : tensor<5x2xf32>, tensor<3x2xf32>
}
