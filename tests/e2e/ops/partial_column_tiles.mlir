// Column counts that no multiple of 32 divides (a vocabulary) end in a
// partial workgroup tile: 1001 columns with a bias and GELU over 150 rows
// (partial row and column tiles: four kernel bodies), 3 rows (tiles
// narrowed to 128 for eight workgroups, the last of 105 columns), a batch
// of 2 x 5 rows, and 70 rows times a run-time B of 300 columns packed into
// padded panels (tiles of 32 x 128, the last ones of 6 rows and 44 columns).
func.func @partial_column_tiles(%x: tensor<150x64xf32>, %few: tensor<3x64xf32>, %batch: tensor<2x5x64xf32>,
                                %p: tensor<70x80xf32>, %q: tensor<80x300xf32>)
    -> (tensor<150x1001xf32>, tensor<3x1001xf32>, tensor<2x5x1001xf32>, tensor<70x300xf32>) {
  %w = kiln.param "head.weight" : tensor<1001x64xf32>
  %bias = kiln.param "head.bias" : tensor<1001xf32>
  %y = kiln.linear %x, %w, %bias : (tensor<150x64xf32>, tensor<1001x64xf32>, tensor<1001xf32>) -> tensor<150x1001xf32>
  %g = kiln.gelu %y : tensor<150x1001xf32>
  %f = kiln.linear %few, %w : (tensor<3x64xf32>, tensor<1001x64xf32>) -> tensor<3x1001xf32>
  %b = kiln.linear %batch, %w, %bias : (tensor<2x5x64xf32>, tensor<1001x64xf32>, tensor<1001xf32>) -> tensor<2x5x1001xf32>
  %pq = kiln.matmul %p, %q : (tensor<70x80xf32>, tensor<80x300xf32>) -> tensor<70x300xf32>
  return %g, %f, %b, %pq : tensor<150x1001xf32>, tensor<3x1001xf32>, tensor<2x5x1001xf32>, tensor<70x300xf32>
}
