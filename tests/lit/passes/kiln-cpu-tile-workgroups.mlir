// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-tile-workgroups, canonicalize, cse))" | FileCheck %s

// A 20x64 GEMM + bias in 8x32 workgroup tiles: the kernel takes the
// bindings as memrefs and the workgroup id; the last row tile (4 rows) is a
// second, statically shaped body.
// CHECK-LABEL: func.func @gemm_bias
// CHECK-SAME: (%[[A:.+]]: memref<20x16xf32>, %[[W:.+]]: memref<16x64xf32>, %[[B:.+]]: memref<64xf32>, %[[OUT:.+]]: memref<20x64xf32>, %[[X:.+]]: index, %[[Y:.+]]: index, %[[Z:.+]]: index)
// CHECK-SAME: attributes {exec.binding_count = 4 : i64, exec.kernel
// CHECK: %[[TA:.+]] = bufferization.to_tensor %[[A]] restrict
// CHECK: %[[N0:.+]] = affine.apply #{{.*}}()[%[[X]]]
// CHECK: %[[M0:.+]] = affine.apply #{{.*}}()[%[[Y]]]
// CHECK: scf.if
// CHECK: tensor.extract_slice %[[TA]][%[[M0]], 0] [4, 16] [1, 1]
// CHECK: } -> tensor<4x32xf32>
// CHECK: } -> tensor<4x32xf32>
// CHECK: memref.subview %[[OUT]][%[[M0]], %[[N0]]] [4, 32] [1, 1]
// CHECK: bufferization.materialize_in_destination {{.*}} in restrict writable
// CHECK: } else {
// CHECK: tensor.extract_slice %[[TA]][%[[M0]], 0] [8, 16] [1, 1]
// CHECK-COUNT-2: } -> tensor<8x32xf32>
// CHECK: memref.subview %[[OUT]][%[[M0]], %[[N0]]] [8, 32] [1, 1]
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#w = affine_map<(d0, d1, d2) -> (d2, d1)>
#y = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @gemm_bias(%a: tensor<20x16xf32>, %w: tensor<16x64xf32>, %b: tensor<64xf32>) -> tensor<20x64xf32>
    attributes {exec.workgroup_tile = array<i64: 8, 32>} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<20x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<20x64xf32>) -> tensor<20x64xf32>
  %mm = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<20x16xf32>, tensor<16x64xf32>) outs(%init : tensor<20x64xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<20x64xf32>
  %e2 = tensor.empty() : tensor<20x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %b : tensor<20x64xf32>, tensor<64xf32>) outs(%e2 : tensor<20x64xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.addf %in, %in_0 : f32
    linalg.yield %0 : f32
  } -> tensor<20x64xf32>
  return %r : tensor<20x64xf32>
}

// Layer norm over whole rows of a [2, 4, 16] tensor: the batch index comes
// from z, and the statistics take the batch and row offsets only, so every
// op is tiled once.
// CHECK-LABEL: func.func @norm
// CHECK-SAME: %[[Z:[^:]+]]: index)
// CHECK-NOT: scf.if
// CHECK: } -> tensor<1x2xf32>
// CHECK: } -> tensor<1x2x16xf32>
// CHECK-NOT: linalg.generic
// CHECK: memref.subview %{{.*}}[%[[Z]], %{{.*}}, 0] [1, 2, 16]
#n_id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#n_row = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @norm(%x: tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
    attributes {exec.workgroup_tile = array<i64: 1, 2, 16>} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %sum = linalg.generic {indexing_maps = [#n_id, #n_row], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<2x4x16xf32>) outs(%init : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  } -> tensor<2x4xf32>
  %e2 = tensor.empty() : tensor<2x4x16xf32>
  %y = linalg.generic {indexing_maps = [#n_id, #n_row, #n_id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %sum : tensor<2x4x16xf32>, tensor<2x4xf32>) outs(%e2 : tensor<2x4x16xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %0 = arith.subf %in, %s : f32
    linalg.yield %0 : f32
  } -> tensor<2x4x16xf32>
  return %y : tensor<2x4x16xf32>
}

// A row-limited GEMM: tiles whose first row is past the count skip their
// body, and the tiled GEMM counts from the tile's first row. Its epilogue
// (elementwise, reading the GEMM's rows and a bias by columns) gets that
// count as a row limit of its own, for kiln-cpu-limit-row-loops.
// CHECK-LABEL: func.func @row_limited
// CHECK-SAME: (%{{.+}}: memref<64x16xf32>, %{{.+}}: memref<16x32xf32>, %[[COUNT:.+]]: memref<i64>, %{{.+}}: memref<32xf32>, %{{.+}}: memref<64x32xf32>, %{{.+}}: memref<64x32xf32>, %{{.+}}: memref<64x32xf32>, %{{.+}}: index, %[[Y:.+]]: index, %{{.+}}: index)
// CHECK: %[[TC:.+]] = bufferization.to_tensor %[[COUNT]]
// CHECK: %[[M0:.+]] = affine.apply #{{.*}}()[%[[Y]]]
// CHECK: %[[N:.+]] = tensor.extract %[[TC]][] : tensor<i64>
// CHECK: %[[FIRST:.+]] = arith.index_cast %[[M0]] : index to i64
// CHECK: %[[LEFT:.+]] = arith.subi %[[N]], %[[FIRST]] : i64
// CHECK: %[[ANY:.+]] = arith.cmpi sgt, %[[LEFT]], %{{.+}} : i64
// CHECK: %[[LOCAL:.+]] = tensor.from_elements %[[LEFT]] : tensor<i64>
// CHECK: scf.if %[[ANY]] {
// CHECK: %[[MM:.+]] = linalg.generic
// CHECK-SAME: ins(%{{.+}}, %{{.+}}, %[[LOCAL]] : tensor<16x16xf32>, tensor<16x32xf32>, tensor<i64>)
// CHECK-SAME: kiln.row_limit = 4 : i64
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[MM]], %{{.+}}, %[[LOCAL]] : tensor<16x32xf32>, tensor<32xf32>, tensor<i64>)
// CHECK-SAME: kiln.op = "kiln.add", kiln.row_limit}
// CHECK: ^bb0(%{{.+}}: f32, %{{.+}}: f32, %{{.+}}: i64, %{{.+}}: f32):
// An op whose rows come from no row-limited value keeps all its rows.
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{[^,]+}} : tensor<16x32xf32>)
// CHECK-SAME: kiln.op = "kiln.tanh"}
// CHECK: memref.subview
// CHECK: }
// CHECK-NEXT: return
#rl_none = affine_map<(d0, d1, d2) -> ()>
#rl_id = affine_map<(d0, d1) -> (d0, d1)>
#rl_col = affine_map<(d0, d1) -> (d1)>
func.func @row_limited(%a: tensor<64x16xf32>, %w: tensor<16x32xf32>, %count: tensor<i64>, %bias: tensor<32xf32>, %other: tensor<64x32xf32>) -> (tensor<64x32xf32>, tensor<64x32xf32>)
    attributes {exec.workgroup_tile = array<i64: 16, 32>} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<64x32xf32>) -> tensor<64x32xf32>
  %mm = linalg.generic {indexing_maps = [#x, #w, #rl_none, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w, %count : tensor<64x16xf32>, tensor<16x32xf32>, tensor<i64>) outs(%init : tensor<64x32xf32>) attrs = {kiln.row_limit = 4 : i64} {
  ^bb0(%in: f32, %in_0: f32, %n: i64, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<64x32xf32>
  %biased = linalg.generic {indexing_maps = [#rl_id, #rl_col, #rl_id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %bias : tensor<64x32xf32>, tensor<32xf32>) outs(%e : tensor<64x32xf32>) attrs = {kiln.op = "kiln.add"} {
  ^bb0(%in: f32, %b: f32, %out: f32):
    %0 = arith.addf %in, %b : f32
    linalg.yield %0 : f32
  } -> tensor<64x32xf32>
  %t = linalg.generic {indexing_maps = [#rl_id, #rl_id], iterator_types = ["parallel", "parallel"]}
      ins(%other : tensor<64x32xf32>) outs(%e : tensor<64x32xf32>) attrs = {kiln.op = "kiln.tanh"} {
  ^bb0(%in: f32, %out: f32):
    %0 = math.tanh %in : f32
    linalg.yield %0 : f32
  } -> tensor<64x32xf32>
  return %biased, %t : tensor<64x32xf32>, tensor<64x32xf32>
}


// A key limit's ends are indexed by rows: the tiled op reads its rows'
// slice of them, and its key loop stays whole.
// CHECK-LABEL: func.func @key_ends
// CHECK-SAME: %[[Y:[^:]+]]: index, %{{[^:]+}}: index)
// CHECK: %[[M0:.+]] = affine.apply #{{.*}}()[%[[Y]]]
// CHECK: %[[ES:.+]] = tensor.extract_slice %{{.+}}[%[[M0]]] [8] [1] : tensor<32xi64> to tensor<8xi64>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.+}}, %[[ES]] : tensor<8x64xf32>, tensor<8xi64>)
// CHECK-SAME: kiln.key_end = array<i64: 1>
#k_id = affine_map<(d0, d1) -> (d0, d1)>
#k_row = affine_map<(d0, d1) -> (d0)>
func.func @key_ends(%s: tensor<32x64xf32>, %ends: tensor<32xi64>) -> tensor<32x64xf32>
    attributes {exec.workgroup_tile = array<i64: 8, 64>} {
  %e = tensor.empty() : tensor<32x64xf32>
  %r = linalg.generic {indexing_maps = [#k_id, #k_row, #k_id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %ends : tensor<32x64xf32>, tensor<32xi64>) outs(%e : tensor<32x64xf32>) attrs = {kiln.key_end = array<i64: 1>} {
  ^bb0(%x: f32, %k: i64, %out: f32):
    %0 = math.exp %x : f32
    linalg.yield %0 : f32
  } -> tensor<32x64xf32>
  return %r : tensor<32x64xf32>
}

// B in panels of 32 columns, padded: 40 columns read as 2 panels. The
// tile's last column (39) sits in lane 7, so linalg alone would slice 8
// lanes out of [0, 8); panels are read whole, all 32 lanes (the slice of
// all of B folds away).
// CHECK-LABEL: func.func @padded_panels
// CHECK-NOT: tensor.extract_slice {{.*}} to tensor<2x16x8xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<8x16xf32>, tensor<2x16x32xf32>)
#p_a = affine_map<(d0, d1, d2) -> (d0, d2)>
#p_b = affine_map<(d0, d1, d2) -> (d1 floordiv 32, d2, d1 mod 32)>
#p_c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @padded_panels(%a: tensor<16x16xf32>, %b: tensor<2x16x32xf32>) -> tensor<16x40xf32>
    attributes {exec.workgroup_tile = array<i64: 8, 40>} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x40xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<16x40xf32>) -> tensor<16x40xf32>
  %mm = linalg.generic {indexing_maps = [#p_a, #p_b, #p_c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<16x16xf32>, tensor<2x16x32xf32>) outs(%f : tensor<16x40xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<16x40xf32>
  return %mm : tensor<16x40xf32>
}

// Columns no tile divides (a language-model head's vocabulary) end in a
// partial tile too: 20x80 in 8x32 tiles has four bodies, for the last row
// tile (4 rows) or not, each for the last column tile (16 columns) or not.
// CHECK-LABEL: func.func @partial_columns
// CHECK-SAME: (%[[A:.+]]: memref<20x16xf32>, %[[W:.+]]: memref<16x80xf32>, %[[OUT:.+]]: memref<20x80xf32>, %[[X:.+]]: index, %[[Y:.+]]: index, %[[Z:.+]]: index)
// CHECK-DAG: %[[C2:.+]] = arith.constant 2 : index
// CHECK: %[[N0:.+]] = affine.apply #{{.*}}()[%[[X]]]
// CHECK: %[[M0:.+]] = affine.apply #{{.*}}()[%[[Y]]]
// CHECK: %[[LASTROW:.+]] = arith.cmpi eq, %[[Y]], %[[C2]]
// CHECK: scf.if %[[LASTROW]] {
// CHECK: %[[LASTCOL:.+]] = arith.cmpi eq, %[[X]], %[[C2]]
// CHECK: scf.if %[[LASTCOL]] {
// CHECK: tensor.extract_slice %{{.+}}[0, %[[N0]]] [16, 16] [1, 1]
// CHECK: } -> tensor<4x16xf32>
// CHECK: memref.subview %[[OUT]][%[[M0]], %[[N0]]] [4, 16] [1, 1]
// CHECK: } else {
// CHECK: } -> tensor<4x32xf32>
// CHECK: memref.subview %[[OUT]][%[[M0]], %[[N0]]] [4, 32] [1, 1]
// CHECK: } else {
// CHECK: arith.cmpi eq, %[[X]], %[[C2]]
// CHECK: scf.if
// CHECK: } -> tensor<8x16xf32>
// CHECK: memref.subview %[[OUT]][%[[M0]], %[[N0]]] [8, 16] [1, 1]
// CHECK: } else {
// CHECK: } -> tensor<8x32xf32>
// CHECK: memref.subview %[[OUT]][%[[M0]], %[[N0]]] [8, 32] [1, 1]
func.func @partial_columns(%a: tensor<20x16xf32>, %w: tensor<16x80xf32>) -> tensor<20x80xf32>
    attributes {exec.workgroup_tile = array<i64: 8, 32>} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<20x80xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<20x80xf32>) -> tensor<20x80xf32>
  %mm = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<20x16xf32>, tensor<16x80xf32>) outs(%init : tensor<20x80xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<20x80xf32>
  return %mm : tensor<20x80xf32>
}
