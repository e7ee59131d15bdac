// GEMMs with odd sizes (register-block remainders in rows and columns),
// batched matmuls with broadcasting and transposes, biases.
func.func @matmul(%x: tensor<37x70xf32>, %a: tensor<2x3x9x16xf32>, %b: tensor<3x16x11xf32>, %c: tensor<2x3x11x16xf32>)
    -> (tensor<37x45xf32>, tensor<2x3x9x11xf32>, tensor<2x3x9x11xf32>) {
  %w = kiln.param "fc.weight" : tensor<45x70xf32>
  %bias = kiln.param "fc.bias" : tensor<45xf32>
  %y = kiln.linear %x, %w, %bias : (tensor<37x70xf32>, tensor<45x70xf32>, tensor<45xf32>) -> tensor<37x45xf32>
  %m = kiln.matmul %a, %b : (tensor<2x3x9x16xf32>, tensor<3x16x11xf32>) -> tensor<2x3x9x11xf32>
  %t = kiln.matmul %a, %c {transpose_rhs} : (tensor<2x3x9x16xf32>, tensor<2x3x11x16xf32>) -> tensor<2x3x9x11xf32>
  return %y, %m, %t : tensor<37x45xf32>, tensor<2x3x9x11xf32>, tensor<2x3x9x11xf32>
}
