// Concats of several inputs of uneven sizes, along the last axis and along
// the first: the lowering finds each element's input by a binary search
// over the inputs' starts, so every branch of the search is taken here.
func.func @concat_many(%a: tensor<3x1xf32>, %b: tensor<3x4xf32>, %c: tensor<3x2xf32>,
                       %d: tensor<3x7xf32>, %e: tensor<3x3xf32>)
    -> (tensor<3x17xf32>, tensor<10x4xf32>) {
  %last = kiln.concat %a, %b, %c, %d, %e {axis = -1 : i64}
      : (tensor<3x1xf32>, tensor<3x4xf32>, tensor<3x2xf32>, tensor<3x7xf32>, tensor<3x3xf32>) -> tensor<3x17xf32>
  %bt = kiln.transpose %b {permutation = array<i64: 1, 0>} : tensor<3x4xf32> -> tensor<4x3xf32>
  %b2 = kiln.reshape %bt : tensor<4x3xf32> -> tensor<3x4xf32>
  %x = kiln.neg %b : tensor<3x4xf32>
  %row = kiln.slice %b {offsets = array<i64: 1, 0>, sizes = array<i64: 1, 4>, strides = array<i64: 1, 1>} : tensor<3x4xf32> -> tensor<1x4xf32>
  %first = kiln.concat %b, %row, %b2, %x {axis = 0 : i64}
      : (tensor<3x4xf32>, tensor<1x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<10x4xf32>
  return %last, %first : tensor<3x17xf32>, tensor<10x4xf32>
}
