// A parameter of 4 GiB, compiled under an address-space limit below it:
// the compile dies on the allocation (LLVM's out-of-memory abort), and
// its signal handler removes the temporary file it was writing.
func.func @f(%x: tensor<4x268435456xf32>) -> tensor<4x268435456xf32> {
  %big = kiln.param "big" : tensor<4x268435456xf32>
  %y = kiln.add %x, %big : tensor<4x268435456xf32>, tensor<4x268435456xf32> -> tensor<4x268435456xf32>
  return %y : tensor<4x268435456xf32>
}
