// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-limit-causal-loops))" -split-input-file -verify-diagnostics | FileCheck %s

// An elementwise op under a causal limit over 8 rows and 64 keys runs its
// key loop over [0, clamp(8 + base, 0, 64)) only: every operand indexed by
// the key loop becomes a view with that many keys.
// CHECK-LABEL: func.func @probabilities
// CHECK-SAME: (%[[S:.+]]: memref<8x64xf32>, %[[M:.+]]: memref<8xf32>, %[[BASE:.+]]: memref<i64>, %[[P:.+]]: memref<8x64xf32>)
// CHECK: %[[B:.+]] = memref.load %[[BASE]][] : memref<i64>
// CHECK: %[[BI:.+]] = arith.index_cast %[[B]] : i64 to index
// CHECK: %[[END:.+]] = arith.addi %[[BI]], %{{.+}} : index
// CHECK: %[[MIN:.+]] = arith.minsi %[[END]], %{{.+}} : index
// CHECK: %[[N:.+]] = arith.maxsi %{{.+}}, %[[MIN]] : index
// CHECK: %[[SV:.+]] = memref.subview %[[S]][0, 0] [8, %[[N]]] [1, 1]
// CHECK: %[[PV:.+]] = memref.subview %[[P]][0, 0] [8, %[[N]]] [1, 1]
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[SV]], %[[M]], %[[BASE]] :
// CHECK-SAME: outs(%[[PV]] :
// CHECK-NOT: kiln.causal
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#none = affine_map<(d0, d1) -> ()>
func.func @probabilities(%s: memref<8x64xf32>, %m: memref<8xf32>, %base: memref<i64>, %p: memref<8x64xf32>) {
  linalg.generic {indexing_maps = [#id, #row, #none, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %m, %base : memref<8x64xf32>, memref<8xf32>, memref<i64>) outs(%p : memref<8x64xf32>)
      attrs = {kiln.causal = array<i64: 0, 1>, kiln.op = "kiln.attention"} {
  ^bb0(%x: f32, %mx: f32, %b: i64, %out: f32):
    %0 = arith.subf %x, %mx : f32
    %1 = math.exp %0 : f32
    linalg.yield %1 : f32
  }
  return
}

// -----

// A reduction left with a causal limit (kiln-cpu-lower-row-reductions did
// not take it) cannot be computed whole: its inputs past the diagonal were
// never written.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#none = affine_map<(d0, d1) -> ()>
func.func @leftover(%s: memref<8x64xf32>, %base: memref<i64>, %m: memref<8xf32>) {
  // expected-error @+1 {{no lowering for this op under a causal limit}}
  linalg.generic {indexing_maps = [#id, #none, #row], iterator_types = ["parallel", "reduction"]}
      ins(%s, %base : memref<8x64xf32>, memref<i64>) outs(%m : memref<8xf32>)
      attrs = {kiln.causal = array<i64: 0, 1>} {
  ^bb0(%x: f32, %b: i64, %acc: f32):
    %0 = arith.maximumf %x, %acc : f32
    linalg.yield %0 : f32
  }
  return
}
