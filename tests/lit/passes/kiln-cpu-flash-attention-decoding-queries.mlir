// RUN: kiln-compile %s --emit=llvm -o /dev/null --mlir-print-ir-after=kiln-cpu-flash-attention 2>&1 | FileCheck %s

// Without GQA a head's query rows are H dh floats apart in q[b, i, h, d]
// (all on one set of the L1 cache): before the key loop the tile's rows are
// copied into a contiguous buffer, which the scores read.
// CHECK-LABEL: func.func @strided_queries_dispatch_1(
// CHECK: %[[Q:.+]] = memref.subview %arg0[0, 0, %{{.+}}, 0] [1, 2, 1, 64] [1, 1, 1, 1] : memref<1x2x4x64xf32> to memref<1x2x1x64xf32, strided<[512, 256, 64, 1], offset: ?>>
// CHECK: %[[ROWS:.+]] = memref.alloc() : memref<1x2x1x64xf32>
// CHECK: linalg.generic {{.*}} ins(%[[Q]] : {{.*}}) outs(%[[ROWS]] : memref<1x2x1x64xf32>)
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c256{{.*}} {
// CHECK: linalg.generic {{.*}} ins(%[[ROWS]], %{{.+}} : memref<1x2x1x64xf32>, {{.*}}kiln.prefetch_ahead = 256 : i64
func.func @strided_queries(%q: tensor<1x2x256xf32>, %kv: tensor<1x1024x256xf32>) -> tensor<1x2x256xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 4 : i64}
      : (tensor<1x2x256xf32>, tensor<1x1024x256xf32>, tensor<1x1024x256xf32>) -> tensor<1x2x256xf32>
  return %a : tensor<1x2x256xf32>
}
