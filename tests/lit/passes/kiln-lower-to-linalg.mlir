// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg))" -split-input-file | FileCheck %s

// A linear: a contraction over (rows.., n, k) reading W[n, k], then a bias.
// CHECK-DAG: #[[X:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[W:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[Y:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[IN:.+]]: tensor<2x3x4xf32>, %[[WT:.+]]: tensor<8x4xf32>, %[[B:.+]]: tensor<8xf32>)
// CHECK: %[[ZERO:.+]] = linalg.fill
// CHECK: %[[MM:.+]] = linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[IN]], %[[WT]] : {{.*}}) outs(%[[ZERO]] : tensor<2x3x8xf32>) attrs = {kiln.op = "kiln.linear"}
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[BIASED:.+]] = linalg.generic
// CHECK-SAME: ins(%[[MM]], %[[B]] : tensor<2x3x8xf32>, tensor<8xf32>)
// CHECK: return %[[BIASED]]
// CHECK-NOT: kiln.linear
func.func @linear(%x: tensor<2x3x4xf32>, %w: tensor<8x4xf32>, %b: tensor<8xf32>) -> tensor<2x3x8xf32> {
  %0 = kiln.linear %x, %w, %b : (tensor<2x3x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

// Broadcasting reads size-1 dimensions at index 0 and drops missing ones.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-LABEL: func.func @broadcast
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]]
// CHECK: arith.subf
func.func @broadcast(%a: tensor<2x3x4xf32>, %b: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  %0 = kiln.sub %a, %b : tensor<2x3x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @gelu
// CHECK: math.erf
// CHECK: math.tanh
// CHECK: math.exp
// CHECK-SAME: f32
func.func @gelu(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = kiln.gelu %x : tensor<4xf32>
  %1 = kiln.gelu %x approximation tanh : tensor<4xf32>
  %2 = kiln.gelu %x approximation quick : tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Layer norm: a row sum, a centred row sum of squares, then the affine
// normalisation; epsilon is inside the square root.
// CHECK-LABEL: func.func @layer_norm
// CHECK: %[[SUM:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK: %[[SQ:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}}, %[[SUM]] :
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%{{.*}}, %[[SUM]], %[[SQ]], %{{.*}}, %{{.*}} :
// CHECK: arith.constant 9.99999997E-7 : f32
// CHECK: math.rsqrt
func.func @layer_norm(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = kiln.layer_norm %x scale(%g) bias(%b) {epsilon = 1.0e-6 : f64}
      : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Parameters stay: the artifact writer turns them into constants.
// CHECK-LABEL: func.func @param
// CHECK: kiln.param "w"
func.func @param() -> tensor<4xf32> {
  %w = kiln.param "w" : tensor<4xf32>
  return %w : tensor<4xf32>
}
