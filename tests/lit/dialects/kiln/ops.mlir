// RUN: kiln-opt %s | kiln-opt | FileCheck %s

// CHECK-LABEL: func.func @params
func.func @params() -> (tensor<8x4xf32>, tensor<4x8xf32>) {
  // CHECK: kiln.param "fc.weight" : tensor<8x4xf32>
  %w = kiln.param "fc.weight" : tensor<8x4xf32>
  // CHECK: kiln.param "fc.weight" {permutation = array<i64: 1, 0>} : tensor<4x8xf32>
  %t = kiln.param "fc.weight" {permutation = array<i64: 1, 0>} : tensor<4x8xf32>
  return %w, %t : tensor<8x4xf32>, tensor<4x8xf32>
}

// CHECK-LABEL: func.func @linear
func.func @linear(%x: tensor<2x3x4xf32>, %w: tensor<8x4xf32>, %b: tensor<8xf32>)
    -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  // CHECK: kiln.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  %0 = kiln.linear %x, %w, %b : (tensor<2x3x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  // CHECK: kiln.linear %{{.*}}, %{{.*}} : (tensor<2x3x4xf32>, tensor<8x4xf32>) -> tensor<2x3x8xf32>
  %1 = kiln.linear %x, %w : (tensor<2x3x4xf32>, tensor<8x4xf32>) -> tensor<2x3x8xf32>
  return %0, %1 : tensor<2x3x8xf32>, tensor<2x3x8xf32>
}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<2x3x4xf32>, %b: tensor<4xf32>, %c: tensor<3x1xf32>)
    -> (tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>) {
  // CHECK: kiln.add %{{.*}}, %{{.*}} : tensor<2x3x4xf32>, tensor<4xf32> -> tensor<2x3x4xf32>
  %0 = kiln.add %a, %b : tensor<2x3x4xf32>, tensor<4xf32> -> tensor<2x3x4xf32>
  // CHECK: kiln.sub
  %1 = kiln.sub %a, %c : tensor<2x3x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xf32>
  // CHECK: kiln.mul
  %2 = kiln.mul %b, %a : tensor<4xf32>, tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  // CHECK: kiln.div
  %3 = kiln.div %a, %a : tensor<2x3x4xf32>, tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  return %0, %1, %2, %3 : tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func @gelu
func.func @gelu(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // CHECK: kiln.gelu %{{.*}} : tensor<4xf32>
  %0 = kiln.gelu %x : tensor<4xf32>
  // CHECK: kiln.gelu %{{.*}} approximation tanh : tensor<4xf32>
  %1 = kiln.gelu %x approximation tanh : tensor<4xf32>
  // CHECK: kiln.gelu %{{.*}} approximation quick : tensor<4xf32>
  %2 = kiln.gelu %x approximation quick : tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @layer_norm
func.func @layer_norm(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>)
    -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  // CHECK: kiln.layer_norm %{{.*}} scale(%{{.*}}) bias(%{{.*}}) {epsilon = 9.9999999999999998E-13 : f64}
  %0 = kiln.layer_norm %x scale(%g) bias(%b) {epsilon = 1.0e-12 : f64}
      : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  // CHECK: kiln.layer_norm %{{.*}} {epsilon = 1.000000e-05 : f64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = kiln.layer_norm %x {epsilon = 1.0e-5 : f64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  // CHECK: kiln.layer_norm %{{.*}} bias(%{{.*}}) {epsilon
  %2 = kiln.layer_norm %x bias(%b) {epsilon = 1.0e-6 : f64}
      : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0, %1, %2 : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}

// CHECK-LABEL: func.func @matmul_and_friends
func.func @matmul_and_friends(%q: tensor<2x4x8x16xf32>, %k: tensor<2x4x6x16xf32>, %x: tensor<3xf32>)
    -> (tensor<2x4x8x6xf32>, tensor<3xf32>, tensor<f32>) {
  // CHECK: kiln.matmul %{{.*}}, %{{.*}} {transpose_rhs} : (tensor<2x4x8x16xf32>, tensor<2x4x6x16xf32>) -> tensor<2x4x8x6xf32>
  %s = kiln.matmul %q, %k {transpose_rhs} : (tensor<2x4x8x16xf32>, tensor<2x4x6x16xf32>) -> tensor<2x4x8x6xf32>
  // CHECK: kiln.maximum
  %m = kiln.maximum %x, %x : tensor<3xf32>, tensor<3xf32> -> tensor<3xf32>
  // CHECK: kiln.constant dense<5.000000e-01> : tensor<f32>
  %c = kiln.constant dense<0.5> : tensor<f32>
  return %s, %m, %c : tensor<2x4x8x6xf32>, tensor<3xf32>, tensor<f32>
}

// CHECK-LABEL: func.func @unary
func.func @unary(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: kiln.silu
  %0 = kiln.silu %x : tensor<4xf32>
  // CHECK: kiln.sigmoid
  %1 = kiln.sigmoid %0 : tensor<4xf32>
  // CHECK: kiln.tanh
  %2 = kiln.tanh %1 : tensor<4xf32>
  // CHECK: kiln.exp
  %3 = kiln.exp %2 : tensor<4xf32>
  // CHECK: kiln.rsqrt
  %4 = kiln.rsqrt %3 : tensor<4xf32>
  // CHECK: kiln.sqrt
  %5 = kiln.sqrt %4 : tensor<4xf32>
  // CHECK: kiln.neg
  %6 = kiln.neg %5 : tensor<4xf32>
  return %6 : tensor<4xf32>
}

// CHECK-LABEL: func.func @softmax_norms
func.func @softmax_norms(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  // CHECK: kiln.softmax %{{.*}} {accumulate_f32, axis = 0 : i64} : tensor<2x8xf32>
  %0 = kiln.softmax %x {axis = 0 : i64, accumulate_f32} : tensor<2x8xf32>
  // CHECK: kiln.rms_norm %{{.*}} scale(%{{.*}}) {epsilon = 1.000000e-05 : f64} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %1 = kiln.rms_norm %x scale(%w) {epsilon = 1.0e-5 : f64} : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0, %1 : tensor<2x8xf32>, tensor<2x8xf32>
}

// CHECK-LABEL: func.func @shapes
func.func @shapes(%x: tensor<2x3x4xf32>, %t: tensor<10x4xf32>, %i: tensor<2x5xi32>) {
  // CHECK: kiln.reshape %{{.*}} : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %0 = kiln.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  // CHECK: kiln.broadcast %{{.*}} : tensor<2x3x4xf32> -> tensor<5x2x3x4xf32>
  %1 = kiln.broadcast %x : tensor<2x3x4xf32> -> tensor<5x2x3x4xf32>
  // CHECK: kiln.transpose %{{.*}} {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  %2 = kiln.transpose %x {permutation = array<i64: 2, 0, 1>} : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  // CHECK: kiln.concat %{{.*}}, %{{.*}} {axis = -2 : i64} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  %3 = kiln.concat %x, %x {axis = -2 : i64} : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x6x4xf32>
  // CHECK: kiln.slice %{{.*}} {offsets = array<i64: 0, 1, 0>, sizes = array<i64: 2, 2, 2>, strides = array<i64: 1, 1, 2>} : tensor<2x3x4xf32> -> tensor<2x2x2xf32>
  %4 = kiln.slice %x {offsets = array<i64: 0, 1, 0>, sizes = array<i64: 2, 2, 2>, strides = array<i64: 1, 1, 2>} : tensor<2x3x4xf32> -> tensor<2x2x2xf32>
  // CHECK: kiln.gather %{{.*}}, %{{.*}} : (tensor<10x4xf32>, tensor<2x5xi32>) -> tensor<2x5x4xf32>
  %5 = kiln.gather %t, %i {axis = 0 : i64} : (tensor<10x4xf32>, tensor<2x5xi32>) -> tensor<2x5x4xf32>
  // CHECK: kiln.reduce mean %{{.*}} {axes = array<i64: -1>, keep_dims} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  %6 = kiln.reduce mean %x {axes = array<i64: -1>, keep_dims} : tensor<2x3x4xf32> -> tensor<2x3x1xf32>
  // CHECK: kiln.top_k %{{.*}} {k = 2 : i64} : tensor<2x3x4xf32> -> (tensor<2x3x2xf32>, tensor<2x3x2xi64>)
  %7:2 = kiln.top_k %x {k = 2 : i64} : tensor<2x3x4xf32> -> (tensor<2x3x2xf32>, tensor<2x3x2xi64>)
  return
}

// CHECK-LABEL: func.func @positions_and_patches
func.func @positions_and_patches(%x: tensor<2x5x24xf32>, %p: tensor<2x5xi64>,
    %img: tensor<2x3x32x32xf32>, %w: tensor<64x3x8x8xf32>) {
  // CHECK: kiln.rope %{{.*}} positions(%{{.*}}) style interleaved {head_dim = 12 : i64, rotary_dim = 4 : i64, theta = 1.000000e+04 : f64}
  %0 = kiln.rope %x positions(%p) style interleaved {head_dim = 12 : i64, rotary_dim = 4 : i64, theta = 1.0e4 : f64}
      : (tensor<2x5x24xf32>, tensor<2x5xi64>) -> tensor<2x5x24xf32>
  // CHECK: kiln.rope %{{.*}} {head_dim = 12 : i64, llama3_factor = 8.000000e+00 : f64
  %1 = kiln.rope %x {head_dim = 12 : i64, rotary_dim = 12 : i64, theta = 5.0e5 : f64,
                     llama3_factor = 8.0 : f64, llama3_low_freq_factor = 1.0 : f64,
                     llama3_high_freq_factor = 4.0 : f64, llama3_original_max_position = 8192 : i64}
      : (tensor<2x5x24xf32>) -> tensor<2x5x24xf32>
  // CHECK: kiln.patch_embed %{{.*}}, %{{.*}} {patch_size = 8 : i64} : (tensor<2x3x32x32xf32>, tensor<64x3x8x8xf32>) -> tensor<2x16x64xf32>
  %2 = kiln.patch_embed %img, %w {patch_size = 8 : i64} : (tensor<2x3x32x32xf32>, tensor<64x3x8x8xf32>) -> tensor<2x16x64xf32>
  return
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<2x6x32xf32>, %k: tensor<2x9x16xf32>, %spans: tensor<2x6x2xi32>, %bias: tensor<1x1x6x9xf32>) {
  // CHECK: kiln.attention %{{.*}}, %{{.*}}, %{{.*}} {heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<causal>, scale_on = #kiln.scale_placement<query>, softmax_f32}
  %0 = kiln.attention %q, %k, %k {heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<causal>, scale_on = #kiln.scale_placement<query>, softmax_f32}
      : (tensor<2x6x32xf32>, tensor<2x9x16xf32>, tensor<2x9x16xf32>) -> tensor<2x6x32xf32>
  // CHECK: kiln.attention %{{.*}}, %{{.*}}, %{{.*}} mask(%{{.*}}) {empty_rows = #kiln.empty_rows<zero>, heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<row_spans>, scale = 1.250000e-01 : f64}
  %1 = kiln.attention %q, %k, %k mask(%spans) {heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<row_spans>, scale = 0.125 : f64, empty_rows = #kiln.empty_rows<zero>}
      : (tensor<2x6x32xf32>, tensor<2x9x16xf32>, tensor<2x9x16xf32>, tensor<2x6x2xi32>) -> tensor<2x6x32xf32>
  // CHECK: mask = #kiln.mask_kind<bias>
  %2 = kiln.attention %q, %k, %k mask(%bias) {heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<bias>}
      : (tensor<2x6x32xf32>, tensor<2x9x16xf32>, tensor<2x9x16xf32>, tensor<1x1x6x9xf32>) -> tensor<2x6x32xf32>
  return
}

// CHECK-LABEL: func.func @moe
func.func @moe(%x: tensor<2x4x8xf32>, %r: tensor<2x8xf32>, %g: tensor<6x8xf32>, %d: tensor<8x6xf32>, %b: tensor<2xf32>) {
  // CHECK: kiln.moe %{{.*}}, %{{.*}} experts(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) shared(%{{.*}}, %{{.*}}, %{{.*}}) selection_bias(%{{.*}}) {aux_loss = #kiln.aux_loss<sequence>, normalize, scoring = #kiln.moe_scoring<sigmoid>, top_k = 1 : i64}
  %0:3 = kiln.moe %x, %r experts(%g, %g, %d, %g, %g, %d) shared(%g, %g, %d) selection_bias(%b)
      {top_k = 1 : i64, scoring = #kiln.moe_scoring<sigmoid>, normalize, aux_loss = #kiln.aux_loss<sequence>}
      : (tensor<2x4x8xf32>, tensor<2x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>,
         tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>, tensor<2xf32>)
      -> (tensor<2x4x8xf32>, tensor<2xi64>, tensor<f32>)
  // CHECK: kiln.moe {{.*}} {order = #kiln.moe_order<topk_then_score>, top_k = 2 : i64} : {{.*}} -> (tensor<2x4x8xf32>, tensor<2xi64>, tensor<f32>)
  %1:3 = kiln.moe %x, %r experts(%g, %g, %d, %g, %g, %d) {top_k = 2 : i64, order = #kiln.moe_order<topk_then_score>}
      : (tensor<2x4x8xf32>, tensor<2x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>,
         tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>) -> (tensor<2x4x8xf32>, tensor<2xi64>, tensor<f32>)
  return
}
