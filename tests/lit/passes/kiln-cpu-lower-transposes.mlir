// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-transposes, canonicalize, cse))" | FileCheck %s

// 40 x 24 -> 24 x 40 (x = d0 < 24, y = d1 < 40): one whole block of x with
// two whole blocks of y in a loop, then the y edge (8 rows, masked stores),
// then the x edge (8 lanes, masked loads, 8 stores per block).
// CHECK-LABEL: func.func @matrix
// CHECK-SAME: (%[[IN:.+]]: memref<40x24xf32>, %[[OUT:.+]]: memref<24x40xf32>)
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[Y0:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK-COUNT-16: vector.load %[[IN]]
// CHECK-NOT: vector.transpose
// CHECK: vector.shuffle
// CHECK-COUNT-16: vector.store %{{.+}}, %[[OUT]]
// CHECK: }
// CHECK-COUNT-8: vector.load %[[IN]]
// CHECK: %[[EIGHT:.+]] = vector.constant_mask [8] : vector<16xi1>
// CHECK-COUNT-16: vector.maskedstore %[[OUT]][%{{.+}}, %{{.+}}], %[[EIGHT]]
// CHECK: scf.for
// CHECK-COUNT-16: vector.maskedload %[[IN]][%{{.+}}, %{{.+}}], %[[EIGHT]]
// CHECK-COUNT-8: vector.store %{{.+}}, %[[OUT]]
// CHECK-NOT: vector.store
// CHECK-COUNT-8: vector.maskedload %[[IN]]
// CHECK-COUNT-8: vector.maskedstore %[[OUT]]
// CHECK-NOT: vector.maskedstore
// CHECK: return
#yx = affine_map<(d0, d1) -> (d1, d0)>
#xy = affine_map<(d0, d1) -> (d0, d1)>
func.func @matrix(%in: memref<40x24xf32>, %out: memref<24x40xf32>) {
  linalg.generic {indexing_maps = [#yx, #xy], iterator_types = ["parallel", "parallel"]}
      ins(%in : memref<40x24xf32>) outs(%out : memref<24x40xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  return
}

// Attention's keys in a workgroup tile, [1, 257, 1, 32] -> [1, 1, 32, 257],
// loops in the input's order: x = d3 (d), y = d2 (j); strided views.
// CHECK-LABEL: func.func @keys
// CHECK-NOT: linalg.generic
// CHECK: vector.load %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] : memref<1x257x1x32xf32, strided<[197376, 768, 64, 1], offset: ?>>, vector<16xf32>
// CHECK: vector.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] : memref<1x1x32x257xf32, strided<[197376, 16448, 257, 1], offset: ?>>, vector<16xf32>
#kin = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
#kout = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3, d2)>
func.func @keys(%in: memref<1x257x1x32xf32, strided<[197376, 768, 64, 1], offset: ?>>,
                %out: memref<1x1x32x257xf32, strided<[197376, 16448, 257, 1], offset: ?>>) {
  linalg.generic {indexing_maps = [#kin, #kout], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%in : memref<1x257x1x32xf32, strided<[197376, 768, 64, 1], offset: ?>>)
      outs(%out : memref<1x1x32x257xf32, strided<[197376, 16448, 257, 1], offset: ?>>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  return
}

// Not transposes: the innermost dim stays innermost (a head merge), the
// body computes, or the element type is not f32.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-3: linalg.generic
#hin = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
#hout = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @kept(%a: memref<4x2x16xf32>, %b: memref<2x4x16xf32>, %c: memref<16x8xf32>, %d: memref<8x16xf32>, %e: memref<16x8xi32>, %f: memref<8x16xi32>) {
  linalg.generic {indexing_maps = [#hin, #hout], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%a : memref<4x2x16xf32>) outs(%b : memref<2x4x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  }
  linalg.generic {indexing_maps = [#yx, #xy], iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<16x8xf32>) outs(%d : memref<8x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#yx, #xy], iterator_types = ["parallel", "parallel"]}
      ins(%e : memref<16x8xi32>) outs(%f : memref<8x16xi32>) {
  ^bb0(%x: i32, %y: i32):
    linalg.yield %x : i32
  }
  return
}
