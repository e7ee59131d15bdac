// ViT patch embeddings whose row tiles cross rows of patches: 4 x 12
// patches, so a 32-row workgroup tile would start mid-row (patch 32 is
// column 8 of image row 2). The im2col reads pixels through
// `patch floordiv 12` and `patch mod 12`, right on a tile only when the
// tile starts at a multiple of 12.
func.func @patch_embed_rows(%a: tensor<2x3x32x96xf32>) -> tensor<2x48x64xf32> {
  %w = kiln.param "patch.weight" : tensor<64x3x8x8xf32>
  %bias = kiln.param "patch.bias" : tensor<64xf32>
  %x = kiln.patch_embed %a, %w, %bias {patch_size = 8 : i64} : (tensor<2x3x32x96xf32>, tensor<64x3x8x8xf32>, tensor<64xf32>) -> tensor<2x48x64xf32>
  return %x : tensor<2x48x64xf32>
}
