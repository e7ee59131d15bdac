// Mixture of experts: Mixtral (softmax, top-2, normalise, switch loss),
// Mistral's top-k-then-softmax, DeepSeek-V3 (sigmoid, groups, selection
// bias, shared expert, scaling, sequence loss), and groups of one expert
// under `top2_sum` (a group's score is then its one key).
func.func @moe(%x: tensor<2x6x16xf32>) -> (tensor<2x6x16xf32>, tensor<4xi64>, tensor<f32>, tensor<2x6x16xf32>, tensor<2x6x16xf32>, tensor<4xi64>, tensor<f32>, tensor<2x6x16xf32>, tensor<4xi64>) {
  %r = kiln.param "gate.weight" : tensor<4x16xf32>
  %b = kiln.param "gate.bias" : tensor<4xf32>
  %g0 = kiln.param "experts.0.w1" : tensor<8x16xf32>
  %u0 = kiln.param "experts.0.w3" : tensor<8x16xf32>
  %d0 = kiln.param "experts.0.w2" : tensor<16x8xf32>
  %g1 = kiln.param "experts.1.w1" : tensor<8x16xf32>
  %u1 = kiln.param "experts.1.w3" : tensor<8x16xf32>
  %d1 = kiln.param "experts.1.w2" : tensor<16x8xf32>
  %g2 = kiln.param "experts.2.w1" : tensor<8x16xf32>
  %u2 = kiln.param "experts.2.w3" : tensor<8x16xf32>
  %d2 = kiln.param "experts.2.w2" : tensor<16x8xf32>
  %g3 = kiln.param "experts.3.w1" : tensor<8x16xf32>
  %u3 = kiln.param "experts.3.w3" : tensor<8x16xf32>
  %d3 = kiln.param "experts.3.w2" : tensor<16x8xf32>
  %sg = kiln.param "shared.gate" : tensor<6x16xf32>
  %su = kiln.param "shared.up" : tensor<6x16xf32>
  %sd = kiln.param "shared.down" : tensor<16x6xf32>
  %y, %counts, %aux = kiln.moe %x, %r experts(%g0, %u0, %d0, %g1, %u1, %d1, %g2, %u2, %d2, %g3, %u3, %d3)
      {top_k = 2 : i64, normalize, aux_loss = #kiln.aux_loss<switch>, aux_coefficient = 0.02 : f64}
      : (tensor<2x6x16xf32>, tensor<4x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>,
         tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>)
      -> (tensor<2x6x16xf32>, tensor<4xi64>, tensor<f32>)
  %y2:3 = kiln.moe %x, %r experts(%g0, %u0, %d0, %g1, %u1, %d1, %g2, %u2, %d2, %g3, %u3, %d3)
      {top_k = 2 : i64, order = #kiln.moe_order<topk_then_score>}
      : (tensor<2x6x16xf32>, tensor<4x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>,
         tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>)
      -> (tensor<2x6x16xf32>, tensor<4xi64>, tensor<f32>)
  %y3, %c3, %a3 = kiln.moe %x, %r experts(%g0, %u0, %d0, %g1, %u1, %d1, %g2, %u2, %d2, %g3, %u3, %d3) shared(%sg, %su, %sd) selection_bias(%b)
      {top_k = 2 : i64, scoring = #kiln.moe_scoring<sigmoid>, normalize, scaling_factor = 2.5 : f64, groups = 2 : i64, topk_groups = 1 : i64,
       group_score = #kiln.group_score<top2_sum>, aux_loss = #kiln.aux_loss<sequence>, aux_coefficient = 0.001 : f64}
      : (tensor<2x6x16xf32>, tensor<4x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>,
         tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<6x16xf32>, tensor<6x16xf32>, tensor<16x6xf32>, tensor<4xf32>)
      -> (tensor<2x6x16xf32>, tensor<4xi64>, tensor<f32>)
  %y4:3 = kiln.moe %x, %r experts(%g0, %u0, %d0, %g1, %u1, %d1, %g2, %u2, %d2, %g3, %u3, %d3)
      {top_k = 1 : i64, scoring = #kiln.moe_scoring<sigmoid>, groups = 4 : i64, topk_groups = 2 : i64, group_score = #kiln.group_score<top2_sum>}
      : (tensor<2x6x16xf32>, tensor<4x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>,
         tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>)
      -> (tensor<2x6x16xf32>, tensor<4xi64>, tensor<f32>)
  return %y, %counts, %aux, %y2#0, %y3, %c3, %a3, %y4#0, %y4#1 : tensor<2x6x16xf32>, tensor<4xi64>, tensor<f32>, tensor<2x6x16xf32>, tensor<2x6x16xf32>, tensor<4xi64>, tensor<f32>, tensor<2x6x16xf32>, tensor<4xi64>
}
