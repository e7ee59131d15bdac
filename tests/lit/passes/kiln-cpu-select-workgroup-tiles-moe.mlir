// RUN: kiln-compile %s --emit=exec --dump-dispatches 2>&1 >/dev/null | FileCheck %s

// MoE experts: 512 tokens x top-2 over 8 experts expect 128 rows each, so
// their row-limited GEMMs take row tiles of 256, twice that: a typical
// expert streams each weight panel in one row tile. Gate and up (512
// columns) then narrow their column tiles to 128 for eight workgroups; the
// down projection has 64 columns. The router GEMM keeps the plain rule.
// CHECK: region  dispatch  executable
// CHECK: @experts_dispatch_0 kiln.linear 1x16x1 32x8
// CHECK: @experts_dispatch_{{[0-9]+}} kiln.moe 4x2x1 256x128
// CHECK: @experts_dispatch_{{[0-9]+}} kiln.moe 4x2x1 256x128
// CHECK: @experts_dispatch_{{[0-9]+}} kiln.moe 1x2x1 256x64
func.func @experts(%x: tensor<512x64xf32>) -> tensor<512x64xf32> {
  %r = kiln.param "gate.weight" : tensor<8x64xf32>
  %g0 = kiln.param "experts.0.w1" : tensor<512x64xf32>
  %u0 = kiln.param "experts.0.w3" : tensor<512x64xf32>
  %d0 = kiln.param "experts.0.w2" : tensor<64x512xf32>
  %g1 = kiln.param "experts.1.w1" : tensor<512x64xf32>
  %u1 = kiln.param "experts.1.w3" : tensor<512x64xf32>
  %d1 = kiln.param "experts.1.w2" : tensor<64x512xf32>
  %g2 = kiln.param "experts.2.w1" : tensor<512x64xf32>
  %u2 = kiln.param "experts.2.w3" : tensor<512x64xf32>
  %d2 = kiln.param "experts.2.w2" : tensor<64x512xf32>
  %g3 = kiln.param "experts.3.w1" : tensor<512x64xf32>
  %u3 = kiln.param "experts.3.w3" : tensor<512x64xf32>
  %d3 = kiln.param "experts.3.w2" : tensor<64x512xf32>
  %g4 = kiln.param "experts.4.w1" : tensor<512x64xf32>
  %u4 = kiln.param "experts.4.w3" : tensor<512x64xf32>
  %d4 = kiln.param "experts.4.w2" : tensor<64x512xf32>
  %g5 = kiln.param "experts.5.w1" : tensor<512x64xf32>
  %u5 = kiln.param "experts.5.w3" : tensor<512x64xf32>
  %d5 = kiln.param "experts.5.w2" : tensor<64x512xf32>
  %g6 = kiln.param "experts.6.w1" : tensor<512x64xf32>
  %u6 = kiln.param "experts.6.w3" : tensor<512x64xf32>
  %d6 = kiln.param "experts.6.w2" : tensor<64x512xf32>
  %g7 = kiln.param "experts.7.w1" : tensor<512x64xf32>
  %u7 = kiln.param "experts.7.w3" : tensor<512x64xf32>
  %d7 = kiln.param "experts.7.w2" : tensor<64x512xf32>
  %y:3 = kiln.moe %x, %r experts(%g0, %u0, %d0, %g1, %u1, %d1, %g2, %u2, %d2, %g3, %u3, %d3, %g4, %u4, %d4, %g5, %u5, %d5, %g6, %u6, %d6, %g7, %u7, %d7) {top_k = 2 : i64}
      : (tensor<512x64xf32>, tensor<8x64xf32>, tensor<512x64xf32>, tensor<512x64xf32>, tensor<64x512xf32>, tensor<512x64xf32>, tensor<512x64xf32>, tensor<64x512xf32>, tensor<512x64xf32>, tensor<512x64xf32>, tensor<64x512xf32>, tensor<512x64xf32>, tensor<512x64xf32>, tensor<64x512xf32>, tensor<512x64xf32>, tensor<512x64xf32>, tensor<64x512xf32>, tensor<512x64xf32>, tensor<512x64xf32>, tensor<64x512xf32>, tensor<512x64xf32>, tensor<512x64xf32>, tensor<64x512xf32>, tensor<512x64xf32>, tensor<512x64xf32>, tensor<64x512xf32>)
      -> (tensor<512x64xf32>, tensor<8xi64>, tensor<f32>)
  return %y#0 : tensor<512x64xf32>
}
