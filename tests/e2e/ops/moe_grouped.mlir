// Grouped experts at the edges of their row limits: (a) 300 tokens over
// 3 experts, top-1: counts of about 100, row tiles partly used and skipped;
// (b) the same with top-3: every expert has every token; (c) 5 tokens over
// 8 experts, top-1: most experts have no token at all.
func.func @moe_grouped(%x: tensor<2x150x16xf32>, %s: tensor<1x5x16xf32>) -> (tensor<2x150x16xf32>, tensor<3xi64>, tensor<2x150x16xf32>, tensor<1x5x16xf32>, tensor<8xi64>) {
  %ra = kiln.param "a.gate.weight" : tensor<3x16xf32>
  %aw1_0 = kiln.param "a.experts.0.w1" : tensor<24x16xf32>
  %aw3_0 = kiln.param "a.experts.0.w3" : tensor<24x16xf32>
  %aw2_0 = kiln.param "a.experts.0.w2" : tensor<16x24xf32>
  %aw1_1 = kiln.param "a.experts.1.w1" : tensor<24x16xf32>
  %aw3_1 = kiln.param "a.experts.1.w3" : tensor<24x16xf32>
  %aw2_1 = kiln.param "a.experts.1.w2" : tensor<16x24xf32>
  %aw1_2 = kiln.param "a.experts.2.w1" : tensor<24x16xf32>
  %aw3_2 = kiln.param "a.experts.2.w3" : tensor<24x16xf32>
  %aw2_2 = kiln.param "a.experts.2.w2" : tensor<16x24xf32>
  %ya, %ca, %la = kiln.moe %x, %ra experts(%aw1_0, %aw3_0, %aw2_0, %aw1_1, %aw3_1, %aw2_1, %aw1_2, %aw3_2, %aw2_2) {top_k = 1 : i64}
      : (tensor<2x150x16xf32>, tensor<3x16xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>)
      -> (tensor<2x150x16xf32>, tensor<3xi64>, tensor<f32>)
  %yb:3 = kiln.moe %x, %ra experts(%aw1_0, %aw3_0, %aw2_0, %aw1_1, %aw3_1, %aw2_1, %aw1_2, %aw3_2, %aw2_2) {top_k = 3 : i64, normalize}
      : (tensor<2x150x16xf32>, tensor<3x16xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>)
      -> (tensor<2x150x16xf32>, tensor<3xi64>, tensor<f32>)
  %rc = kiln.param "c.gate.weight" : tensor<8x16xf32>
  %cw1_0 = kiln.param "c.experts.0.w1" : tensor<8x16xf32>
  %cw3_0 = kiln.param "c.experts.0.w3" : tensor<8x16xf32>
  %cw2_0 = kiln.param "c.experts.0.w2" : tensor<16x8xf32>
  %cw1_1 = kiln.param "c.experts.1.w1" : tensor<8x16xf32>
  %cw3_1 = kiln.param "c.experts.1.w3" : tensor<8x16xf32>
  %cw2_1 = kiln.param "c.experts.1.w2" : tensor<16x8xf32>
  %cw1_2 = kiln.param "c.experts.2.w1" : tensor<8x16xf32>
  %cw3_2 = kiln.param "c.experts.2.w3" : tensor<8x16xf32>
  %cw2_2 = kiln.param "c.experts.2.w2" : tensor<16x8xf32>
  %cw1_3 = kiln.param "c.experts.3.w1" : tensor<8x16xf32>
  %cw3_3 = kiln.param "c.experts.3.w3" : tensor<8x16xf32>
  %cw2_3 = kiln.param "c.experts.3.w2" : tensor<16x8xf32>
  %cw1_4 = kiln.param "c.experts.4.w1" : tensor<8x16xf32>
  %cw3_4 = kiln.param "c.experts.4.w3" : tensor<8x16xf32>
  %cw2_4 = kiln.param "c.experts.4.w2" : tensor<16x8xf32>
  %cw1_5 = kiln.param "c.experts.5.w1" : tensor<8x16xf32>
  %cw3_5 = kiln.param "c.experts.5.w3" : tensor<8x16xf32>
  %cw2_5 = kiln.param "c.experts.5.w2" : tensor<16x8xf32>
  %cw1_6 = kiln.param "c.experts.6.w1" : tensor<8x16xf32>
  %cw3_6 = kiln.param "c.experts.6.w3" : tensor<8x16xf32>
  %cw2_6 = kiln.param "c.experts.6.w2" : tensor<16x8xf32>
  %cw1_7 = kiln.param "c.experts.7.w1" : tensor<8x16xf32>
  %cw3_7 = kiln.param "c.experts.7.w3" : tensor<8x16xf32>
  %cw2_7 = kiln.param "c.experts.7.w2" : tensor<16x8xf32>
  %yc, %cc, %lc = kiln.moe %s, %rc experts(%cw1_0, %cw3_0, %cw2_0, %cw1_1, %cw3_1, %cw2_1, %cw1_2, %cw3_2, %cw2_2, %cw1_3, %cw3_3, %cw2_3, %cw1_4, %cw3_4, %cw2_4, %cw1_5, %cw3_5, %cw2_5, %cw1_6, %cw3_6, %cw2_6, %cw1_7, %cw3_7, %cw2_7) {top_k = 1 : i64}
      : (tensor<1x5x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>)
      -> (tensor<1x5x16xf32>, tensor<8xi64>, tensor<f32>)
  return %ya, %ca, %yb#0, %yc, %cc : tensor<2x150x16xf32>, tensor<3xi64>, tensor<2x150x16xf32>, tensor<1x5x16xf32>, tensor<8xi64>
}
