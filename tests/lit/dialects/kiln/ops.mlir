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
