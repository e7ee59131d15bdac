// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-fold-gemm-transposes))" | FileCheck %s

// Per-head queries: [B, Sq, heads, dh] transposed to [B, heads, Sq, dh],
// then a batched matmul. The matmul reads the queries in place through the
// composed map (batch dims b and h, rows i, depth d last) and the transpose
// goes.
// CHECK-DAG: #[[QMAP:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d4)>
// CHECK-LABEL: func.func @per_head_queries
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x5x3x4xf32>, %[[W:[^:]+]]: tensor<3x4x6xf32>)
// CHECK-NOT: kiln.transpose
// CHECK: linalg.generic {indexing_maps = [#[[QMAP]], #{{.+}}, #{{.+}}]
// CHECK-SAME: ins(%[[Q]], %[[W]] : tensor<2x5x3x4xf32>, tensor<3x4x6xf32>)
func.func @per_head_queries(%q: tensor<2x5x3x4xf32>, %w: tensor<3x4x6xf32>) -> tensor<2x3x5x6xf32> {
  %t = kiln.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x5x3x4xf32> -> tensor<2x3x5x4xf32>
  %r = kiln.matmul %t, %w : (tensor<2x3x5x4xf32>, tensor<3x4x6xf32>) -> tensor<2x3x5x6xf32>
  return %r : tensor<2x3x5x6xf32>
}

// A transpose that moves the depth away from A's last dim stays: the
// kernels read A's rows contiguously along k.
// CHECK-LABEL: func.func @depth_moves
// CHECK: %[[T:.+]] = linalg.generic {{.*}}kiln.op = "kiln.transpose"
// CHECK: linalg.generic {{.*}} ins(%[[T]], %{{.+}} : tensor<5x4xf32>, tensor<4x6xf32>)
func.func @depth_moves(%a: tensor<4x5xf32>, %b: tensor<4x6xf32>) -> tensor<5x6xf32> {
  %t = kiln.transpose %a {permutation = array<i64: 1, 0>} : tensor<4x5xf32> -> tensor<5x4xf32>
  %r = kiln.matmul %t, %b : (tensor<5x4xf32>, tensor<4x6xf32>) -> tensor<5x6xf32>
  return %r : tensor<5x6xf32>
}

// A transpose that something else reads stays for it; the GEMM still reads
// the input in place.
// CHECK-LABEL: func.func @shared_transpose
// CHECK-SAME: (%[[Q2:[^:]+]]: tensor<2x5x3x4xf32>
// CHECK: %[[T2:.+]] = linalg.generic {{.*}}kiln.op = "kiln.transpose"
// CHECK: linalg.generic {indexing_maps = [#[[QMAP]], #{{.+}}, #{{.+}}]
// CHECK-SAME: ins(%[[Q2]], %{{.+}} : tensor<2x5x3x4xf32>, tensor<3x4x6xf32>)
// CHECK: return %{{.+}}, %[[T2]]
func.func @shared_transpose(%q: tensor<2x5x3x4xf32>, %w: tensor<3x4x6xf32>) -> (tensor<2x3x5x6xf32>, tensor<2x3x5x4xf32>) {
  %t = kiln.transpose %q {permutation = array<i64: 0, 2, 1, 3>} : tensor<2x5x3x4xf32> -> tensor<2x3x5x4xf32>
  %r = kiln.matmul %t, %w : (tensor<2x3x5x4xf32>, tensor<3x4x6xf32>) -> tensor<2x3x5x6xf32>
  return %r, %t : tensor<2x3x5x6xf32>, tensor<2x3x5x4xf32>
}
