// A parameter of 17 x 2^31 floats (136 GiB): its data would be made in
// memory to be written, so the compile refuses it rather than abort.
func.func @f(%x: tensor<17x2147483648xf32>) -> tensor<17x2147483648xf32> {
  %big = kiln.param "big" : tensor<17x2147483648xf32>
  %y = kiln.add %x, %big : tensor<17x2147483648xf32>, tensor<17x2147483648xf32> -> tensor<17x2147483648xf32>
  return %y : tensor<17x2147483648xf32>
}
