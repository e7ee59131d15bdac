// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-contractions, canonicalize, cse))" | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-contractions{prefetch-rows=0}, canonicalize, cse))" | FileCheck %s --check-prefix=NOPREFETCH
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-contractions{prefetch-c=false}, canonicalize, cse))" | FileCheck %s --check-prefix=NOPREFETCHC
// NOPREFETCH-NOT: memref.prefetch {{.+}}, read
// NOPREFETCHC-NOT: memref.prefetch {{.+}}, write

// 10 x 40: a remainder of up to half a block shares the last whole block's
// rows, so the 10 rows are two 5-row blocks (10 accumulators each) rather
// than 8 and 2 (4 accumulators, too few to hide the FMA latency). Each
// row has one 32-column block (two full vectors) and a masked 8-lane tail
// vector. The sums start from zero; C is read once, after the depth loop,
// and added to them.
// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[A:.+]]: memref<10x16xf32>, %[[B:.+]]: memref<16x40xf32>, %[[C:.+]]: memref<10x40xf32>)
// CHECK-NOT: linalg.generic
// CHECK: %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK-NOT: vector.load %[[C]]
// CHECK: %[[SUMS:.+]]:10 = scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %[[ZERO]], %{{.+}} = %[[ZERO]],
// CHECK: vector.load %[[B]][%[[K]], %{{.+}}] : memref<16x40xf32>, vector<16xf32>
// CHECK-NOT: memref.prefetch
// CHECK: memref.load %[[A]][%{{.+}}, %[[K]]]
// CHECK: vector.broadcast
// CHECK-COUNT-10: vector.fma
// CHECK-NOT: vector.fma
// CHECK: scf.yield
// CHECK: %[[C00:.+]] = vector.load %[[C]][%{{.+}}, %{{.+}}] : memref<10x40xf32>, vector<16xf32>
// CHECK: %[[S00:.+]] = arith.addf %[[C00]], %[[SUMS]]#0 : vector<16xf32>
// CHECK: vector.store %[[S00]], %[[C]]
// CHECK-COUNT-9: vector.store
// CHECK: %{{.+}}:10 = scf.for
// CHECK-COUNT-10: vector.fma
// CHECK-NOT: vector.fma
// CHECK: scf.yield
// CHECK-COUNT-10: vector.store
// CHECK: %[[MASK:.+]] = vector.constant_mask [8] : vector<16xi1>
// CHECK: vector.maskedload %[[B]][%{{.+}}, %{{.+}}], %[[MASK]]
// CHECK: scf.yield
// CHECK: %[[CMASK:.+]] = vector.constant_mask [8] : vector<16xi1>
// CHECK: vector.maskedload %[[C]][%{{.+}}, %{{.+}}], %[[CMASK]]
// CHECK: vector.maskedstore
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#w = affine_map<(d0, d1, d2) -> (d2, d1)>
#y = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @gemm(%a: memref<10x16xf32>, %b: memref<16x40xf32>, %c: memref<10x40xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<10x16xf32>, memref<16x40xf32>) outs(%c : memref<10x40xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// B read as B[n, k] is left for the loop lowering.
// CHECK-LABEL: func.func @transposed
// CHECK: linalg.generic
#t = affine_map<(d0, d1, d2) -> (d1, d2)>
func.func @transposed(%a: memref<4x16xf32>, %b: memref<8x16xf32>, %c: memref<4x8xf32>) {
  linalg.generic {indexing_maps = [#x, #t, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x16xf32>, memref<8x16xf32>) outs(%c : memref<4x8xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// B in panels of 32 columns, B[n floordiv 32, k, n mod 32]: each 32-column
// block of C streams one contiguous panel, K split into kc = 512 slabs.
// CHECK-LABEL: func.func @panels
// CHECK-SAME: (%[[A:.+]]: memref<16x1536xf32>, %[[B:.+]]: memref<2x1536x32xf32>, %[[C:.+]]: memref<16x64xf32>)
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// The first slab on its own (it starts the sums), then the others.
// CHECK: %{{.+}}:16 = scf.for %[[KF:.+]] = %[[C0:.+]] to %[[C512:.+]] step
// CHECK: vector.load %[[B]][%{{.+}}, %[[KF]], %{{.+}}] : memref<2x1536x32xf32>, vector<16xf32>
// Each depth step prefetches the next slab's two lines, 512 rows on.
// CHECK: %[[KP:.+]] = arith.addi %[[KF]], %[[C512]]
// CHECK: memref.prefetch %[[B]][%{{.+}}, %[[KP]], %[[C0]]], read, locality<2>, data
// CHECK: memref.prefetch %[[B]][%{{.+}}, %[[KP]], %{{.+}}], read, locality<2>, data
// CHECK: scf.for %[[K0:.+]] = %[[C512]] to %{{.+}} step %[[C512]] {
// CHECK: %{{.+}}:16 = scf.for %[[K:.+]] = %[[K0]] to
// CHECK: vector.load %[[B]][%{{.+}}, %[[K]], %{{.+}}] : memref<2x1536x32xf32>, vector<16xf32>
// CHECK: memref.prefetch
// CHECK-COUNT-16: vector.fma
#p = affine_map<(d0, d1, d2) -> (d1 floordiv 32, d2, d1 mod 32)>
func.func @panels(%a: memref<16x1536xf32>, %b: memref<2x1536x32xf32>, %c: memref<16x64xf32>) {
  linalg.generic {indexing_maps = [#x, #p, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x1536xf32>, memref<2x1536x32xf32>) outs(%c : memref<16x64xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// Panels behind unit batch dims (attention's values in panels per batch and
// kv head, B[b, h, n floordiv 32, k, n mod 32]): the batch dims are indexed
// at 0 and each 32-column block streams its panel.
// CHECK-LABEL: func.func @batched_panels
// CHECK-SAME: %[[B:[^:]+]]: memref<1x1x2x64x32xf32>
// CHECK-NOT: linalg.generic
// CHECK: vector.load %[[B]][%[[Z:.+]], %[[Z]], %{{.+}}, %{{.+}}, %{{.+}}] : memref<1x1x2x64x32xf32>, vector<16xf32>
// CHECK: vector.fma
#bp_a = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4)>
#bp_b = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3 floordiv 32, d4, d3 mod 32)>
#bp_c = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func @batched_panels(%a: memref<1x1x8x64xf32>, %b: memref<1x1x2x64x32xf32>, %c: memref<1x1x8x64xf32>) {
  linalg.generic {indexing_maps = [#bp_a, #bp_b, #bp_c], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<1x1x8x64xf32>, memref<1x1x2x64x32xf32>) outs(%c : memref<1x1x8x64xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// A batched GEMM in a workgroup's tile, read the way attention reads heads:
// A[b, m, h, k] (the row dim in the middle), B[b, h, k, n]; the unit batch
// dims are indexed at 0.
// CHECK-LABEL: func.func @heads
// CHECK-SAME: (%[[A:.+]]: memref<1x8x1x64xf32, strided<[4096, 512, 64, 1]>>, %[[B:.+]]: memref<1x1x64x40xf32>, %[[C:.+]]: memref<1x1x8x40xf32>)
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(
// CHECK: vector.load %[[B]][%[[C0:.+]], %[[C0]], %[[K]], %{{.+}}] : memref<1x1x64x40xf32>, vector<16xf32>
// CHECK: memref.load %[[A]][%[[C0]], %{{.+}}, %[[C0]], %[[K]]]
// CHECK: vector.fma
#qa = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d4)>
#kb = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d4, d3)>
#sc = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func @heads(%a: memref<1x8x1x64xf32, strided<[4096, 512, 64, 1]>>, %b: memref<1x1x64x40xf32>, %c: memref<1x1x8x40xf32>) {
  linalg.generic {indexing_maps = [#qa, #kb, #sc], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<1x8x1x64xf32, strided<[4096, 512, 64, 1]>>, memref<1x1x64x40xf32>) outs(%c : memref<1x1x8x40xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// C zero-filled just before: the fill goes and the sums start from zero
// vectors instead of loads of C. C is a binding, so the block's lines are
// prefetched for writing before the depth loop: rows of 32 floats are
// whole lines apart, two lines per row.
// CHECK-LABEL: func.func @zero_filled
// CHECK-SAME: (%[[A:.+]]: memref<8x16xf32>, %[[B:.+]]: memref<16x32xf32>, %[[C:.+]]: memref<8x32xf32>)
// CHECK-NOT: linalg.fill
// CHECK: %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : vector<16xf32>
// CHECK-NOT: vector.load %[[C]]
// CHECK: memref.prefetch %[[C]][%[[C0:.+]], %[[C0]]], write, locality<3>, data
// CHECK-NEXT: memref.prefetch %[[C]][%[[C0]], %[[C16:.+]]], write, locality<3>, data
// CHECK-NEXT: memref.prefetch %[[C]][%[[C1:.+]], %[[C0]]], write
// CHECK-COUNT-13: memref.prefetch %[[C]]
// CHECK-NOT: memref.prefetch %[[C]]
// CHECK: scf.for {{.+}} iter_args(%{{.+}} = %[[ZERO]],
// CHECK-COUNT-16: vector.store {{.+}}, %[[C]]
func.func @zero_filled(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<8x32xf32>)
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// Rows of 40 floats are not whole lines apart: a block also prefetches its
// last column's line. The 32-column block takes columns 0, 16 and 31 of
// each row, the masked 8-lane tail 32 and 39, each before its depth loop.
// CHECK-LABEL: func.func @zero_filled_odd_rows
// CHECK-SAME: %[[C:[^ ]+]]: memref<8x40xf32>)
// CHECK-DAG: %[[C31:.+]] = arith.constant 31 : index
// CHECK-DAG: %[[C39:.+]] = arith.constant 39 : index
// CHECK-DAG: %[[C32:.+]] = arith.constant 32 : index
// CHECK-DAG: %[[C7:.+]] = arith.constant 7 : index
// CHECK-COUNT-23: memref.prefetch %[[C]]
// CHECK-NEXT: memref.prefetch %[[C]][%[[C7]], %[[C31]]], write
// CHECK-NEXT: scf.for
// CHECK-COUNT-15: memref.prefetch %[[C]]
// CHECK-NEXT: memref.prefetch %[[C]][%[[C7]], %[[C39]]], write
// CHECK-NEXT: scf.for
func.func @zero_filled_odd_rows(%a: memref<8x16xf32>, %b: memref<16x40xf32>, %c: memref<8x40xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<8x40xf32>)
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x16xf32>, memref<16x40xf32>) outs(%c : memref<8x40xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// A fill of another value is kept and C is loaded (and not prefetched: the
// fill has just written it).
// CHECK-LABEL: func.func @one_filled
// CHECK-NOT: write
// CHECK: linalg.fill
// CHECK: vector.load %{{.+}} : memref<8x32xf32>, vector<16xf32>
// CHECK-NOT: write
func.func @one_filled(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%c : memref<8x32xf32>)
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// A fill of a disjoint view of the same scratch in between (a softmax's
// running max) does not hide C's zero fill; that other fill stays. C is
// scratch, reused from cache, so nothing is prefetched for writing.
// CHECK-LABEL: func.func @scratch_views
// CHECK-SAME: (%{{.+}}: memref<8x16xf32>, %{{.+}}: memref<16x32xf32>, %[[S:.+]]: memref<1056xi8>)
// CHECK: %[[W:.+]] = memref.view %[[S]][%{{.+}}][] : memref<1056xi8> to memref<8xf32>
// CHECK: linalg.fill ins(%{{.+}} : f32) outs(%[[W]] : memref<8xf32>)
// CHECK-NOT: linalg.fill
// CHECK-NOT: write
// CHECK: scf.for {{.+}} iter_args(%{{.+}} = %{{.+}}, 
// CHECK-NOT: write
func.func @scratch_views(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %s: memref<1056xi8>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %c0 = arith.constant 0 : index
  %c1024 = arith.constant 1024 : index
  %v = memref.view %s[%c0][] : memref<1056xi8> to memref<8x32xf32>
  %w = memref.view %s[%c1024][] : memref<1056xi8> to memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%v : memref<8x32xf32>)
  linalg.fill ins(%ninf : f32) outs(%w : memref<8xf32>)
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%v : memref<8x32xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// A row-limited GEMM (kiln.row_limit, the count as its last input): whole
// 8-row blocks run up to the count (at most the tile's 10 rows), then the
// remainder as one block of exactly its rows, picked by a switch.
// CHECK-LABEL: func.func @row_limited
// CHECK-SAME: %[[COUNT:[^:]+]]: memref<i64>
// CHECK: %[[N:.+]] = memref.load %[[COUNT]][] : memref<i64>
// CHECK: %[[ROWS:.+]] = arith.index_cast %[[N]] : i64 to index
// CHECK: %[[LIMIT:.+]] = arith.minsi %[[ROWS]], %c10 : index
// CHECK: %[[REST:.+]] = arith.remui %[[LIMIT]], %c8 : index
// CHECK: %[[END:.+]] = arith.subi %[[LIMIT]], %[[REST]] : index
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[END]] step %c8
// CHECK-COUNT-16: vector.fma
// CHECK: scf.index_switch %[[REST]]
// CHECK-NEXT: case 1 {
// CHECK-COUNT-2: vector.fma
// CHECK-NOT: vector.fma
// CHECK: vector.load %{{.+}}[%[[END]], %{{.+}}]
// CHECK: case 2 {
// CHECK-COUNT-4: vector.fma
// CHECK-NOT: vector.fma
// CHECK: case 3 {
// CHECK-COUNT-6: vector.fma
// CHECK: case 7 {
// CHECK-COUNT-14: vector.fma
// CHECK-NOT: vector.fma
// CHECK: default {
// CHECK-NEXT: }
// CHECK-NOT: linalg.generic
#none = affine_map<(d0, d1, d2) -> ()>
func.func @row_limited(%a: memref<10x16xf32>, %b: memref<16x32xf32>, %count: memref<i64>, %c: memref<10x32xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #none, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b, %count : memref<10x16xf32>, memref<16x32xf32>, memref<i64>) outs(%c : memref<10x32xf32>) attrs = {kiln.row_limit} {
  ^bb0(%in: f32, %in_0: f32, %n: i64, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// Key limits. On the columns (attention's scores, 16 rows x 64 keys): the
// 32-column blocks stop at the largest key end of the tile's rows.
// CHECK-LABEL: func.func @key_columns
// CHECK-SAME: %[[ENDS:[^:]+]]: memref<16xi64>
// CHECK: %[[SEEN:.+]] = scf.for %[[R:.+]] = %{{.+}} to %c16 step %c1 iter_args(%[[BEST:.+]] = %{{.+}}) -> (index) {
// CHECK: memref.load %[[ENDS]][%[[R]]] : memref<16xi64>
// CHECK: arith.maxsi %[[BEST]], %{{.+}} : index
// CHECK: %[[END:.+]] = arith.minsi %[[SEEN]], %{{.+}} : index
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[END]] step %c32
#k_rows = affine_map<(d0, d1, d2) -> (d0)>
func.func @key_columns(%a: memref<16x16xf32>, %b: memref<16x64xf32>, %ends: memref<16xi64>, %c: memref<16x64xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #k_rows, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b, %ends : memref<16x16xf32>, memref<16x64xf32>, memref<16xi64>) outs(%c : memref<16x64xf32>) attrs = {kiln.key_end = array<i64: 1>} {
  ^bb0(%in: f32, %in_0: f32, %e: i64, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// On the depth (the product with V): the depth loop of the 8-row block at
// m0 stops at the largest key end of rows m0 .. m0 + 7.
// CHECK-LABEL: func.func @key_depth
// CHECK-SAME: %[[ENDS:[^:]+]]: memref<16xi64>
// CHECK: scf.for %[[M0:.+]] = %{{.+}} to %{{.+}} step %c8
// CHECK: %[[LAST:.+]] = arith.addi %[[M0]], %c8 : index
// CHECK: %[[SEEN:.+]] = scf.for %[[R:.+]] = %[[M0]] to %[[LAST]] step %c1 iter_args(
// CHECK: memref.load %[[ENDS]][%[[R]]] : memref<16xi64>
// CHECK: %[[KEND:.+]] = arith.minsi %[[SEEN]], %{{.+}} : index
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[KEND]] step %{{.+}} iter_args(
func.func @key_depth(%p: memref<16x64xf32>, %v: memref<64x32xf32>, %ends: memref<16xi64>, %o: memref<16x32xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #k_rows, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %v, %ends : memref<16x64xf32>, memref<64x32xf32>, memref<16xi64>) outs(%o : memref<16x32xf32>) attrs = {kiln.key_end = array<i64: 2>} {
  ^bb0(%in: f32, %in_0: f32, %e: i64, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// Under kiln.prefetch_ahead = 64 (the product with V of a decoding step's
// flash loop, values read in place) each depth step prefetches the row 64
// keys on, the next key block's, though the 64-deep block has no next
// slab, and the row 32 keys on (kNearPrefetchRows: back from L3): two
// lines each per 32-column block.
// CHECK-LABEL: func.func @values_ahead
// CHECK-SAME: %[[V:[^:]+]]: memref<64x32xf32>
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %c1 iter_args(
// CHECK: %[[AHEAD:.+]] = arith.addi %[[K]], %c64 : index
// CHECK: memref.prefetch %[[V]][%[[AHEAD]], %[[N0:.+]]], read, locality<2>, data
// CHECK: memref.prefetch %[[V]][%[[AHEAD]], %{{.+}}], read, locality<2>, data
// CHECK: %[[NEAR:.+]] = arith.addi %[[K]], %c32 : index
// CHECK: memref.prefetch %[[V]][%[[NEAR]], %[[N0]]], read, locality<2>, data
// CHECK: memref.prefetch %[[V]][%[[NEAR]], %{{.+}}], read, locality<2>, data
// CHECK-NOT: memref.prefetch %[[V]]
// CHECK: scf.yield
// prefetch-rows=0 turns these off too (NOPREFETCH, above).
func.func @values_ahead(%p: memref<8x64xf32>, %v: memref<64x32xf32>, %o: memref<8x32xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %v : memref<8x64xf32>, memref<64x32xf32>) outs(%o : memref<8x32xf32>) attrs = {kiln.prefetch_ahead = 64 : i64} {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// With fewer rows than mr (4 against 8: a single query under GQA) the
// product with V takes column blocks of 64 (4 x 4 accumulators, as many
// as 8 x 2): two passes over the values of heads of 128 instead of four.
// CHECK-LABEL: func.func @values_ahead_few_rows
// CHECK-SAME: %[[V:[^:]+]]: memref<64x128xf32>
// CHECK: scf.for %[[N0:.+]] = %{{.+}} to %c128{{(_[0-9]+)?}} step %c64
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %c1 iter_args(
// CHECK-COUNT-4: vector.load %[[V]][%[[K]], %{{.+}}] : memref<64x128xf32>, vector<16xf32>
// CHECK-COUNT-16: vector.fma
// CHECK: scf.yield
func.func @values_ahead_few_rows(%p: memref<4x64xf32>, %v: memref<64x128xf32>, %o: memref<4x128xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %v : memref<4x64xf32>, memref<64x128xf32>) outs(%o : memref<4x128xf32>) attrs = {kiln.prefetch_ahead = 64 : i64} {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
