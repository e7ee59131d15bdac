// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-limit-key-loops))" -split-input-file -verify-diagnostics | FileCheck %s

// An elementwise op with a key limit over 8 rows and 64 keys runs its key
// loop over [0, min(largest end of its rows, 64)) only: every operand
// indexed by the key loop becomes a view with that many keys.
// CHECK-LABEL: func.func @probabilities
// CHECK-SAME: (%[[S:.+]]: memref<8x64xf32>, %[[M:.+]]: memref<8xf32>, %[[ENDS:.+]]: memref<8xi64>, %[[P:.+]]: memref<8x64xf32>)
// CHECK: %[[MAX:.+]] = scf.for %[[R:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[BEST:.+]] = %{{.+}}) -> (index) {
// CHECK: %[[E:.+]] = memref.load %[[ENDS]][%[[R]]] : memref<8xi64>
// CHECK: %[[EI:.+]] = arith.index_cast %[[E]] : i64 to index
// CHECK: %[[NEXT:.+]] = arith.maxsi %[[BEST]], %[[EI]] : index
// CHECK: scf.yield %[[NEXT]] : index
// CHECK: %[[N:.+]] = arith.minsi %[[MAX]], %{{.+}} : index
// CHECK: %[[SV:.+]] = memref.subview %[[S]][0, 0] [8, %[[N]]] [1, 1]
// CHECK: %[[PV:.+]] = memref.subview %[[P]][0, 0] [8, %[[N]]] [1, 1]
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[SV]], %[[M]], %[[ENDS]] :
// CHECK-SAME: outs(%[[PV]] :
// CHECK-NOT: kiln.key_end
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @probabilities(%s: memref<8x64xf32>, %m: memref<8xf32>, %ends: memref<8xi64>, %p: memref<8x64xf32>) {
  linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %m, %ends : memref<8x64xf32>, memref<8xf32>, memref<8xi64>) outs(%p : memref<8x64xf32>)
      attrs = {kiln.key_end = array<i64: 1>, kiln.op = "kiln.attention"} {
  ^bb0(%x: f32, %mx: f32, %e: i64, %out: f32):
    %0 = arith.subf %x, %mx : f32
    %1 = math.exp %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A reduction left with a key limit (kiln-cpu-lower-row-reductions did not
// take it) cannot be computed whole: its inputs past the key ends were
// never written.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @leftover(%s: memref<8x64xf32>, %ends: memref<8xi64>, %m: memref<8xf32>) {
  // expected-error @+1 {{no lowering for this op under a key limit}}
  linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%s, %ends : memref<8x64xf32>, memref<8xi64>) outs(%m : memref<8xf32>)
      attrs = {kiln.key_end = array<i64: 1>} {
  ^bb0(%x: f32, %e: i64, %acc: f32):
    %0 = arith.maximumf %x, %acc : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// Key ends indexed by the key loop itself are not key ends.
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @malformed(%s: memref<8x64xf32>, %ends: memref<8x64xi64>, %p: memref<8x64xf32>) {
  // expected-error @+1 {{no lowering for this op under a key limit}}
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %ends : memref<8x64xf32>, memref<8x64xi64>) outs(%p : memref<8x64xf32>)
      attrs = {kiln.key_end = array<i64: 1>} {
  ^bb0(%x: f32, %e: i64, %out: f32):
    linalg.yield %x : f32
  }
  return
}
