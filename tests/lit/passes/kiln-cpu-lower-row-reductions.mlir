// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-lower-row-reductions))" | FileCheck %s

// A row max: the accumulator is loaded once per row, carried through the
// reduced loop and stored once; the combiner may be reassociated.
// CHECK-LABEL: func.func @row_max
// CHECK-SAME: (%[[X:.+]]: memref<4x64xf32>, %[[M:.+]]: memref<4xf32>)
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %{{.+}} {
// CHECK: %[[INIT:.+]] = memref.load %[[M]][%[[I]]] : memref<4xf32>
// CHECK: %[[R:.+]] = scf.for %[[J:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %[[INIT]]) -> (f32) {
// CHECK: %[[IN:.+]] = memref.load %[[X]][%[[I]], %[[J]]] : memref<4x64xf32>
// CHECK: %[[NEXT:.+]] = arith.maximumf %[[IN]], %[[ACC]] fastmath<reassoc> : f32
// CHECK: scf.yield %[[NEXT]] : f32
// CHECK: memref.store %[[R]], %[[M]][%[[I]]] : memref<4xf32>
func.func @row_max(%x: memref<4x64xf32>, %m: memref<4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x64xf32>) outs(%m : memref<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.maximumf %in, %acc : f32
    linalg.yield %0 : f32
  }
  return
}

// A masked sum of exp(x - max) with a per-row operand and linalg.index:
// the index becomes the loop's, the body is cloned, only the combiner is
// marked.
// CHECK-LABEL: func.func @masked_sum
// CHECK-SAME: (%[[X:.+]]: memref<2x3x8xf32>, %[[MAX:.+]]: memref<2x3xf32>, %[[S:.+]]: memref<2x3xf32>)
// CHECK: scf.for %[[B:.+]] = {{.+}} {
// CHECK: scf.for %[[I:.+]] = {{.+}} {
// CHECK: scf.for %[[J:.+]] = {{.+}} iter_args(%[[ACC:.+]] = %{{.+}}) -> (f32) {
// CHECK-DAG: memref.load %[[X]][%[[B]], %[[I]], %[[J]]]
// CHECK-DAG: memref.load %[[MAX]][%[[B]], %[[I]]]
// CHECK: arith.subf %{{.+}}, %{{.+}} : f32
// CHECK: math.exp %{{.+}} : f32
// CHECK: arith.cmpi sle, %[[J]], %[[I]] : index
// CHECK: arith.select
// CHECK: arith.addf %[[ACC]], %{{.+}} fastmath<reassoc> : f32
func.func @masked_sum(%x: memref<2x3x8xf32>, %max: memref<2x3xf32>, %s: memref<2x3xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>,
                                   affine_map<(d0, d1, d2) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %max : memref<2x3x8xf32>, memref<2x3xf32>) outs(%s : memref<2x3xf32>) {
  ^bb0(%in: f32, %m: f32, %acc: f32):
    %i = linalg.index 1 : index
    %j = linalg.index 2 : index
    %d = arith.subf %in, %m : f32
    %e = math.exp %d : f32
    %visible = arith.cmpi sle, %j, %i : index
    %v = arith.select %visible, %e, %zero : f32
    %0 = arith.addf %acc, %v : f32
    linalg.yield %0 : f32
  }
  return
}

// Elementwise ops and GEMMs are left alone.
// CHECK-LABEL: func.func @not_reductions
// CHECK: linalg.generic
func.func @not_reductions(%x: memref<4x64xf32>, %y: memref<4x64xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x64xf32>) outs(%y : memref<4x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.negf %in : f32
    linalg.yield %0 : f32
  }
  return
}

// Under a key limit the reduction of each row stops at the row's key end.
// CHECK-LABEL: func.func @key_max
// CHECK-SAME: %[[ENDS:[^:]+]]: memref<4xi64>
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step
// CHECK: %[[E:.+]] = memref.load %[[ENDS]][%[[I]]] : memref<4xi64>
// CHECK: %[[EI:.+]] = arith.index_cast %[[E]] : i64 to index
// CHECK: %[[END:.+]] = arith.minsi %{{.+}}, %[[EI]] : index
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[END]] step %{{.+}} iter_args(
#cm_id = affine_map<(d0, d1) -> (d0, d1)>
#cm_row = affine_map<(d0, d1) -> (d0)>
func.func @key_max(%s: memref<4x64xf32>, %ends: memref<4xi64>, %m: memref<4xf32>) {
  linalg.generic {indexing_maps = [#cm_id, #cm_row, #cm_row], iterator_types = ["parallel", "reduction"]}
      ins(%s, %ends : memref<4x64xf32>, memref<4xi64>) outs(%m : memref<4xf32>) attrs = {kiln.key_end = array<i64: 1>} {
  ^bb0(%x: f32, %e: i64, %acc: f32):
    %0 = arith.maximumf %x, %acc : f32
    linalg.yield %0 : f32
  }
  return
}

// Attention's scores as dot products (keys read as k[b, j, hk, d], not a
// GEMM): the key loop is parallel, outside the reduction along d, and it
// stops at the key end of its row, which the loops outside it index.
// CHECK-LABEL: func.func @key_dots
// CHECK-SAME: %[[ENDS:[^:]+]]: memref<1x4xi64>
// CHECK: scf.for %[[B:.+]] = %{{.+}} to %{{.+}} step
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step
// CHECK: %[[E:.+]] = memref.load %[[ENDS]][%[[B]], %[[I]]] : memref<1x4xi64>
// CHECK: %[[EI:.+]] = arith.index_cast %[[E]] : i64 to index
// CHECK: %[[END:.+]] = arith.minsi %{{.+}}, %[[EI]] : index
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[END]] step %{{.+}} {
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(
// CHECK: arith.addf %{{.+}}, %{{.+}} fastmath<reassoc> : f32
#kd_q = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2, d1, d4)>
#kd_k = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
#kd_ends = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2)>
#kd_s = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3)>
func.func @key_dots(%q: memref<1x4x2x16xf32>, %k: memref<1x40x2x16xf32>, %ends: memref<1x4xi64>, %s: memref<1x2x4x40xf32>) {
  linalg.generic {indexing_maps = [#kd_q, #kd_k, #kd_ends, #kd_s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k, %ends : memref<1x4x2x16xf32>, memref<1x40x2x16xf32>, memref<1x4xi64>) outs(%s : memref<1x2x4x40xf32>) attrs = {kiln.key_end = array<i64: 3>} {
  ^bb0(%a: f32, %b: f32, %e: i64, %acc: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %acc, %0 : f32
    linalg.yield %1 : f32
  }
  return
}
