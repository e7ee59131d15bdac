// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-contractions{mr=6 nr=16 kc=256 vector-width=8 prefetch-rows=256 pack-lhs=true}, canonicalize, cse))" | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-contractions{mr=6 nr=16 kc=256 vector-width=8 prefetch-rows=256 pack-lhs=false}, canonicalize, cse))" | FileCheck %s --check-prefix=UNPACKED
// UNPACKED-NOT: memref.alloc

// With pack-lhs, the depth blocks go outermost: each copies the tile's rows
// of A into micro-panels (16 rows: blocks of 6, 6 and 4, one
// 6 * 256 + 6 * 256 + 4 * 256 = 4096-element buffer), then runs every
// 16-column block over every row block, whose broadcasts read the copy.
// The next column block's slab of B (the next panel) is prefetched.
// CHECK-LABEL: func.func @packed
// CHECK-SAME: (%[[A:.+]]: memref<16x600xf32>, %[[B:.+]]: memref<8x600x16xf32>, %[[C:.+]]: memref<16x128xf32>)
// CHECK: %[[P:.+]] = memref.alloc() : memref<4096xf32>
// Depth block [0, 256): the copy, 6-row blocks then the 4-row one.
// CHECK: scf.for %[[M:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK-COUNT-6: memref.store %{{.+}}, %[[P]][%{{.+}}]
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK-COUNT-4: memref.store %{{.+}}, %[[P]][%{{.+}}]
// CHECK: scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK: %[[NEXT:.+]] = arith.addi %[[N]], %c16 : index
// CHECK: %[[NEXTPANEL:.+]] = arith.divui %[[NEXT]], %c16 : index
// CHECK: %{{.+}}:12 = scf.for %[[KK:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(
// CHECK: vector.load %[[B]][%{{.+}}, %[[KK]], %{{.+}}] : memref<8x600x16xf32>, vector<8xf32>
// CHECK: memref.prefetch %[[B]][%[[NEXTPANEL]], %[[KK]], %{{.+}}]
// CHECK-NOT: memref.load %[[A]]
// CHECK-COUNT-6: memref.load %[[P]]
// CHECK: scf.yield
// CHECK: %{{.+}}:8 = scf.for
// CHECK-COUNT-4: memref.load %[[P]]
// The next depth block copies A's columns from 256 on, and the last one
// the remaining 88.
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK: %[[K1:.+]] = arith.addi %{{.+}}, %c256 : index
// CHECK: memref.load %[[A]][%{{.+}}, %[[K1]]]
// CHECK: %{{.+}}:12 = scf.for %{{.+}} = %c256 to %c512
// CHECK: %{{.+}}:12 = scf.for %{{.+}} = %c512 to %c600
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#p = affine_map<(d0, d1, d2) -> (d1 floordiv 16, d2, d1 mod 16)>
#y = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @packed(%a: memref<16x600xf32>, %b: memref<8x600x16xf32>, %c: memref<16x128xf32>) {
  linalg.generic {indexing_maps = [#x, #p, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x600xf32>, memref<8x600x16xf32>) outs(%c : memref<16x128xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// Fewer than 128 columns: A is read in place.
// CHECK-LABEL: func.func @narrow
// CHECK-NOT: memref.alloc
// CHECK: memref.load %{{.+}}[%{{.+}}, %{{.+}}] : memref<16x600xf32>
func.func @narrow(%a: memref<16x600xf32>, %b: memref<4x600x16xf32>, %c: memref<16x64xf32>) {
  linalg.generic {indexing_maps = [#x, #p, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x600xf32>, memref<4x600x16xf32>) outs(%c : memref<16x64xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
