// RUN: kiln-compile %s --emit=llvm -o /dev/null --mlir-print-ir-after=kiln-cpu-flash-attention 2>&1 | FileCheck %s

// A decoding step (one query, four heads on one kv head: four rows of the
// kv head, keys and values read in place): in each block of 256 keys both
// contractions, the scores over the keys as they are (k[b, j, hk, d]) and
// the product with V, carry kiln.prefetch_ahead = 256, so that their
// kernels prefetch the next block's rows as they go; the flash loop
// itself prefetches nothing.
// CHECK-LABEL: func.func @decoding_dispatch_1(
// CHECK-NOT: memref.prefetch
// CHECK: scf.for %[[KB:.+]] = %{{.+}} to %{{.+}} step %c256{{.*}} {
// CHECK-NOT: memref.prefetch
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.+}}, %{{.+}} : memref<1x4x1x64xf32>, memref<1x256x1x64xf32{{.*}}>) {{.*}}kiln.prefetch_ahead = 256 : i64
// CHECK-NOT: memref.prefetch
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} {{.*}}kiln.prefetch_ahead = 256 : i64
// CHECK-NOT: memref.prefetch
// CHECK-LABEL: func.func @decoding_dispatch_2(
func.func @decoding(%q: tensor<1x1x256xf32>, %kv: tensor<1x1024x64xf32>) -> tensor<1x1x256xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 4 : i64, kv_heads = 1 : i64}
      : (tensor<1x1x256xf32>, tensor<1x1024x64xf32>, tensor<1x1024x64xf32>) -> tensor<1x1x256xf32>
  return %a : tensor<1x1x256xf32>
}
