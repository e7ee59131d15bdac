// A transformer MLP block in the kiln dialect: the vertical slice that every
// stage of the compiler handles. BERT/Q-Former sizes: 32 tokens of width
// 768, an intermediate width of 3072, exact GELU and post-norm with
// epsilon 1e-12.
//
//   y = layer_norm(x + fc2(gelu(fc1(x))))
func.func @mlp_block(%x: tensor<32x768xf32> {kiln.name = "x"})
    -> (tensor<32x768xf32> {kiln.name = "y"}) {
  %w1 = kiln.param "intermediate.dense.weight" : tensor<3072x768xf32>
  %b1 = kiln.param "intermediate.dense.bias" : tensor<3072xf32>
  %w2 = kiln.param "output.dense.weight" : tensor<768x3072xf32>
  %b2 = kiln.param "output.dense.bias" : tensor<768xf32>
  %gamma = kiln.param "output.LayerNorm.weight" : tensor<768xf32>
  %beta = kiln.param "output.LayerNorm.bias" : tensor<768xf32>
  %h = kiln.linear %x, %w1, %b1
      : (tensor<32x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>)
      -> tensor<32x3072xf32>
  %g = kiln.gelu %h : tensor<32x3072xf32>
  %o = kiln.linear %g, %w2, %b2
      : (tensor<32x3072xf32>, tensor<768x3072xf32>, tensor<768xf32>)
      -> tensor<32x768xf32>
  %r = kiln.add %x, %o
      : tensor<32x768xf32>, tensor<32x768xf32> -> tensor<32x768xf32>
  %y = kiln.layer_norm %r scale(%gamma) bias(%beta) {epsilon = 1.0e-12 : f64}
      : (tensor<32x768xf32>, tensor<768xf32>, tensor<768xf32>)
      -> tensor<32x768xf32>
  return %y : tensor<32x768xf32>
}
