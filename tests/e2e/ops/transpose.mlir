// Copies that move the innermost dim, lowered to 16 x 16 block transposes
// (kiln-cpu-lower-transposes): whole blocks and edges on both sides (37 x
// 53), a 4-D permutation that keeps an outer dim between the two (keys as
// attention reads them, with 21 and 19 leaving edges), and extents under
// one block. Each also exercises the workgroup tiling of the copy. Copies
// that put the input's innermost dim in an outer result dim go in two
// steps (to the second-to-last place, then to its own): (2, 1, 0),
// (3, 0, 1, 2) and (1, 3, 0, 2).
func.func @transpose(%a: tensor<37x53xf32>, %b: tensor<2x19x3x21xf32>,
                     %c: tensor<5x3xf32>, %d: tensor<19x37x21xf32>, %e: tensor<2x3x19x21xf32>,
                     %f: tensor<2x3x5x21xf32>)
    -> (tensor<53x37xf32>, tensor<2x3x21x19xf32>, tensor<3x5xf32>, tensor<21x37x19xf32>,
        tensor<21x2x3x19xf32>, tensor<3x21x2x5xf32>) {
  %x = kiln.transpose %a {permutation = array<i64: 1, 0>} : tensor<37x53xf32> -> tensor<53x37xf32>
  %y = kiln.transpose %b {permutation = array<i64: 0, 2, 3, 1>} : tensor<2x19x3x21xf32> -> tensor<2x3x21x19xf32>
  %z = kiln.transpose %c {permutation = array<i64: 1, 0>} : tensor<5x3xf32> -> tensor<3x5xf32>
  %w = kiln.transpose %d {permutation = array<i64: 2, 1, 0>} : tensor<19x37x21xf32> -> tensor<21x37x19xf32>
  %v = kiln.transpose %e {permutation = array<i64: 3, 0, 1, 2>} : tensor<2x3x19x21xf32> -> tensor<21x2x3x19xf32>
  %u = kiln.transpose %f {permutation = array<i64: 1, 3, 0, 2>} : tensor<2x3x5x21xf32> -> tensor<3x21x2x5xf32>
  return %x, %y, %z, %w, %v, %u : tensor<53x37xf32>, tensor<2x3x21x19xf32>, tensor<3x5xf32>, tensor<21x37x19xf32>,
      tensor<21x2x3x19xf32>, tensor<3x21x2x5xf32>
}
