// top_k against the reference's order: larger first, NaN above every
// number and tied with NaN, ties (+0 and -0 among them) to the lower
// index. Rows of 1000 span four blocks of 256 (the last one partial);
// NaNs sit in rows 0 and 2, one of them past the first block. Ties: the
// ReLU of x holds about 500 zeros per row, and its negation as many -0;
// exp(100 x) holds about 55 infinities per row. k runs from 1 to the whole
// row. With at least k blocks of 64 (k <= 16 here), the k-th key is sought
// only in the blocks whose maximum reaches the k-th largest block maximum:
// k = 10 and 16 (every block a candidate's), over NaNs, infinities and -0;
// and rows whose k largest are the k largest block maxima (each block of 64
// one value near 10 and 63 near -10), where the k-th key is the bound.
// The members (the keys that reach the threshold) are found through a
// prefix of the blocks' member counts up to 512 blocks of 256, past it by
// a walk over the counts: rows of 131329 (514 blocks, the last one of one
// key) take the walk.
func.func @top_k(%x: tensor<3x1000xf32> {kiln.nan_at = array<i64: 5, 17, 300, 2999>}, %s: tensor<512x8xf32>,
                 %y: tensor<4x48xf32>, %heads: tensor<3x16x1xf32>, %tails: tensor<3x16x63xf32>,
                 %long: tensor<2x131329xf32>)
    -> (tensor<3x1000x1xf32>, tensor<3x50xf32>, tensor<3x50xi64>, tensor<3x700xf32>, tensor<3x700xi64>,
        tensor<3x1200xi64>, tensor<3x80xf32>, tensor<3x80xi64>, tensor<512x2xf32>, tensor<512x2xi64>,
        tensor<4x48xf32>, tensor<4x48xi64>, tensor<3x10xf32>, tensor<3x10xi64>, tensor<3x16xi64>,
        tensor<3x12xf32>, tensor<3x12xi64>, tensor<3x16xi64>, tensor<3x5xi64>, tensor<2x20xf32>,
        tensor<2x20xi64>) {
  %col = kiln.reshape %x : tensor<3x1000xf32> -> tensor<3x1000x1xf32>
  %one, %oneIdx = kiln.top_k %col {k = 1 : i64} : tensor<3x1000x1xf32> -> (tensor<3x1000x1xf32>, tensor<3x1000x1xi64>)
  %v50, %i50 = kiln.top_k %x {k = 50 : i64} : tensor<3x1000xf32> -> (tensor<3x50xf32>, tensor<3x50xi64>)
  %zero = kiln.constant dense<0.0> : tensor<f32>
  %relu = kiln.maximum %x, %zero : tensor<3x1000xf32>, tensor<f32> -> tensor<3x1000xf32>
  %vTies, %iTies = kiln.top_k %relu {k = 700 : i64} : tensor<3x1000xf32> -> (tensor<3x700xf32>, tensor<3x700xi64>)
  %neg = kiln.neg %relu : tensor<3x1000xf32>
  %signed = kiln.concat %neg, %relu {axis = -1 : i64} : (tensor<3x1000xf32>, tensor<3x1000xf32>) -> tensor<3x2000xf32>
  %vZeros, %iZeros = kiln.top_k %signed {k = 1200 : i64} : tensor<3x2000xf32> -> (tensor<3x1200xf32>, tensor<3x1200xi64>)
  %hundred = kiln.constant dense<100.0> : tensor<f32>
  %scaled = kiln.mul %x, %hundred : tensor<3x1000xf32>, tensor<f32> -> tensor<3x1000xf32>
  %big = kiln.exp %scaled : tensor<3x1000xf32>
  %vInf, %iInf = kiln.top_k %big {k = 80 : i64} : tensor<3x1000xf32> -> (tensor<3x80xf32>, tensor<3x80xi64>)
  %vRoute, %iRoute = kiln.top_k %s {k = 2 : i64} : tensor<512x8xf32> -> (tensor<512x2xf32>, tensor<512x2xi64>)
  %vAll, %iAll = kiln.top_k %y {k = 48 : i64} : tensor<4x48xf32> -> (tensor<4x48xf32>, tensor<4x48xi64>)
  %v10, %i10 = kiln.top_k %x {k = 10 : i64} : tensor<3x1000xf32> -> (tensor<3x10xf32>, tensor<3x10xi64>)
  %vInf16, %iInf16 = kiln.top_k %big {k = 16 : i64} : tensor<3x1000xf32> -> (tensor<3x16xf32>, tensor<3x16xi64>)
  %vNeg, %iNeg = kiln.top_k %neg {k = 12 : i64} : tensor<3x1000xf32> -> (tensor<3x12xf32>, tensor<3x12xi64>)
  %ten = kiln.constant dense<10.0> : tensor<f32>
  %high = kiln.add %heads, %ten : tensor<3x16x1xf32>, tensor<f32> -> tensor<3x16x1xf32>
  %low = kiln.sub %tails, %ten : tensor<3x16x63xf32>, tensor<f32> -> tensor<3x16x63xf32>
  %stepped = kiln.concat %high, %low {axis = -1 : i64} : (tensor<3x16x1xf32>, tensor<3x16x63xf32>) -> tensor<3x16x64xf32>
  %rows = kiln.reshape %stepped : tensor<3x16x64xf32> -> tensor<3x1024xf32>
  %vStep16, %iStep16 = kiln.top_k %rows {k = 16 : i64} : tensor<3x1024xf32> -> (tensor<3x16xf32>, tensor<3x16xi64>)
  %vStep5, %iStep5 = kiln.top_k %rows {k = 5 : i64} : tensor<3x1024xf32> -> (tensor<3x5xf32>, tensor<3x5xi64>)
  %vLong, %iLong = kiln.top_k %long {k = 20 : i64} : tensor<2x131329xf32> -> (tensor<2x20xf32>, tensor<2x20xi64>)
  return %one, %v50, %i50, %vTies, %iTies, %iZeros, %vInf, %iInf, %vRoute, %iRoute, %vAll, %iAll, %v10, %i10, %iInf16,
         %vNeg, %iNeg, %iStep16, %iStep5, %vLong, %iLong
      : tensor<3x1000x1xf32>, tensor<3x50xf32>, tensor<3x50xi64>, tensor<3x700xf32>, tensor<3x700xi64>,
        tensor<3x1200xi64>, tensor<3x80xf32>, tensor<3x80xi64>, tensor<512x2xf32>, tensor<512x2xi64>,
        tensor<4x48xf32>, tensor<4x48xi64>, tensor<3x10xf32>, tensor<3x10xi64>, tensor<3x16xi64>,
        tensor<3x12xf32>, tensor<3x12xi64>, tensor<3x16xi64>, tensor<3x5xi64>, tensor<2x20xf32>,
        tensor<2x20xi64>
}
