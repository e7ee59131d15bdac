// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-copies{vector-width=8}, canonicalize, cse))" -split-input-file | FileCheck %s
// RUN: not kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-copies{vector-width=0}))" -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: kiln-cpu-lower-copies: needs vector-width >= 1; got 0

// Packing B into panels of 16 (one panel, a tile of 32 rows): each row
// is a loop of 8-lane loads at column i * 16 + j and stores.
// CHECK-LABEL: func.func @pack_panel
// CHECK-SAME: (%[[IN:.+]]: memref<32x16xf32, strided<[1024, 1], offset: ?>>, %[[OUT:.+]]: memref<1x32x16xf32, strided<[16384, 16, 1], offset: ?>>)
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step
// CHECK: scf.for %[[J:.+]] = %c0 to %c16 step %c8
// CHECK: %[[V:.+]] = vector.load %[[IN]][%[[K]], %[[J]]] : {{.+}}, vector<8xf32>
// CHECK: vector.store %[[V]], %[[OUT]][%c0, %[[K]], %[[J]]]
func.func @pack_panel(%in: memref<32x16xf32, strided<[1024, 1], offset: ?>>,
                      %out: memref<1x32x16xf32, strided<[16384, 16, 1], offset: ?>>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d1, d0 * 16 + d2)>,
                                   affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%in : memref<32x16xf32, strided<[1024, 1], offset: ?>>)
      outs(%out : memref<1x32x16xf32, strided<[16384, 16, 1], offset: ?>>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// A slice copy with an offset along the innermost dim; 20 lanes are two
// whole vectors and a masked one of 4 lanes.
// CHECK: #[[SHIFT:.+]] = affine_map<(d0) -> (d0 + 3)>
// CHECK-LABEL: func.func @shifted
// CHECK: scf.for %[[R:.+]] = %{{.+}} to %{{.+}} step
// CHECK: scf.for %[[J:.+]] = %c0 to %c16 step %c8
// CHECK: %[[FROM:.+]] = affine.apply #[[SHIFT]](%[[J]])
// CHECK: vector.load %{{.+}}[%[[R]], %[[FROM]]] : memref<4x40xf32>, vector<8xf32>
// CHECK: vector.store %{{.+}}, %{{.+}}[%[[R]], %[[J]]] : memref<4x20xf32>, vector<8xf32>
// CHECK: %[[MASK:.+]] = vector.constant_mask [4] : vector<8xi1>
// CHECK: vector.maskedload %{{.+}}[%[[R]], %c19], %[[MASK]]
// CHECK: vector.maskedstore %{{.+}}[%[[R]], %c16], %[[MASK]]
func.func @shifted(%in: memref<4x40xf32>, %out: memref<4x20xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1 + 3)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%in : memref<4x40xf32>) outs(%out : memref<4x20xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// Not copies along the innermost dim: a reversal, a stride of 2, a
// transpose, and a copy that computes.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-4: linalg.generic
func.func @left_alone(%in: memref<8x16xf32>, %out: memref<8x8xf32>, %t: memref<16x8xf32>, %u: memref<8x16xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, 7 - d1)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%in : memref<8x16xf32>) outs(%out : memref<8x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1 * 2)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%in : memref<8x16xf32>) outs(%out : memref<8x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%in : memref<8x16xf32>) outs(%t : memref<16x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%in : memref<8x16xf32>) outs(%u : memref<8x16xf32>) {
  ^bb0(%a: f32, %b: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  return
}
