// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-dot-products))" | FileCheck %s --implicit-check-not=vector.transpose
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-dot-products{vector-width=8}))" | FileCheck %s --check-prefix=AVX2
// A vector width that is not a power of two is refused, naming the pass.
// RUN: not kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-dot-products{vector-width=3}))" 2>&1 | FileCheck %s --check-prefix=WIDTH
// WIDTH: error: kiln-cpu-lower-dot-products: vector-width must be a power of two >= 2; got 3

// Attention's scores over keys read in place: per key, the block of four
// query rows loads each 16-lane chunk of the key row once and carries one
// accumulator per row through the two chunks of dh = 32; the four sums
// share one tree of shuffles (two vectors into one of [2 rows x 8 lanes],
// twice, then that one onto itself down to [4 rows x 1 lane]). The key
// loop stops at the largest key end of the rows.
// CHECK-LABEL: func.func @scores
// CHECK-SAME: (%[[Q:[^:]+]]: memref<1x4x1x32xf32>, %[[K:[^:]+]]: memref<1x40x1x32xf32>, %[[ENDS:[^:]+]]: memref<1x4xi64>, %[[S:[^:]+]]: memref<1x1x4x40xf32>)
// CHECK-NOT: linalg.generic
// CHECK: %[[LAST:.+]] = scf.for {{.*}} iter_args
// CHECK: memref.load %[[ENDS]]
// CHECK: arith.maxsi
// CHECK: %[[END:.+]] = arith.minsi %{{.+}}, %[[LAST]]
// CHECK: scf.for %[[N:.+]] = %{{.+}} to %[[END]] step
// CHECK: %[[ACC:.+]]:4 = scf.for %[[D:.+]] = %{{.+}} to %{{.+}} step %c16{{.*}} iter_args(
// CHECK: %[[KV:.+]] = vector.load %[[K]][%{{.+}}, %[[N]], %{{.+}}, %[[D]]] : memref<1x40x1x32xf32>, vector<16xf32>
// CHECK-COUNT-4: vector.fma %{{.+}}, %[[KV]], %{{.+}} : vector<16xf32>
// CHECK: vector.shuffle %[[ACC]]#0, %[[ACC]]#1 [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]
// CHECK: vector.shuffle %[[ACC]]#0, %[[ACC]]#1 [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31]
// CHECK: vector.shuffle %{{.+}}, %{{.+}} [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27]
// CHECK: %[[SUMS:.+]] = arith.addf %{{.+}}, %{{.+}} : vector<4xf32>
// CHECK: %[[S0:.+]] = vector.extract %[[SUMS]][0] : f32 from vector<4xf32>
// CHECK: %[[OLD:.+]] = memref.load %[[S]][%{{.+}}, %{{.+}}, %{{.+}}, %[[N]]]
// CHECK: %[[NEW:.+]] = arith.addf %[[OLD]], %[[S0]] : f32
// CHECK: memref.store %[[NEW]], %[[S]][%{{.+}}, %{{.+}}, %{{.+}}, %[[N]]]
// AVX2-LABEL: func.func @scores
// AVX2: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<8xf32>
#q = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d4)>
#k = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
#ends = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2)>
#s = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func @scores(%q: memref<1x4x1x32xf32>, %k: memref<1x40x1x32xf32>, %ends: memref<1x4xi64>, %s: memref<1x1x4x40xf32>) {
  linalg.generic {indexing_maps = [#q, #k, #ends, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k, %ends : memref<1x4x1x32xf32>, memref<1x40x1x32xf32>, memref<1x4xi64>) outs(%s : memref<1x1x4x40xf32>) attrs = {kiln.key_end = array<i64: 3>} {
  ^bb0(%a: f32, %b: f32, %e: i64, %acc: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// Eleven rows are blocks of 8, 2 and 1; a depth of 20 is one whole chunk
// and a masked one of 4 lanes. One row's sum folds its vector onto itself.
// CHECK-LABEL: func.func @odd_sizes
// CHECK: scf.for
// CHECK-COUNT-8: vector.fma
// CHECK: vector.maskedload {{.*}} : memref<3x20xf32>, vector<16xi1>, vector<16xf32> into vector<16xf32>
// CHECK-COUNT-8: vector.fma
// CHECK: arith.addf {{.*}} : vector<8xf32>
// CHECK-COUNT-2: vector.fma
// CHECK: arith.addf {{.*}} : vector<2xf32>
// CHECK: vector.fma
// CHECK: arith.addf {{.*}} : vector<1xf32>
#a2 = affine_map<(d0, d1, d2) -> (d0, d2)>
#b2 = affine_map<(d0, d1, d2) -> (d1, d2)>
#c2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @odd_sizes(%a: memref<11x20xf32>, %b: memref<3x20xf32>, %c: memref<11x3xf32>) {
  linalg.generic {indexing_maps = [#a2, #b2, #c2], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<11x20xf32>, memref<3x20xf32>) outs(%c : memref<11x3xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %0 = arith.mulf %x, %y : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// B read as B[k, n] is a GEMM (kiln-cpu-lower-contractions): left alone.
// CHECK-LABEL: func.func @not_transposed
// CHECK: linalg.generic
#bk = affine_map<(d0, d1, d2) -> (d2, d1)>
func.func @not_transposed(%a: memref<4x20xf32>, %b: memref<20x3xf32>, %c: memref<4x3xf32>) {
  linalg.generic {indexing_maps = [#a2, #bk, #c2], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x20xf32>, memref<20x3xf32>) outs(%c : memref<4x3xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %0 = arith.mulf %x, %y : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// Under kiln.prefetch_ahead = 40 (a decoding step's flash loop) each key
// step first prefetches into L2 row n + 40 of the keys, a line (16 lanes)
// at a time over dh = 32: the next key block's row, past this view; then
// row n + 32 (kNearPrefetchRows), which comes back from L3.
// CHECK-LABEL: func.func @scores_ahead
// CHECK-SAME: %[[K:[^:]+]]: memref<1x40x1x32xf32>
// CHECK: scf.for %[[N:.+]] = %{{.+}} to %{{.+}} step
// CHECK: %[[AHEAD:.+]] = arith.addi %[[N]], %c40{{(_[0-9]+)?}} : index
// CHECK: memref.prefetch %[[K]][%{{.+}}, %[[AHEAD]], %{{.+}}, %c0{{(_[0-9]+)?}}], read, locality<2>, data
// CHECK: memref.prefetch %[[K]][%{{.+}}, %[[AHEAD]], %{{.+}}, %c16{{(_[0-9]+)?}}], read, locality<2>, data
// CHECK: %[[NEAR:.+]] = arith.addi %[[N]], %c32{{(_[0-9]+)?}} : index
// CHECK: memref.prefetch %[[K]][%{{.+}}, %[[NEAR]], %{{.+}}, %c0{{(_[0-9]+)?}}], read, locality<2>, data
// CHECK: memref.prefetch %[[K]][%{{.+}}, %[[NEAR]], %{{.+}}, %c16{{(_[0-9]+)?}}], read, locality<2>, data
// CHECK-NOT: memref.prefetch
// CHECK: scf.for {{.*}} iter_args(
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @scores_ahead(%q: memref<1x4x1x32xf32>, %k: memref<1x40x1x32xf32>, %s: memref<1x1x4x40xf32>) {
  linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : memref<1x4x1x32xf32>, memref<1x40x1x32xf32>) outs(%s : memref<1x1x4x40xf32>) attrs = {kiln.prefetch_ahead = 40 : i64} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// From two whole blocks of 16 rows (16-lane vectors) the scores of those
// blocks take the keys as the broadcast operand, in blocks of 16 keys: A^T
// goes to a stack buffer (two blocks of 16 rows over dh = 24: a whole
// 16 x 16 transpose and one of 8 lanes), each key block is first copied to
// a contiguous buffer of its own (slot 0 of two: rows of 24 are not whole
// vectors, see @pipelined_keys), and for each row block one accumulator
// per key carries the rows' scores along dh, a vector of A^T times a
// broadcast key element per step. The accumulators' transpose (the
// shuffle network: no vector.transpose is left) adds rows of 16 scores
// into C. Rows 32-35 take dot products for those keys, and every row for
// keys 32-39 (after the whole key blocks). With 8 lanes (AVX2) everything
// takes dot products.
// CHECK-LABEL: func.func @key_blocks
// CHECK-SAME: (%[[A:[^:]+]]: memref<36x24xf32>, %[[B:[^:]+]]: memref<40x24xf32>, %[[C:[^:]+]]: memref<36x40xf32>)
// CHECK: %[[AT:.+]] = memref.alloca() {alignment = 64 : i64} : memref<2x24x16xf32>
// CHECK: %[[KEYS:.+]] = memref.alloca() {alignment = 64 : i64} : memref<2x16x24xf32>
// CHECK: scf.for %[[BLOCK:.+]] = %{{.+}} to %c2{{(_[0-9]+)?}} step
// CHECK-COUNT-16: vector.load %[[A]]
// CHECK: vector.store %{{.+}}, %[[AT]][%[[BLOCK]], %{{.+}}, %{{.+}}] : memref<2x24x16xf32>, vector<16xf32>
// CHECK-COUNT-16: vector.maskedload %[[A]][%{{.+}}, %c16{{(_[0-9]+)?}}]
// CHECK-COUNT-8: vector.store %{{.+}}, %[[AT]][%[[BLOCK]], %{{.+}}, %{{.+}}] : memref<2x24x16xf32>, vector<16xf32>
// CHECK-NOT: vector.store %{{.+}}, %[[AT]]
// CHECK: %[[WHOLE:.+]] = arith.muli %{{.+}}, %c16{{(_[0-9]+)?}} : index
// CHECK: scf.for %[[N0:.+]] = %{{.+}} to %[[WHOLE]] step %c16
// CHECK: %[[KEY0:.+]] = arith.addi %[[N0]], %c0{{(_[0-9]+)?}} : index
// CHECK: %[[ROW0:.+]] = vector.load %[[B]][%[[KEY0]], %c0{{(_[0-9]+)?}}] : memref<40x24xf32>, vector<16xf32>
// CHECK: vector.store %[[ROW0]], %[[KEYS]][%c0{{(_[0-9]+)?}}, %c0{{(_[0-9]+)?}}, %c0{{(_[0-9]+)?}}]
// CHECK: vector.maskedstore %[[KEYS]][%c0{{(_[0-9]+)?}}, %c0{{(_[0-9]+)?}}, %c16{{(_[0-9]+)?}}]
// CHECK: scf.for %[[RB:.+]] = %{{.+}} to %c2{{(_[0-9]+)?}} step
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %c24{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}} iter_args(
// CHECK: %[[QT:.+]] = vector.load %[[AT]][%[[RB]], %[[K]], %{{.+}}] : memref<2x24x16xf32>, vector<16xf32>
// CHECK: %[[X:.+]] = memref.load %[[KEYS]][%c0{{(_[0-9]+)?}}, %c0{{(_[0-9]+)?}}, %[[K]]] : memref<2x16x24xf32>
// CHECK: %[[BX:.+]] = vector.broadcast %[[X]] : f32 to vector<16xf32>
// CHECK: vector.fma %[[BX]], %[[QT]], %{{.+}} : vector<16xf32>
// CHECK-COUNT-15: vector.fma %{{.+}}, %[[QT]], %{{.+}} : vector<16xf32>
// CHECK: vector.shuffle
// CHECK-COUNT-16: vector.store %{{.+}}, %[[C]][%{{.+}}, %[[N0]]] : memref<36x40xf32>, vector<16xf32>
// CHECK-NOT: vector.store %{{.+}}, %[[C]]
// CHECK: scf.for %[[N:.+]] = %{{.+}} to %[[WHOLE]] step
// CHECK-NOT: memref.store %{{.+}}, %[[C]][%c31
// CHECK: memref.store %{{.+}}, %[[C]][%c32{{(_[0-9]+)?}}, %[[N]]]
// CHECK: memref.store %{{.+}}, %[[C]][%c35{{(_[0-9]+)?}}, %[[N]]]
// CHECK: scf.for %[[NT:.+]] = %[[WHOLE]] to %c40{{(_[0-9]+)?}} step
// CHECK: memref.store %{{.+}}, %[[C]][%c0{{(_[0-9]+)?}}, %[[NT]]]
// CHECK: memref.store %{{.+}}, %[[C]][%c35{{(_[0-9]+)?}}, %[[NT]]]
// AVX2-LABEL: func.func @key_blocks
// AVX2-NOT: memref.alloca
// AVX2: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<8xf32>
#a3 = affine_map<(d0, d1, d2) -> (d0, d2)>
#b3 = affine_map<(d0, d1, d2) -> (d1, d2)>
#c3 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @key_blocks(%a: memref<36x24xf32>, %b: memref<40x24xf32>, %c: memref<36x40xf32>) {
  linalg.generic {indexing_maps = [#a3, #b3, #c3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<36x24xf32>, memref<40x24xf32>) outs(%c : memref<36x40xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %0 = arith.mulf %x, %y : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// One whole block of 16 rows over rows of a part vector (24) keeps the
// dot products: with each key block's copy a loop of its own, the copies
// and transposes would cost what the shuffles do. Over rows of whole
// vectors (32) the copy rides in the FMAs and one block takes key blocks.
// CHECK-LABEL: func.func @one_row_block
// CHECK-NOT: memref.alloca
// CHECK: arith.addf {{.*}} : vector<8xf32>
// CHECK-LABEL: func.func @one_row_block_whole_vectors
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<1x32x16xf32>
// CHECK: memref.alloca() {alignment = 64 : i64} : memref<2x16x32xf32>
// CHECK: memref.load %{{.+}}[%{{.+}}, %c0{{(_[0-9]+)?}}, %{{.+}}] : memref<2x16x32xf32>
// CHECK: vector.fma %{{.+}}, %{{.+}}, %{{.+}} : vector<16xf32>
func.func @one_row_block(%a: memref<16x24xf32>, %b: memref<40x24xf32>, %c: memref<16x40xf32>) {
  linalg.generic {indexing_maps = [#a3, #b3, #c3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x24xf32>, memref<40x24xf32>) outs(%c : memref<16x40xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %0 = arith.mulf %x, %y : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
func.func @one_row_block_whole_vectors(%a: memref<16x32xf32>, %b: memref<40x32xf32>, %c: memref<16x40xf32>) {
  linalg.generic {indexing_maps = [#a3, #b3, #c3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<16x32xf32>, memref<40x32xf32>) outs(%c : memref<16x40xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %0 = arith.mulf %x, %y : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// Attention's form (4-D views, a key limit, kiln.prefetch_ahead) with key
// blocks, and two contractions in one function: they share one set of
// stack buffers sized for the larger of each (3 row blocks, dh = 40). The
// key blocks stop at the whole blocks below the largest key end of the
// rows, each first prefetches its 16 key rows 50 ahead (the next flash
// block), and the keys from there to the end take dot products.
// CHECK-LABEL: func.func @shared_buffers
// CHECK-SAME: (%[[Q:[^:]+]]: memref<1x32x1x40xf32>, %[[K:[^:]+]]: memref<1x50x1x40xf32>, %[[ENDS:[^:]+]]: memref<1x32xi64>, %[[S:[^:]+]]: memref<1x1x32x50xf32>,
// CHECK: %[[QT:.+]] = memref.alloca() {alignment = 64 : i64} : memref<3x40x16xf32>
// CHECK: %[[KEYS:.+]] = memref.alloca() {alignment = 64 : i64} : memref<2x16x40xf32>
// CHECK-NOT: memref.alloca
// CHECK: %[[LAST:.+]] = scf.for {{.*}} iter_args
// CHECK: memref.load %[[ENDS]]
// CHECK: %[[END:.+]] = arith.minsi %{{.+}}, %[[LAST]]
// CHECK: scf.for %{{.+}} = %{{.+}} to %c2{{(_[0-9]+)?}} step
// CHECK: vector.store %{{.+}}, %[[QT]]
// CHECK: %[[WHOLE:.+]] = arith.divui %[[END]], %c16
// CHECK: %[[BLOCKS:.+]] = arith.muli %[[WHOLE]], %c16
// CHECK: scf.for %[[N0:.+]] = %{{.+}} to %[[BLOCKS]] step %c16
// CHECK: %[[AHEAD:.+]] = arith.addi %[[N0]], %c50{{(_[0-9]+)?}} : index
// CHECK: memref.prefetch %[[K]][%{{.+}}, %[[AHEAD]], %{{.+}}, %c0{{(_[0-9]+)?}}], read, locality<2>, data
// CHECK: vector.load %[[K]][%{{.+}}, %{{.+}}, %{{.+}}, %c0{{(_[0-9]+)?}}]
// CHECK: vector.store %{{.+}}, %[[KEYS]]
// CHECK: vector.load %[[QT]]
// CHECK: vector.store %{{.+}}, %[[S]][%{{.+}}, %{{.+}}, %{{.+}}, %[[N0]]] : memref<1x1x32x50xf32>, vector<16xf32>
// CHECK: scf.for %{{.+}} = %[[BLOCKS]] to %[[END]] step
// CHECK: scf.for %{{.+}} = %{{.+}} to %c3{{(_[0-9]+)?}} step
// CHECK: vector.store %{{.+}}, %[[QT]]
// CHECK: memref.load %[[KEYS]]
#ends4 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2)>
func.func @shared_buffers(%q: memref<1x32x1x40xf32>, %k: memref<1x50x1x40xf32>, %ends: memref<1x32xi64>, %s: memref<1x1x32x50xf32>,
                          %q2: memref<1x48x1x24xf32>, %k2: memref<1x16x1x24xf32>, %s2: memref<1x1x48x16xf32>) {
  linalg.generic {indexing_maps = [#q, #k, #ends4, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k, %ends : memref<1x32x1x40xf32>, memref<1x50x1x40xf32>, memref<1x32xi64>) outs(%s : memref<1x1x32x50xf32>) attrs = {kiln.key_end = array<i64: 3>, kiln.prefetch_ahead = 50 : i64} {
  ^bb0(%a: f32, %b: f32, %e: i64, %acc: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q2, %k2 : memref<1x48x1x24xf32>, memref<1x16x1x24xf32>) outs(%s2 : memref<1x1x48x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// Rows of whole vectors (dh = 32) pipeline the key copies: the first key
// block goes to slot 0 of the keys' buffer before the loop, and the first
// row block of each key block but the last, besides its FMAs, copies one
// vector of the next block's keys per step of dh into the other slot. It
// also prefetches into L2 that vector's line of the rows 48 ahead
// (kiln.prefetch_ahead, the next flash block) and 32 ahead (the block
// after the next one), as the last block's first row block does without
// the copy.
// The second row block reads the same slot and copies nothing.
// CHECK-LABEL: func.func @pipelined_keys
// CHECK-SAME: (%[[A:[^:]+]]: memref<32x32xf32>, %[[B:[^:]+]]: memref<48x32xf32>, %[[C:[^:]+]]: memref<32x48xf32>)
// CHECK: %[[AT:.+]] = memref.alloca() {alignment = 64 : i64} : memref<2x32x16xf32>
// CHECK: %[[KEYS:.+]] = memref.alloca() {alignment = 64 : i64} : memref<2x16x32xf32>
// CHECK: %[[BLOCKS:.+]] = arith.divui %c48{{(_[0-9]+)?}}, %c16{{(_[0-9]+)?}} : index
// CHECK: %[[WHOLE:.+]] = arith.muli %[[BLOCKS]], %c16{{(_[0-9]+)?}} : index
// CHECK: %[[ANY:.+]] = arith.cmpi ugt, %[[WHOLE]], %c0{{(_[0-9]+)?}}
// CHECK: scf.if %[[ANY]] {
// CHECK-COUNT-32: vector.store %{{.+}}, %[[KEYS]][%c0{{(_[0-9]+)?}}, %{{.+}}, %{{.+}}] : memref<2x16x32xf32>, vector<16xf32>
// CHECK-NEXT: }
// CHECK: scf.for %[[N0:.+]] = %{{.+}} to %[[WHOLE]] step %c16
// CHECK: %[[BLOCK:.+]] = arith.divui %[[N0]], %c16
// CHECK: %[[SLOT:.+]] = arith.remui %[[BLOCK]], %c2
// CHECK: %[[FOLLOWING:.+]] = arith.addi %[[N0]], %c16
// CHECK: %[[MORE:.+]] = arith.cmpi ult, %[[FOLLOWING]], %[[WHOLE]]
// CHECK: %[[AHEAD:.+]] = arith.addi %[[N0]], %c48
// CHECK: %[[NEAR:.+]] = arith.addi %[[N0]], %c32
// CHECK: scf.if %[[MORE]] {
// CHECK: %[[OTHER:.+]] = arith.subi %c1{{(_[0-9]+)?}}, %[[SLOT]]
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %c32{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}} iter_args(
// CHECK: %[[J:.+]] = arith.divui %[[K]], %c2
// CHECK: %[[CHUNK:.+]] = arith.remui %[[K]], %c2
// CHECK: %[[LANE:.+]] = arith.muli %[[CHUNK]], %c16
// CHECK: %[[KEY:.+]] = arith.addi %[[FOLLOWING]], %[[J]]
// CHECK: %[[ROW:.+]] = vector.load %[[B]][%[[KEY]], %[[LANE]]]
// CHECK: vector.store %[[ROW]], %[[KEYS]][%[[OTHER]], %[[J]], %[[LANE]]]
// CHECK: %[[FAR_ROW:.+]] = arith.addi %[[AHEAD]], %[[J]]
// CHECK: memref.prefetch %[[B]][%[[FAR_ROW]], %[[LANE]]], read, locality<2>, data
// CHECK: %[[NEAR_ROW:.+]] = arith.addi %[[NEAR]], %[[J]]
// CHECK: memref.prefetch %[[B]][%[[NEAR_ROW]], %[[LANE]]], read, locality<2>, data
// CHECK: vector.load %[[AT]][%c0{{(_[0-9]+)?}}, %[[K]], %c0{{(_[0-9]+)?}}]
// CHECK: memref.load %[[KEYS]][%[[SLOT]], %c0{{(_[0-9]+)?}}, %[[K]]]
// CHECK-COUNT-16: vector.fma
// CHECK: scf.yield
// CHECK-COUNT-16: vector.store %{{.+}}, %[[C]][%{{.+}}, %[[N0]]]
// CHECK: } else {
// CHECK: scf.for %[[KL:.+]] = %{{.+}} to %c32{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}} iter_args(
// CHECK-NOT: vector.store %{{.+}}, %[[KEYS]]
// CHECK: memref.prefetch %[[B]]
// CHECK: memref.prefetch %[[B]]
// CHECK: memref.load %[[KEYS]][%[[SLOT]], %c0{{(_[0-9]+)?}}, %[[KL]]]
// CHECK: scf.yield
// CHECK-COUNT-16: vector.store %{{.+}}, %[[C]][%{{.+}}, %[[N0]]]
// CHECK-NEXT: }
// CHECK: scf.for %[[RB:.+]] = %c1{{(_[0-9]+)?}} to %c2{{(_[0-9]+)?}} step
// CHECK: scf.for %[[K2:.+]] = %{{.+}} to %c32{{(_[0-9]+)?}} step %c1{{(_[0-9]+)?}} iter_args(
// CHECK-NOT: vector.store %{{.+}}, %[[KEYS]]
// CHECK-NOT: memref.prefetch
// CHECK: vector.load %[[AT]][%[[RB]], %[[K2]], %c0{{(_[0-9]+)?}}]
// CHECK: memref.load %[[KEYS]][%[[SLOT]], %c0{{(_[0-9]+)?}}, %[[K2]]]
// CHECK: scf.yield
func.func @pipelined_keys(%a: memref<32x32xf32>, %b: memref<48x32xf32>, %c: memref<32x48xf32>) {
  linalg.generic {indexing_maps = [#a3, #b3, #c3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<32x32xf32>, memref<48x32xf32>) outs(%c : memref<32x48xf32>) attrs = {kiln.prefetch_ahead = 48 : i64} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %0 = arith.mulf %x, %y : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// Fewer than 16 keys (a flash loop's tail block) make no key block: dot
// products, and no stack buffers.
// CHECK-LABEL: func.func @few_keys
// CHECK-NOT: memref.alloca
// CHECK: arith.addf {{.*}} : vector<8xf32>
func.func @few_keys(%a: memref<32x24xf32>, %b: memref<8x24xf32>, %c: memref<32x8xf32>) {
  linalg.generic {indexing_maps = [#a3, #b3, #c3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<32x24xf32>, memref<8x24xf32>) outs(%c : memref<32x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %0 = arith.mulf %x, %y : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
