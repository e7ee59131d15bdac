// The enum operands of the custom forms print one space from their keyword
// (an enum attribute's own format also prints a leading space), and the
// generic form, `#kiln<rope_style interleaved>`, parses back.
// RUN: kiln-opt %s | FileCheck %s --strict-whitespace
// RUN: kiln-opt %s --mlir-print-op-generic | kiln-opt | FileCheck %s --strict-whitespace

// CHECK-LABEL: func.func @enums
func.func @enums(%x: tensor<2x4xf32>, %p: tensor<2xi32>)
    -> (tensor<2x1xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  // CHECK: = kiln.reduce mean %{{.*}} {axes
  %0 = kiln.reduce mean %x {axes = array<i64: -1>, keep_dims} : tensor<2x4xf32> -> tensor<2x1xf32>
  // CHECK: = kiln.rope %{{.*}} positions(%{{.*}}) style interleaved {head_dim
  %1 = kiln.rope %x positions(%p) style interleaved {head_dim = 4 : i64, rotary_dim = 4 : i64, theta = 1.0e4 : f64} : (tensor<2x4xf32>, tensor<2xi32>) -> tensor<2x4xf32>
  // CHECK: = kiln.gelu %{{.*}} approximation tanh : tensor
  %2 = kiln.gelu %x approximation tanh : tensor<2x4xf32>
  return %0, %1, %2 : tensor<2x1xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
