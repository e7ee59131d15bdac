// The Intel AVX-512 blocking (compiler/cpu/CpuTarget.h): 14 x 32 register
// blocks (28 accumulators), depth blocks of 1024, and micro-kernels whose
// depth loop takes 4 rows of B per iteration, the rest of a block (here
// the 6 rows past 1024 of a depth of 1030, then 2 of them past the 4 that
// one unrolled step takes) in single steps.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-contractions{mr=14 kc=1024 unroll=4}, canonicalize, cse))" | FileCheck %s

// Options the kernel cannot honour are an error.
// RUN: not kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-contractions{unroll=0}))" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: kiln-cpu-lower-contractions: needs mr, kc, unroll >= 1, nr a multiple of vector-width and prefetch-rows >= 0; got mr=8 nr=32 kc=512 unroll=0 vector-width=16 prefetch-rows=512

// CHECK-LABEL: func.func @unrolled
// The first depth block, 1024 rows in steps of 4: 4 x (2 loads of B, 14
// broadcasts of A, 28 FMAs) per iteration.
// CHECK:         scf.for %[[K:.+]] = %c0 to %c1024 step %c4 iter_args(
// CHECK:           vector.load %{{.+}}[%{{.+}}, %[[K]], %{{.+}}] : memref<2x1030x32xf32>, vector<16xf32>
// CHECK-COUNT-28:  vector.fma
// CHECK:           %[[K1:.+]] = arith.addi %[[K]], %c1
// CHECK:           vector.load %{{.+}}[%{{.+}}, %[[K1]], %{{.+}}] : memref<2x1030x32xf32>, vector<16xf32>
// CHECK-COUNT-28:  vector.fma
// CHECK:           %[[K2:.+]] = arith.addi %[[K]], %c2
// CHECK-COUNT-28:  vector.fma
// CHECK:           %[[K3:.+]] = arith.addi %[[K]], %c3
// CHECK-COUNT-28:  vector.fma
// CHECK-NOT:       vector.fma
// CHECK:           scf.yield
// The last 6 rows: one unrolled step (a loop of one iteration, which
// canonicalization inlines), then 2 single ones.
// CHECK-NOT:     scf.for
// CHECK-COUNT-112: vector.fma
// CHECK-NOT:     vector.fma
// CHECK:         scf.for %{{.+}} = %c1028 to %c1030 step %c1
// CHECK-COUNT-28:  vector.fma
// CHECK-NOT:       vector.fma
// CHECK:           scf.yield
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#p = affine_map<(d0, d1, d2) -> (d1 floordiv 32, d2, d1 mod 32)>
#y = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @unrolled(%a: memref<14x1030xf32>, %b: memref<2x1030x32xf32>, %c: memref<14x64xf32>) {
  linalg.generic {indexing_maps = [#x, #p, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<14x1030xf32>, memref<2x1030x32xf32>) outs(%c : memref<14x64xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// A depth of 3, less than one unrolled step: single steps only.
// CHECK-LABEL: func.func @shallow
// CHECK:         scf.for %{{.+}} = %c0 to %c3 step %c1
// CHECK-NOT:     step %c4
#xs = affine_map<(d0, d1, d2) -> (d0, d2)>
#ws = affine_map<(d0, d1, d2) -> (d2, d1)>
func.func @shallow(%a: memref<14x3xf32>, %b: memref<3x32xf32>, %c: memref<14x32xf32>) {
  linalg.generic {indexing_maps = [#xs, #ws, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<14x3xf32>, memref<3x32xf32>) outs(%c : memref<14x32xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// With spread-prefetches, the row blocks of a tile of at least 4 x 14 rows
// share the prefetches of the next slab: one row per unrolled iteration
// (its two 64-byte lines), k + 1024 + (m0 / 14) mod 4, where each block
// prefetched all four rows before.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-contractions{mr=14 kc=1024 unroll=4 prefetch-rows=1024 spread-prefetches=true}, canonicalize, cse))" | FileCheck %s --check-prefix=SPREAD
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-contractions{mr=14 kc=1024 unroll=4 prefetch-rows=1024}, canonicalize, cse))" | FileCheck %s --check-prefix=EVERY
// CHECK-LABEL: func.func @shared_prefetches
// SPREAD-LABEL: func.func @shared_prefetches
// SPREAD:         scf.for %[[M0:.+]] = %c0 to %c56 step %c14 {
// SPREAD:           %[[ORDINAL:.+]] = arith.divui %[[M0]], %c14
// SPREAD:           %[[ROT:.+]] = arith.remui %[[ORDINAL]], %c4
// SPREAD:           scf.for %[[K:.+]] = %c0 to %c1024 step %c4
// SPREAD:             %[[AHEAD:.+]] = arith.addi %[[K]], %c1024
// SPREAD:             %[[ROW:.+]] = arith.addi %[[AHEAD]], %[[ROT]]
// SPREAD:             memref.prefetch %{{.+}}[%{{.+}}, %[[ROW]], %{{.+}}], read
// SPREAD:             memref.prefetch %{{.+}}[%{{.+}}, %[[ROW]], %{{.+}}], read
// SPREAD-NOT:         memref.prefetch
// SPREAD:             scf.yield
// EVERY-LABEL: func.func @shared_prefetches
// EVERY-NOT:     arith.remui
// EVERY:         scf.for %{{.+}} = %c0 to %c1024 step %c4
// EVERY-COUNT-8:   memref.prefetch
// EVERY-NOT:       memref.prefetch
// EVERY:           scf.yield
#ps = affine_map<(d0, d1, d2) -> (d1 floordiv 32, d2, d1 mod 32)>
func.func @shared_prefetches(%a: memref<56x1024xf32>, %b: memref<2x1024x32xf32>, %c: memref<56x64xf32>) {
  linalg.generic {indexing_maps = [#x, #ps, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<56x1024xf32>, memref<2x1024x32xf32>) outs(%c : memref<56x64xf32>) {
  ^bb0(%in: f32, %in_0: f32, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
