// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-form-dispatch-regions), kiln-outline-dispatches)" | FileCheck %s

// Two identical layers share one executable; parameters become operands.
// CHECK: exec.executable @layers_dispatch_0 {
// CHECK-NEXT: func.func @layers_dispatch_0(%{{.*}}: tensor<4x8xf32>, %{{.*}}: tensor<8x8xf32>) -> tensor<4x8xf32>
// CHECK-NOT: exec.executable
// CHECK-LABEL: func.func @layers(
// CHECK: %[[W0:.+]] = kiln.param "layer.0.weight"
// CHECK: %[[A:.+]] = exec.dispatch @layers_dispatch_0(%arg0, %[[W0]]) {root = "kiln.linear"}
// CHECK: %[[W1:.+]] = kiln.param "layer.1.weight"
// CHECK: %[[B:.+]] = exec.dispatch @layers_dispatch_0(%[[A]], %[[W1]]) {root = "kiln.linear"}
// CHECK: return %[[B]]
func.func @layers(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w0 = kiln.param "layer.0.weight" : tensor<8x8xf32>
  %h0 = kiln.linear %x, %w0 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %a0 = kiln.gelu %h0 : tensor<4x8xf32>
  %w1 = kiln.param "layer.1.weight" : tensor<8x8xf32>
  %h1 = kiln.linear %a0, %w1 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %a1 = kiln.gelu %h1 : tensor<4x8xf32>
  return %a1 : tensor<4x8xf32>
}
