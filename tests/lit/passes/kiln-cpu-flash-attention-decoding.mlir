// RUN: kiln-compile %s --emit=llvm -o /dev/null --mlir-print-ir-after=kiln-cpu-flash-attention 2>&1 | FileCheck %s

// A decoding step (one query, four heads on one kv head: four rows of the
// kv head, keys and values read in place): before each block of 256 keys
// the flash loop prefetches into L2 the next block's key rows and value
// rows, a cache line (16 lanes) at a time over dh = 64, up to the last key.
// The scores are a contraction over the keys as they are, k[b, j, hk, d].
// CHECK-LABEL: func.func @decoding_dispatch_1(
// CHECK: scf.for %[[KB:.+]] = %{{.+}} to %{{.+}} step %c256{{.*}} {
// CHECK: %[[FROM:.+]] = arith.addi %[[KB]], %c256{{.*}} : index
// CHECK: %[[TO:.+]] = arith.minsi %{{.+}}, %c1024{{.*}} : index
// CHECK: scf.for %{{.+}} = %[[FROM]] to %[[TO]] step %c1{{.*}} {
// CHECK-COUNT-8: memref.prefetch %{{.+}}[{{.*}}], read, locality<2>, data
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-LABEL: func.func @decoding_dispatch_2(
func.func @decoding(%q: tensor<1x1x256xf32>, %kv: tensor<1x1024x64xf32>) -> tensor<1x1x256xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 4 : i64, kv_heads = 1 : i64}
      : (tensor<1x1x256xf32>, tensor<1x1024x64xf32>, tensor<1x1024x64xf32>) -> tensor<1x1x256xf32>
  return %a : tensor<1x1x256xf32>
}
