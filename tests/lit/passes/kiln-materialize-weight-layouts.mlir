// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-materialize-weight-layouts))" | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-materialize-weight-layouts{panel=0}))" | FileCheck %s --check-prefix=NOPANEL

// A linear's [out, in] weight whose N is not a multiple of the panel width
// is stored transposed and read as B[k, n].
// CHECK-DAG: #[[KN:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[PANEL:.+]] = affine_map<(d0, d1, d2) -> (d1 floordiv 32, d2, d1 mod 32)>
// CHECK-DAG: #[[NK:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[HKN:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[HPANEL:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2 floordiv 32, d3, d2 mod 32)>
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

// A GEMM reading one parameter as both A and B (W W^T, N = 64): only the B
// use is re-laid out, and not in panels, since the A use reads the
// checkpoint's layout. (Both uses counted as B uses: the map of B was
// rewritten twice and the compile failed.)
// CHECK-LABEL: func.func @gram
// CHECK-DAG: %[[WT:.+]] = kiln.param "w" {permutation = array<i64: 1, 0>} : tensor<16x64xf32>
// CHECK-DAG: %[[W:.+]] = kiln.param "w" : tensor<64x16xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[KN]], #{{.+}}]
// CHECK-SAME: ins(%[[W]], %[[WT]] : tensor<64x16xf32>, tensor<16x64xf32>)
func.func @gram() -> tensor<64x64xf32> {
  %w = kiln.param "w" : tensor<64x16xf32>
  %0 = kiln.linear %w, %w : (tensor<64x16xf32>, tensor<64x16xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// N = 64: the weight is stored in two panels of 32 columns, [2, 16, 32].
// CHECK-LABEL: func.func @panels
// CHECK: %[[P:.+]] = kiln.param "up.weight" {panel = 32 : i64} : tensor<2x16x32xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PANEL]], #{{.+}}]
// CHECK-SAME: ins(%{{.+}}, %[[P]] : tensor<4x16xf32>, tensor<2x16x32xf32>)
// NOPANEL-LABEL: func.func @panels
// NOPANEL: kiln.param "up.weight" {permutation = array<i64: 1, 0>} : tensor<16x64xf32>
func.func @panels(%x: tensor<4x16xf32>) -> tensor<4x64xf32> {
  %w = kiln.param "up.weight" : tensor<64x16xf32>
  %0 = kiln.linear %x, %w : (tensor<4x16xf32>, tensor<64x16xf32>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// N = 40 is not a multiple of 32: two panels, the second padded with 24
// zero columns that `panel_columns` accounts for. (N = 8 in @linear is
// narrower than a panel and stays transposed.)
// CHECK-LABEL: func.func @padded_panels
// CHECK: %[[P:.+]] = kiln.param "head.weight" {panel = 32 : i64, panel_columns = 40 : i64} : tensor<2x16x32xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PANEL]], #{{.+}}]
// CHECK-SAME: ins(%{{.+}}, %[[P]] : tensor<4x16xf32>, tensor<2x16x32xf32>)
// CHECK-SAME: outs(%{{.+}} : tensor<4x40xf32>)
// NOPANEL-LABEL: func.func @padded_panels
// NOPANEL: kiln.param "head.weight" {permutation = array<i64: 1, 0>} : tensor<16x40xf32>
func.func @padded_panels(%x: tensor<4x16xf32>) -> tensor<4x40xf32> {
  %w = kiln.param "head.weight" : tensor<40x16xf32>
  %0 = kiln.linear %x, %w : (tensor<4x16xf32>, tensor<40x16xf32>) -> tensor<4x40xf32>
  return %0 : tensor<4x40xf32>
}

// A parameter also read by something other than a GEMM keeps one layout
// for all its uses: transposed, which the GEMM still reads well.
// CHECK-LABEL: func.func @shared_weight
// CHECK-NOT: panel =
// CHECK: kiln.param "tied.weight" {permutation = array<i64: 1, 0>} : tensor<16x64xf32>
// CHECK: kiln.param "tied.weight" : tensor<64x16xf32>
func.func @shared_weight(%x: tensor<4x16xf32>) -> (tensor<4x64xf32>, tensor<64x16xf32>) {
  %w = kiln.param "tied.weight" : tensor<64x16xf32>
  %0 = kiln.linear %x, %w : (tensor<4x16xf32>, tensor<64x16xf32>) -> tensor<4x64xf32>
  return %0, %w : tensor<4x64xf32>, tensor<64x16xf32>
}

// A GEMM reading a reshaped parameter (a patch embedding's convolution
// weight [N, C, P, P] as [N, C P P]) reads a parameter stored in panels;
// the checkpoint keeps its 4-D shape.
// CHECK-LABEL: func.func @reshaped_weight
// CHECK-NOT: kiln.reshape
// CHECK: %[[C:.+]] = kiln.param "conv.weight" {checkpoint_shape = array<i64: 64, 3, 2, 2>, panel = 32 : i64} : tensor<2x12x32xf32>
// CHECK-NOT: kiln.reshape
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PANEL]], #{{.+}}]
// CHECK-SAME: ins(%{{.+}}, %[[C]] : tensor<4x12xf32>, tensor<2x12x32xf32>)
// NOPANEL-LABEL: func.func @reshaped_weight
// NOPANEL: kiln.param "conv.weight" {checkpoint_shape = array<i64: 64, 3, 2, 2>, permutation = array<i64: 1, 0>} : tensor<12x64xf32>
func.func @reshaped_weight(%x: tensor<4x12xf32>) -> tensor<4x64xf32> {
  %w = kiln.param "conv.weight" : tensor<64x3x2x2xf32>
  %r = kiln.reshape %w : tensor<64x3x2x2xf32> -> tensor<64x12xf32>
  %0 = kiln.linear %x, %r : (tensor<4x12xf32>, tensor<64x12xf32>) -> tensor<4x64xf32>
  return %0 : tensor<4x64xf32>
}

// A reshaped parameter that no GEMM reads keeps its reshape.
// CHECK-LABEL: func.func @reshaped_not_gemm
// CHECK: kiln.param "table" : tensor<4x6xf32>
// CHECK: kiln.reshape
func.func @reshaped_not_gemm() -> tensor<24xf32> {
  %w = kiln.param "table" : tensor<4x6xf32>
  %r = kiln.reshape %w : tensor<4x6xf32> -> tensor<24xf32>
  return %r : tensor<24xf32>
}

// A batched GEMM reading per-head weights (a [heads * dh, E] linear weight
// reshaped to [heads, dh, E]) as B[h, n, k] reads them stored as [heads, E,
// dh], transposed in the last two dims; the checkpoint keeps its 2-D shape.
// CHECK-LABEL: func.func @per_head_weight
// CHECK-NOT: kiln.reshape
// CHECK: %[[H:.+]] = kiln.param "value.weight" {checkpoint_shape = array<i64: 8, 6>, permutation = array<i64: 0, 2, 1>} : tensor<2x6x4xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[HKN]], #{{.+}}]
// CHECK-SAME: ins(%{{.+}}, %[[H]] : tensor<2x3x6xf32>, tensor<2x6x4xf32>)
func.func @per_head_weight(%x: tensor<2x3x6xf32>) -> tensor<2x3x4xf32> {
  %w = kiln.param "value.weight" : tensor<8x6xf32>
  %r = kiln.reshape %w : tensor<8x6xf32> -> tensor<2x4x6xf32>
  %0 = kiln.matmul %x, %r {transpose_rhs} : (tensor<2x3x6xf32>, tensor<2x4x6xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// Per-head weights whose N (per head) is a multiple of the panel width are
// stored in panels per head, [heads, N / 32, K, 32], read as B[h, n
// floordiv 32, k, n mod 32]; the checkpoint keeps its 2-D shape.
// CHECK-LABEL: func.func @per_head_panels
// CHECK: %[[P:.+]] = kiln.param "value.weight" {checkpoint_shape = array<i64: 128, 6>, panel = 32 : i64} : tensor<2x2x6x32xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[HPANEL]], #{{.+}}]
// CHECK-SAME: ins(%{{.+}}, %[[P]] : tensor<2x3x6xf32>, tensor<2x2x6x32xf32>)
// NOPANEL-LABEL: func.func @per_head_panels
// NOPANEL: kiln.param "value.weight" {checkpoint_shape = array<i64: 128, 6>, permutation = array<i64: 0, 2, 1>} : tensor<2x6x64xf32>
func.func @per_head_panels(%x: tensor<2x3x6xf32>) -> tensor<2x3x64xf32> {
  %w = kiln.param "value.weight" : tensor<128x6xf32>
  %r = kiln.reshape %w : tensor<128x6xf32> -> tensor<2x64x6xf32>
  %0 = kiln.matmul %x, %r {transpose_rhs} : (tensor<2x3x6xf32>, tensor<2x64x6xf32>) -> tensor<2x3x64xf32>
  return %0 : tensor<2x3x64xf32>
}

// A weight that a GEMM reads as B[.., k, n] (the absorbed attention's
// per-head query-side weight [heads, dh, E]) is permuted to [.., n, k]
// and then stored in panels: kiln.param applies the permutation first.
// Its rows are contiguous already, so without panels it keeps its layout
// (the reshape folds into the parameter).
// CHECK-LABEL: func.func @natural_panels
// CHECK: %[[Q:.+]] = kiln.param "query.weight" {checkpoint_shape = array<i64: 12, 64>, panel = 32 : i64, permutation = array<i64: 0, 2, 1>} : tensor<2x2x6x32xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[HPANEL]], #{{.+}}]
// CHECK-SAME: ins(%{{.+}}, %[[Q]] : tensor<2x3x6xf32>, tensor<2x2x6x32xf32>)
// NOPANEL-LABEL: func.func @natural_panels
// NOPANEL: kiln.param "query.weight" {checkpoint_shape = array<i64: 12, 64>} : tensor<2x6x64xf32>
func.func @natural_panels(%x: tensor<2x3x6xf32>) -> tensor<2x3x64xf32> {
  %w = kiln.param "query.weight" : tensor<12x64xf32>
  %r = kiln.reshape %w : tensor<12x64xf32> -> tensor<2x6x64xf32>
  %0 = kiln.matmul %x, %r : (tensor<2x3x6xf32>, tensor<2x6x64xf32>) -> tensor<2x3x64xf32>
  return %0 : tensor<2x3x64xf32>
}

// The same with N = 48 per head: permuted, then two panels, the second
// padded.
// CHECK-LABEL: func.func @natural_padded_panels
// CHECK: %[[Q:.+]] = kiln.param "query.weight" {checkpoint_shape = array<i64: 12, 48>, panel = 32 : i64, panel_columns = 48 : i64, permutation = array<i64: 0, 2, 1>} : tensor<2x2x6x32xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[HPANEL]], #{{.+}}]
// CHECK-SAME: ins(%{{.+}}, %[[Q]] : tensor<2x3x6xf32>, tensor<2x2x6x32xf32>)
func.func @natural_padded_panels(%x: tensor<2x3x6xf32>) -> tensor<2x3x48xf32> {
  %w = kiln.param "query.weight" : tensor<12x48xf32>
  %r = kiln.reshape %w : tensor<12x48xf32> -> tensor<2x6x48xf32>
  %0 = kiln.matmul %x, %r : (tensor<2x3x6xf32>, tensor<2x6x48xf32>) -> tensor<2x3x48xf32>
  return %0 : tensor<2x3x48xf32>
}
