// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-materialize-weight-layouts, kiln-pack-gemm-operands))" | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-materialize-weight-layouts, kiln-pack-gemm-operands{min-rows=1}))" | FileCheck %s --check-prefix=ALL

// CHECK-DAG: #[[PACK_KN:.+]] = affine_map<(d0, d1, d2) -> (d1, d0 * 32 + d2)>
// CHECK-DAG: #[[PACK_NK:.+]] = affine_map<(d0, d1, d2) -> (d0 * 32 + d2, d1)>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[PANEL:.+]] = affine_map<(d0, d1, d2) -> (d1 floordiv 32, d2, d1 mod 32)>
// CHECK-DAG: #[[PACK_BATCH:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2 * 32 + d4, d3)>
// CHECK-DAG: #[[PANEL_BATCH:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3 floordiv 32, d4, d3 mod 32)>
// CHECK-DAG: #[[PANEL_BCAST:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d3 floordiv 32, d4, d3 mod 32)>

// 64 rows: B, a run-time input, is copied into two panels of 32 columns.
// CHECK-LABEL: func.func @rows64
// CHECK-SAME: (%[[A:.+]]: tensor<64x16xf32>, %[[B:.+]]: tensor<16x64xf32>)
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x16x32xf32>
// CHECK: %[[P:.+]] = linalg.generic {indexing_maps = [#[[PACK_KN]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[B]] : tensor<16x64xf32>) outs(%[[E]] : tensor<2x16x32xf32>)
// CHECK: kiln.op = "kiln.pack_panels"
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PANEL]], #{{.+}}]
// CHECK-SAME: ins(%[[A]], %[[P]] : tensor<64x16xf32>, tensor<2x16x32xf32>)
func.func @rows64(%a: tensor<64x16xf32>, %b: tensor<16x64xf32>) -> tensor<64x64xf32> {
  %0 = kiln.matmul %a, %b : (tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// N = 40 is not a multiple of 32: two panels, the second padded with
// zeros. A map cannot stop at N, so the copy has no input and reads B with
// tensor.extract only below it.
// CHECK-LABEL: func.func @padded
// CHECK-SAME: (%[[A:.+]]: tensor<64x16xf32>, %[[B:.+]]: tensor<16x40xf32>)
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x16x32xf32>
// CHECK: %[[P:.+]] = linalg.generic {indexing_maps = [#[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: outs(%[[E]] : tensor<2x16x32xf32>) attrs = {kiln.op = "kiln.pack_panels"}
// CHECK: %[[I:.+]] = linalg.index 0
// CHECK: %[[K:.+]] = linalg.index 1
// CHECK: %[[J:.+]] = linalg.index 2
// CHECK: %[[I32:.+]] = arith.muli %[[I]], %c32
// CHECK: %[[COL:.+]] = arith.addi %[[I32]], %[[J]]
// CHECK: %[[IN:.+]] = arith.cmpi slt, %[[COL]], %c40
// CHECK: scf.if %[[IN]]
// CHECK: tensor.extract %[[B]][%[[K]], %[[COL]]]
// CHECK: } else {
// CHECK: arith.constant 0.000000e+00
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PANEL]], #{{.+}}]
// CHECK-SAME: ins(%[[A]], %[[P]] : tensor<64x16xf32>, tensor<2x16x32xf32>)
// CHECK-SAME: outs(%{{.+}} : tensor<64x40xf32>)
func.func @padded(%a: tensor<64x16xf32>, %b: tensor<16x40xf32>) -> tensor<64x40xf32> {
  %0 = kiln.matmul %a, %b : (tensor<64x16xf32>, tensor<16x40xf32>) -> tensor<64x40xf32>
  return %0 : tensor<64x40xf32>
}

// B read as B[n, k] with N = 40 reads B[i * 32 + j, k] under the same
// condition.
// CHECK-LABEL: func.func @padded_transposed
// CHECK-SAME: (%{{.+}}: tensor<2x16xf32>, %[[Y:.+]]: tensor<40x16xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]]]
// CHECK-SAME: outs(%{{.+}} : tensor<2x16x32xf32>) attrs = {kiln.op = "kiln.pack_panels"}
// CHECK: %[[K:.+]] = linalg.index 1
// CHECK: %[[COL:.+]] = arith.addi
// CHECK: tensor.extract %[[Y]][%[[COL]], %[[K]]] : tensor<40x16xf32>
func.func @padded_transposed(%x: tensor<2x16xf32>, %y: tensor<40x16xf32>) -> tensor<2x40xf32> {
  %0 = kiln.matmul %x, %y {transpose_rhs} : (tensor<2x16xf32>, tensor<40x16xf32>) -> tensor<2x40xf32>
  return %0 : tensor<2x40xf32>
}

// Narrower than a panel (N = 24), B is used as it is.
// CHECK-LABEL: func.func @narrow
// CHECK-NOT: kiln.pack_panels
// CHECK: return
func.func @narrow(%a: tensor<64x16xf32>, %b: tensor<16x24xf32>) -> tensor<64x24xf32> {
  %0 = kiln.matmul %a, %b : (tensor<64x16xf32>, tensor<16x24xf32>) -> tensor<64x24xf32>
  return %0 : tensor<64x24xf32>
}

// Below min-rows, B read as B[k, n] is used as it is.
// CHECK-LABEL: func.func @rows8
// CHECK-NOT: kiln.pack_panels
// CHECK: return
// ALL-LABEL: func.func @rows8
// ALL: kiln.op = "kiln.pack_panels"
func.func @rows8(%a: tensor<8x16xf32>, %b: tensor<16x64xf32>) -> tensor<8x64xf32> {
  %0 = kiln.matmul %a, %b : (tensor<8x16xf32>, tensor<16x64xf32>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// B read as B[n, k] (x y^T) is packed at any row count: unpacked, it has
// no vector code.
// CHECK-LABEL: func.func @transposed
// CHECK: linalg.generic {indexing_maps = [#[[PACK_NK]], #[[ID]]]
// CHECK-SAME: ins(%{{.+}} : tensor<64x16xf32>) outs(%{{.+}} : tensor<2x16x32xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PANEL]], #{{.+}}]
func.func @transposed(%x: tensor<2x16xf32>, %y: tensor<64x16xf32>) -> tensor<2x64xf32> {
  %0 = kiln.linear %x, %y : (tensor<2x16xf32>, tensor<64x16xf32>) -> tensor<2x64xf32>
  return %0 : tensor<2x64xf32>
}

// Weights were laid out at compile time already.
// CHECK-LABEL: func.func @weight
// CHECK-NOT: kiln.pack_panels
// CHECK: kiln.param "fc.weight" {panel = 32 : i64}
// CHECK-NOT: kiln.pack_panels
// CHECK: return
func.func @weight(%x: tensor<64x16xf32>) -> tensor<64x64xf32> {
  %w = kiln.param "fc.weight" : tensor<64x16xf32>
  %0 = kiln.linear %x, %w : (tensor<64x16xf32>, tensor<64x16xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// Two GEMMs reading the same run-time B share one copy of its panels.
// CHECK-LABEL: func.func @shared_operand
// CHECK-COUNT-1: kiln.op = "kiln.pack_panels"
// CHECK-NOT: kiln.op = "kiln.pack_panels"
// CHECK: return
func.func @shared_operand(%a: tensor<64x16xf32>, %c: tensor<64x16xf32>, %b: tensor<16x64xf32>) -> (tensor<64x64xf32>, tensor<64x64xf32>) {
  %0 = kiln.matmul %a, %b : (tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<64x64xf32>
  %1 = kiln.matmul %c, %b : (tensor<64x16xf32>, tensor<16x64xf32>) -> tensor<64x64xf32>
  return %0, %1 : tensor<64x64xf32>, tensor<64x64xf32>
}

// A batched B keeps its leading dims in front of the panels: per head,
// B[b, h, n, k] (scores written by hand) becomes [b, h, N / p, K, p].
// CHECK-LABEL: func.func @per_head
// CHECK-SAME: (%{{.+}}: tensor<2x3x9x16xf32>, %[[K:.+]]: tensor<2x3x64x16xf32>)
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x3x2x16x32xf32>
// CHECK: %[[P:.+]] = linalg.generic {indexing_maps = [#[[PACK_BATCH]], #{{.+}}]
// CHECK-SAME: ins(%[[K]] : tensor<2x3x64x16xf32>) outs(%[[E]] : tensor<2x3x2x16x32xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PANEL_BATCH]], #{{.+}}]
// CHECK-SAME: ins(%{{.+}}, %[[P]] : tensor<2x3x9x16xf32>, tensor<2x3x2x16x32xf32>)
func.func @per_head(%q: tensor<2x3x9x16xf32>, %k: tensor<2x3x64x16xf32>) -> tensor<2x3x9x64xf32> {
  %0 = kiln.matmul %q, %k {transpose_rhs} : (tensor<2x3x9x16xf32>, tensor<2x3x64x16xf32>) -> tensor<2x3x9x64xf32>
  return %0 : tensor<2x3x9x64xf32>
}

// A B broadcast over a batch dim of A is packed once, read through B's own
// batch map; its padded copy indexes B's leading dim too. The 2 x 40 rows
// of C that read each slice of B count against min-rows.
// CHECK-LABEL: func.func @broadcast_batch
// CHECK-SAME: (%{{.+}}: tensor<2x3x40x16xf32>, %[[W:.+]]: tensor<3x16x40xf32>)
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.+}} : tensor<3x2x16x32xf32>) attrs = {kiln.op = "kiln.pack_panels"}
// CHECK: %[[H:.+]] = linalg.index 0
// CHECK: %[[K:.+]] = linalg.index 2
// CHECK: %[[COL:.+]] = arith.addi
// CHECK: tensor.extract %[[W]][%[[H]], %[[K]], %[[COL]]] : tensor<3x16x40xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PANEL_BCAST]], #{{.+}}]
func.func @broadcast_batch(%x: tensor<2x3x40x16xf32>, %w: tensor<3x16x40xf32>) -> tensor<2x3x40x40xf32> {
  %0 = kiln.matmul %x, %w : (tensor<2x3x40x16xf32>, tensor<3x16x40xf32>) -> tensor<2x3x40x40xf32>
  return %0 : tensor<2x3x40x40xf32>
}

// 40 rows of C per slice of a batched B[k, n]: below min-rows, B is used
// as it is.
// CHECK-LABEL: func.func @batch_rows40
// CHECK-NOT: kiln.pack_panels
// CHECK: return
func.func @batch_rows40(%x: tensor<3x40x16xf32>, %w: tensor<3x16x64xf32>) -> tensor<3x40x64xf32> {
  %0 = kiln.matmul %x, %w : (tensor<3x40x16xf32>, tensor<3x16x64xf32>) -> tensor<3x40x64xf32>
  return %0 : tensor<3x40x64xf32>
}
