// ViT patch embeddings: a regular and an odd (P = 7) case.
func.func @patch_embed(%a: tensor<2x3x32x32xf32>, %b: tensor<1x3x28x28xf32>)
    -> (tensor<2x16x24xf32>, tensor<1x16x10xf32>) {
  %w = kiln.param "patch.weight" : tensor<24x3x8x8xf32>
  %bias = kiln.param "patch.bias" : tensor<24xf32>
  %w2 = kiln.param "patch7.weight" : tensor<10x3x7x7xf32>
  %x = kiln.patch_embed %a, %w, %bias {patch_size = 8 : i64} : (tensor<2x3x32x32xf32>, tensor<24x3x8x8xf32>, tensor<24xf32>) -> tensor<2x16x24xf32>
  %y = kiln.patch_embed %b, %w2 {patch_size = 7 : i64} : (tensor<1x3x28x28xf32>, tensor<10x3x7x7xf32>) -> tensor<1x16x10xf32>
  return %x, %y : tensor<2x16x24xf32>, tensor<1x16x10xf32>
}
