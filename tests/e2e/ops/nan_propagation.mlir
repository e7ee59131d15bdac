// One NaN input element (x[1, 3, 5]) through every op kind on its own: the
// compiled outputs must be NaN exactly where the reference interpreter's
// are (its element for elementwise ops, its row for norms, softmax and a
// GEMM's A row, its reduction's result). Polynomial approximations, NaN-
// dropping max/min instructions and `x > 0` guards are where a NaN can be
// lost silently. top_k and MoE routing rank NaN above every number (as
// torch.topk), so a token with a NaN routes the same way in both; its
// outputs are NaN, the other tokens' are not.
func.func @nan_propagation(%x: tensor<4x20x48xf32> {kiln.nan_at = array<i64: 1109>},
                           %y: tensor<4x20x48xf32>,
                           %t: tensor<2x6x16xf32> {kiln.nan_at = array<i64: 37>})
    -> (tensor<4x20x48xf32>, tensor<4x20x48xf32>, tensor<4x20x48xf32>,
        tensor<4x20x48xf32>, tensor<4x20x48xf32>, tensor<4x20x48xf32>,
        tensor<4x20x48xf32>, tensor<4x20x48xf32>, tensor<4x20x48xf32>,
        tensor<4x20x48xf32>, tensor<4x20x48xf32>, tensor<4x20x48xf32>,
        tensor<4x20x48xf32>, tensor<4x20x32xf32>, tensor<4x48x20xf32>,
        tensor<4x20xf32>, tensor<4x20xf32>, tensor<4x20xf32>, tensor<4x20xf32>,
        tensor<4x20x2xf32>, tensor<4x20x2xi64>,
        tensor<2x6x16xf32>, tensor<4xi64>, tensor<2x6x16xf32>, tensor<4xi64>) {
  %w = kiln.param "norm.weight" : tensor<48xf32>
  %b = kiln.param "norm.bias" : tensor<48xf32>
  %fc = kiln.param "fc.weight" : tensor<32x48xf32>
  %gelu = kiln.gelu %x : tensor<4x20x48xf32>
  %geluTanh = kiln.gelu %x approximation tanh : tensor<4x20x48xf32>
  %geluQuick = kiln.gelu %x approximation quick : tensor<4x20x48xf32>
  %silu = kiln.silu %x : tensor<4x20x48xf32>
  %sigmoid = kiln.sigmoid %x : tensor<4x20x48xf32>
  %tanh = kiln.tanh %x : tensor<4x20x48xf32>
  %exp = kiln.exp %x : tensor<4x20x48xf32>
  %max = kiln.maximum %x, %y : tensor<4x20x48xf32>, tensor<4x20x48xf32> -> tensor<4x20x48xf32>
  %softmax = kiln.softmax %x {axis = -1 : i64} : tensor<4x20x48xf32>
  %softmaxMid = kiln.softmax %x {axis = 1 : i64} : tensor<4x20x48xf32>
  %layerNorm = kiln.layer_norm %x scale(%w) bias(%b) {epsilon = 1.0e-5 : f64} : (tensor<4x20x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<4x20x48xf32>
  %rmsNorm = kiln.rms_norm %x scale(%w) {epsilon = 1.0e-6 : f64} : (tensor<4x20x48xf32>, tensor<48xf32>) -> tensor<4x20x48xf32>
  %sum = kiln.add %x, %y : tensor<4x20x48xf32>, tensor<4x20x48xf32> -> tensor<4x20x48xf32>
  %linear = kiln.linear %x, %fc : (tensor<4x20x48xf32>, tensor<32x48xf32>) -> tensor<4x20x32xf32>
  %transposed = kiln.transpose %x {permutation = array<i64: 0, 2, 1>} : tensor<4x20x48xf32> -> tensor<4x48x20xf32>
  %rsum = kiln.reduce sum %x {axes = array<i64: -1>} : tensor<4x20x48xf32> -> tensor<4x20xf32>
  %rmean = kiln.reduce mean %x {axes = array<i64: -1>} : tensor<4x20x48xf32> -> tensor<4x20xf32>
  %rmax = kiln.reduce max %x {axes = array<i64: -1>} : tensor<4x20x48xf32> -> tensor<4x20xf32>
  %rmin = kiln.reduce min %x {axes = array<i64: -1>} : tensor<4x20x48xf32> -> tensor<4x20xf32>
  %topv, %topi = kiln.top_k %x {k = 2 : i64} : tensor<4x20x48xf32> -> (tensor<4x20x2xf32>, tensor<4x20x2xi64>)
  %r = kiln.param "gate.weight" : tensor<4x16xf32>
  %sb = kiln.param "gate.bias" : tensor<4xf32>
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
  %moe:3 = kiln.moe %t, %r experts(%g0, %u0, %d0, %g1, %u1, %d1, %g2, %u2, %d2, %g3, %u3, %d3)
      {top_k = 2 : i64, normalize}
      : (tensor<2x6x16xf32>, tensor<4x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>,
         tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>)
      -> (tensor<2x6x16xf32>, tensor<4xi64>, tensor<f32>)
  %grouped:3 = kiln.moe %t, %r experts(%g0, %u0, %d0, %g1, %u1, %d1, %g2, %u2, %d2, %g3, %u3, %d3) selection_bias(%sb)
      {top_k = 2 : i64, scoring = #kiln.moe_scoring<sigmoid>, normalize, groups = 2 : i64, topk_groups = 1 : i64,
       group_score = #kiln.group_score<top2_sum>}
      : (tensor<2x6x16xf32>, tensor<4x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>,
         tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<16x8xf32>, tensor<4xf32>)
      -> (tensor<2x6x16xf32>, tensor<4xi64>, tensor<f32>)
  return %gelu, %geluTanh, %geluQuick, %silu, %sigmoid, %tanh, %exp, %max,
         %softmax, %softmaxMid, %layerNorm, %rmsNorm, %sum, %linear,
         %transposed, %rsum, %rmean, %rmax, %rmin, %topv, %topi,
         %moe#0, %moe#1, %grouped#0, %grouped#1
      : tensor<4x20x48xf32>, tensor<4x20x48xf32>, tensor<4x20x48xf32>,
        tensor<4x20x48xf32>, tensor<4x20x48xf32>, tensor<4x20x48xf32>,
        tensor<4x20x48xf32>, tensor<4x20x48xf32>, tensor<4x20x48xf32>,
        tensor<4x20x48xf32>, tensor<4x20x48xf32>, tensor<4x20x48xf32>,
        tensor<4x20x48xf32>, tensor<4x20x32xf32>, tensor<4x48x20xf32>,
        tensor<4x20xf32>, tensor<4x20xf32>, tensor<4x20xf32>, tensor<4x20xf32>,
        tensor<4x20x2xf32>, tensor<4x20x2xi64>,
        tensor<2x6x16xf32>, tensor<4xi64>, tensor<2x6x16xf32>, tensor<4xi64>
}
