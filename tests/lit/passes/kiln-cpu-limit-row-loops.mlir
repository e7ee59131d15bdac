// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-limit-row-loops))" -split-input-file | FileCheck %s

// An elementwise op with a row limit over a 256 x 64 tile computes the rows
// below its count only, clamped to [0, 256]: every operand indexed by the
// row loop becomes a view with that many rows; the bias, read by columns,
// and the count stay whole.
// CHECK-LABEL: func.func @epilogue
// CHECK-SAME: (%[[G:.+]]: memref<256x64xf32>, %[[B:.+]]: memref<64xf32>, %[[N:.+]]: memref<i64>, %[[Y:.+]]: memref<256x64xf32, strided<[3584, 1]>>)
// CHECK: %[[C:.+]] = memref.load %[[N]][] : memref<i64>
// CHECK: %[[CI:.+]] = arith.index_cast %[[C]] : i64 to index
// CHECK: %[[C256:.+]] = arith.constant 256 : index
// CHECK: %[[LOW:.+]] = arith.minsi %[[CI]], %[[C256]] : index
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: %[[ROWS:.+]] = arith.maxsi %[[LOW]], %[[C0]] : index
// CHECK: %[[GV:.+]] = memref.subview %[[G]][0, 0] [%[[ROWS]], 64] [1, 1]
// CHECK: %[[YV:.+]] = memref.subview %[[Y]][0, 0] [%[[ROWS]], 64] [1, 1]
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[GV]], %[[B]], %[[N]] :
// CHECK-SAME: outs(%[[YV]] :
// CHECK-SAME: kiln.op = "kiln.silu"
// CHECK-NOT: kiln.row_limit
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#none = affine_map<(d0, d1) -> ()>
func.func @epilogue(%g: memref<256x64xf32>, %b: memref<64xf32>, %n: memref<i64>, %y: memref<256x64xf32, strided<[3584, 1]>>) {
  linalg.generic {indexing_maps = [#id, #col, #none, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g, %b, %n : memref<256x64xf32>, memref<64xf32>, memref<i64>) outs(%y : memref<256x64xf32, strided<[3584, 1]>>)
      attrs = {kiln.op = "kiln.silu", kiln.row_limit} {
  ^bb0(%x: f32, %bias: f32, %count: i64, %out: f32):
    %0 = arith.addf %x, %bias : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// The rows are the results' second-to-last dim, here loop d1 of a batched
// op; the batch stays whole.
// CHECK-LABEL: func.func @batched
// CHECK: arith.constant 32 : index
// CHECK: %[[ROWS:.+]] = arith.maxsi
// CHECK: memref.subview %{{.+}}[0, 0, 0] [2, %[[ROWS]], 16] [1, 1, 1]
// CHECK: memref.subview %{{.+}}[0, 0, 0] [2, %[[ROWS]], 16] [1, 1, 1]
// CHECK: linalg.generic
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#none3 = affine_map<(d0, d1, d2) -> ()>
func.func @batched(%x: memref<2x32x16xf32>, %n: memref<i64>, %y: memref<2x32x16xf32>) {
  linalg.generic {indexing_maps = [#id3, #none3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %n : memref<2x32x16xf32>, memref<i64>) outs(%y : memref<2x32x16xf32>)
      attrs = {kiln.row_limit} {
  ^bb0(%in: f32, %count: i64, %out: f32):
    %0 = math.exp %in : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// Left whole: an elementwise op without a row limit, and a row-limited
// reduction (no lowering stops it; its rows past the count may hold
// anything, so computing them is only slower).
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: memref.subview
// CHECK: linalg.generic
// CHECK-NOT: memref.subview
// CHECK: linalg.generic
// CHECK-SAME: kiln.row_limit
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#none = affine_map<(d0, d1) -> ()>
func.func @untouched(%x: memref<8x64xf32>, %n: memref<i64>, %y: memref<8x64xf32>, %s: memref<8xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<8x64xf32>) outs(%y : memref<8x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = math.exp %in : f32
    linalg.yield %0 : f32
  }
  linalg.generic {indexing_maps = [#id, #none, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %n : memref<8x64xf32>, memref<i64>) outs(%s : memref<8xf32>)
      attrs = {kiln.row_limit} {
  ^bb0(%in: f32, %count: i64, %acc: f32):
    %0 = arith.addf %in, %acc : f32
    linalg.yield %0 : f32
  }
  return
}
