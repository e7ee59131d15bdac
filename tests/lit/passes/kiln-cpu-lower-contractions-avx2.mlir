// The AVX2 blocking (compiler/cpu/CpuTarget.h): 6 x 16 register blocks of
// vector<8xf32> reading panels of 32 columns 16 at a time, from lane
// n0 mod 32 of panel n0 floordiv 32, with one prefetch per 64-byte line.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-contractions{mr=6 nr=16 kc=256 vector-width=8 prefetch-rows=256}, canonicalize, cse))" | FileCheck %s

// Options the kernel cannot honour are an error, not wrong code (nr = 20
// would have covered 16 of every 20 columns).
// RUN: not kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-contractions{nr=20 vector-width=8}))" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: kiln-cpu-lower-contractions: needs mr, kc, unroll >= 1, nr a multiple of vector-width and prefetch-rows >= 0; got mr=8 nr=20 kc=512 unroll=1 vector-width=8 prefetch-rows=512

// CHECK-LABEL: func.func @half_panels
// CHECK:         scf.for %[[N0:.*]] = %c0 to %c64 step %c16 {
// CHECK:           %[[PANEL:.*]] = arith.divui %[[N0]], %c32
// CHECK:           %[[LANE:.*]] = arith.remui %[[N0]], %c32
// CHECK:           scf.for %[[M0:.*]] = %c0 to %c12 step %c6 {
// CHECK:             scf.for %[[K:.*]] = %c0 to %c256 step %c1 {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK:               vector.load %arg1[%[[PANEL]], %[[K]], %[[LANE]]] : memref<2x1536x32xf32>, vector<8xf32>
// CHECK:               %[[LANE8:.*]] = arith.addi %[[LANE]], %c8
// CHECK:               vector.load %arg1[%[[PANEL]], %[[K]], %[[LANE8]]] : memref<2x1536x32xf32>, vector<8xf32>
// CHECK:               memref.prefetch %arg1[%[[PANEL]], %{{.*}}, %[[LANE]]]
// CHECK-NOT:           memref.prefetch
// CHECK-COUNT-12:      vector.fma
// CHECK:               scf.yield
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#p = affine_map<(d0, d1, d2) -> (d1 floordiv 32, d2, d1 mod 32)>
#y = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @half_panels(%a: memref<16x1536xf32>, %b: memref<2x1536x32xf32>, %c: memref<16x64xf32>) {
  linalg.generic {indexing_maps = [#x, #p, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x1536xf32>, memref<2x1536x32xf32>) outs(%c : memref<16x64xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
