// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-materialize-weight-layouts))" | FileCheck %s

// A linear's [out, in] weight is stored transposed and read as B[k, n].
// CHECK-DAG: #[[KN:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[NK:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @linear
// CHECK-NOT: kiln.param "fc.weight" : tensor<8x4xf32>
// CHECK: %[[W:.+]] = kiln.param "fc.weight" {permutation = array<i64: 1, 0>} : tensor<4x8xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[KN]], #{{.+}}]
// CHECK-SAME: ins(%{{.+}}, %[[W]] : tensor<2x4xf32>, tensor<4x8xf32>)
func.func @linear(%x: tensor<2x4xf32>) -> tensor<2x8xf32> {
  %w = kiln.param "fc.weight" : tensor<8x4xf32>
  %0 = kiln.linear %x, %w : (tensor<2x4xf32>, tensor<8x4xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// A weight that is an input, not a parameter, is read as it is.
// CHECK-LABEL: func.func @activation_weight
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[NK]], #{{.+}}]
func.func @activation_weight(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>) -> tensor<2x8xf32> {
  %0 = kiln.linear %x, %w : (tensor<2x4xf32>, tensor<8x4xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}
