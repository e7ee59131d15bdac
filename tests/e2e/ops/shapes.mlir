// Data movement: reshape (a view), transpose, slice, concat, gather,
// reductions and top-k; an input returned directly and a value returned
// twice (both become copies).
func.func @shapes(%x: tensor<2x6x8xf32>, %ids: tensor<2x5xi32> {kiln.int_range = array<i64: -2, 12>})
    -> (tensor<8x2x6xf32>, tensor<2x3x4xf32>, tensor<2x7x8xf32>, tensor<2x5x8xf32>,
        tensor<2x6x1xf32>, tensor<8xf32>, tensor<2x6x3xf32>, tensor<2x6x3xi64>,
        tensor<2x6x8xf32>, tensor<12x8xf32>, tensor<12x8xf32>) {
  %table = kiln.param "table" : tensor<10x8xf32>
  %r = kiln.reshape %x : tensor<2x6x8xf32> -> tensor<12x8xf32>
  %r2 = kiln.reshape %r : tensor<12x8xf32> -> tensor<2x6x8xf32>
  %t = kiln.transpose %r2 {permutation = array<i64: 2, 0, 1>} : tensor<2x6x8xf32> -> tensor<8x2x6xf32>
  %s = kiln.slice %x {offsets = array<i64: 0, 1, 1>, sizes = array<i64: 2, 3, 4>, strides = array<i64: 1, 2, 2>} : tensor<2x6x8xf32> -> tensor<2x3x4xf32>
  %row = kiln.slice %x {offsets = array<i64: 0, 5, 0>, sizes = array<i64: 2, 1, 8>, strides = array<i64: 1, 1, 1>} : tensor<2x6x8xf32> -> tensor<2x1x8xf32>
  %c = kiln.concat %row, %x {axis = 1 : i64} : (tensor<2x1x8xf32>, tensor<2x6x8xf32>) -> tensor<2x7x8xf32>
  %g = kiln.gather %table, %ids : (tensor<10x8xf32>, tensor<2x5xi32>) -> tensor<2x5x8xf32>
  %m = kiln.reduce mean %x {axes = array<i64: -1>, keep_dims} : tensor<2x6x8xf32> -> tensor<2x6x1xf32>
  %mx = kiln.reduce max %x {axes = array<i64: 0, 1>} : tensor<2x6x8xf32> -> tensor<8xf32>
  %v, %i = kiln.top_k %x {k = 3 : i64} : tensor<2x6x8xf32> -> (tensor<2x6x3xf32>, tensor<2x6x3xi64>)
  return %t, %s, %c, %g, %m, %mx, %v, %i, %x, %r, %r : tensor<8x2x6xf32>, tensor<2x3x4xf32>, tensor<2x7x8xf32>, tensor<2x5x8xf32>,
        tensor<2x6x1xf32>, tensor<8xf32>, tensor<2x6x3xf32>, tensor<2x6x3xi64>, tensor<2x6x8xf32>, tensor<12x8xf32>, tensor<12x8xf32>
}
