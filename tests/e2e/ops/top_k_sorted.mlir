// top_k past 256 members (sorted by a bitonic network) and with the k-th key
// found by its bits. Rows of 131329 (514 blocks of 256) give their top
// 32768 in order: a network over 32768 keys, unpruned, members by the walk over
// the blocks' counts. Those sorted rows, descending and negated
// (ascending), then give their top 300 with blocks of 64 pruned: every
// block maximum of a sorted row is near the k-th, more than 4k keys reach
// the bound, so the k-th key comes from the bits (k passes would cost
// more), and 1200 candidate slots (2048 with padding) are sorted, 300 of
// them members. A row
// of +0 and -0 (the sorted values times 0: -0 where they were negative)
// ties everywhere: the lower index first. The 1000-wide rows with NaNs
// (rows 0 and 2) are sorted whole, k = n: NaN above every number, its
// ties by index. The random rows of 131329 also give their top 300: pruned
// over 2053 blocks of 64, about 320 candidates reach the bound (few), so
// the 1200 slots hold them and about 880 padding keys when sorted. A
// top-20 of the 1000-wide rows stays on the k passes over the row (k n
// costs less than the bits there). The same rows as 3 x 2 rows of 500
// give all of their keys and their top 400 (400 members padded to 512):
// rows in two dims, and a network whose stages at distances 8 to 256
// store their runs' halves apart.
func.func @top_k_sorted(%long: tensor<2x131329xf32>,
                        %x: tensor<3x1000xf32> {kiln.nan_at = array<i64: 5, 17, 300, 2999>})
    -> (tensor<2x32768xf32>, tensor<2x32768xi64>, tensor<2x300xf32>, tensor<2x300xi64>,
        tensor<2x300xf32>, tensor<2x300xi64>, tensor<2x300xi64>, tensor<3x1000xf32>,
        tensor<3x1000xi64>, tensor<2x300xf32>, tensor<2x300xi64>, tensor<3x20xf32>,
        tensor<3x20xi64>, tensor<3x2x500xf32>, tensor<3x2x500xi64>,
        tensor<3x2x400xf32>, tensor<3x2x400xi64>) {
  %desc, %iDesc = kiln.top_k %long {k = 32768 : i64} : tensor<2x131329xf32> -> (tensor<2x32768xf32>, tensor<2x32768xi64>)
  %vTopOfDesc, %iTopOfDesc = kiln.top_k %desc {k = 300 : i64} : tensor<2x32768xf32> -> (tensor<2x300xf32>, tensor<2x300xi64>)
  %asc = kiln.neg %desc : tensor<2x32768xf32>
  %vTopOfAsc, %iTopOfAsc = kiln.top_k %asc {k = 300 : i64} : tensor<2x32768xf32> -> (tensor<2x300xf32>, tensor<2x300xi64>)
  %zero = kiln.constant dense<0.0> : tensor<f32>
  %zeros = kiln.mul %desc, %zero : tensor<2x32768xf32>, tensor<f32> -> tensor<2x32768xf32>
  %vZeros, %iZeros = kiln.top_k %zeros {k = 300 : i64} : tensor<2x32768xf32> -> (tensor<2x300xf32>, tensor<2x300xi64>)
  %vAll, %iAll = kiln.top_k %x {k = 1000 : i64} : tensor<3x1000xf32> -> (tensor<3x1000xf32>, tensor<3x1000xi64>)
  %vFew, %iFew = kiln.top_k %long {k = 300 : i64} : tensor<2x131329xf32> -> (tensor<2x300xf32>, tensor<2x300xi64>)
  %v20, %i20 = kiln.top_k %x {k = 20 : i64} : tensor<3x1000xf32> -> (tensor<3x20xf32>, tensor<3x20xi64>)
  %x3 = kiln.reshape %x : tensor<3x1000xf32> -> tensor<3x2x500xf32>
  %vRows, %iRows = kiln.top_k %x3 {k = 500 : i64} : tensor<3x2x500xf32> -> (tensor<3x2x500xf32>, tensor<3x2x500xi64>)
  %v400, %i400 = kiln.top_k %x3 {k = 400 : i64} : tensor<3x2x500xf32> -> (tensor<3x2x400xf32>, tensor<3x2x400xi64>)
  return %desc, %iDesc, %vTopOfDesc, %iTopOfDesc, %vTopOfAsc, %iTopOfAsc, %iZeros, %vAll, %iAll,
         %vFew, %iFew, %v20, %i20, %vRows, %iRows, %v400, %i400
      : tensor<2x32768xf32>, tensor<2x32768xi64>, tensor<2x300xf32>, tensor<2x300xi64>,
        tensor<2x300xf32>, tensor<2x300xi64>, tensor<2x300xi64>, tensor<3x1000xf32>,
        tensor<3x1000xi64>, tensor<2x300xf32>, tensor<2x300xi64>, tensor<3x20xf32>,
        tensor<3x20xi64>, tensor<3x2x500xf32>, tensor<3x2x500xi64>,
        tensor<3x2x400xf32>, tensor<3x2x400xi64>
}
