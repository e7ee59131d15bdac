// RUN: kiln-opt %s --pass-pipeline="builtin.module(kiln-cpu-bufferize, canonicalize, cse)" | FileCheck %s

// A tile whose two row reductions share one zero fill (CSE merged them)
// and are both results of the dispatch, the second reading the first: a
// layer norm's sum and centred sum of squares, exported to another
// dispatch. Each reduction gets its own fill and accumulates straight into
// its own binding; before, both started in the first binding and a copy
// at the end wrote the first result over the second.
// CHECK-LABEL: func.func @shared_fill
// CHECK-SAME: %[[X:[^:]+]]: memref<7x17xf32>, %[[SUM:[^:]+]]: memref<7xf32>, %[[SQ:[^:]+]]: memref<7xf32>
// CHECK-DAG: linalg.fill ins(%{{.+}} : f32) outs(%[[SUM]] : memref<7xf32>)
// CHECK-DAG: linalg.fill ins(%{{.+}} : f32) outs(%[[SQ]] : memref<7xf32>)
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X]] : memref<7x17xf32>) outs(%[[SUM]] : memref<7xf32>)
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X]], %[[SUM]] : memref<7x17xf32>, memref<7xf32>) outs(%[[SQ]] : memref<7xf32>)
// CHECK-NOT: linalg.copy
// CHECK: return
#rows = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @shared_fill(%arg0: memref<7x17xf32>, %arg1: memref<7xf32>, %arg2: memref<7xf32>) {
  %inv = arith.constant 0.0588235296 : f32
  %zero = arith.constant 0.000000e+00 : f32
  %x = bufferization.to_tensor %arg0 restrict : memref<7x17xf32> to tensor<7x17xf32>
  %empty = tensor.empty() : tensor<7xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<7xf32>) -> tensor<7xf32>
  %sum = linalg.generic {indexing_maps = [#rows, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<7x17xf32>) outs(%fill : tensor<7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.addf %out, %in : f32
    linalg.yield %0 : f32
  } -> tensor<7xf32>
  %sq = linalg.generic {indexing_maps = [#rows, #row, #row], iterator_types = ["parallel", "reduction"]} ins(%x, %sum : tensor<7x17xf32>, tensor<7xf32>) outs(%fill : tensor<7xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %0 = arith.mulf %s, %inv : f32
    %1 = arith.subf %in, %0 : f32
    %2 = arith.mulf %1, %1 : f32
    %3 = arith.addf %out, %2 : f32
    linalg.yield %3 : f32
  } -> tensor<7xf32>
  %cast = memref.cast %arg1 : memref<7xf32> to memref<7xf32, strided<[1]>>
  bufferization.materialize_in_destination %sum in restrict writable %cast : (tensor<7xf32>, memref<7xf32, strided<[1]>>) -> ()
  %cast_1 = memref.cast %arg2 : memref<7xf32> to memref<7xf32, strided<[1]>>
  bufferization.materialize_in_destination %sq in restrict writable %cast_1 : (tensor<7xf32>, memref<7xf32, strided<[1]>>) -> ()
  return
}
