// RUN: kiln-compile %s --keys-in-place-rows=128 --emit=llvm -o /dev/null --mlir-print-ir-after=kiln-cpu-flash-attention 2>&1 | FileCheck %s
// Keys in panels are read by every row tile, not streamed once: no
// contraction prefetches the next key block (kiln.prefetch_ahead).
// RUN: kiln-compile %s --keys-in-place-rows=128 --emit=llvm -o /dev/null --mlir-print-ir-after=kiln-cpu-flash-attention 2>&1 | FileCheck %s --check-prefix=NOAHEAD
// NOAHEAD: IR Dump After CpuFlashAttentionPass
// NOAHEAD-NOT: kiln.prefetch_ahead

// Attention reads its keys in panels of 32 keys, [B, Hkv,
// ceil(Sk / 32), dh, 32]. With 512 keys the flash loop goes in blocks of
// 256 and each block's scores GEMM reads the 8 panels from kb / 32.
// CHECK: IR Dump After CpuFlashAttentionPass
// CHECK-LABEL: func.func @key_panels_dispatch_3(
// CHECK-SAME: %[[KP:[^:]+]]: memref<1x1x16x256x32xf32>
// CHECK: scf.for %[[KB:.+]] = %{{.+}} to %{{.+}} step %c256
// CHECK: %[[P:.+]] = arith.divui %[[KB]], %c32{{.*}} : index
// CHECK: %[[KT:.+]] = memref.subview %[[KP]][0, 0, %[[P]], 0, 0] [1, 1, 8, 256, 32]
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[KT]], %{{.+}} : {{.*}}kiln.key_end = array<i64: 3>
// CHECK: memref.subview %{{.+}}[0, 0, 0, %[[KB]], 0] [1, 1, 8, 256, 32]
//
// 257 keys are one block (the last of 9 panels holds one key): the loop
// runs at most once, so the accumulator is not filled before it nor
// rescaled in it; its fill sits right before the product with V, which
// starts its sums from zero instead.
// CHECK-LABEL: func.func @key_panels_dispatch_6(
// CHECK-SAME: %[[KP1:[^:]+]]: memref<1x1x9x256x32xf32>
// CHECK: %[[ACC:.+]] = memref.alloc() : memref<1x1x32x256xf32>
// CHECK-NOT: %[[ACC]][
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c257
// CHECK: memref.subview %[[KP1]][0, 0, %{{.+}}, 0, 0] [1, 1, 9, 256, 32]
// CHECK-NOT: %[[ACC]][
// CHECK: linalg.fill ins(%{{.+}} : f32) outs(%[[ACC]] :
// CHECK-NEXT: memref.subview
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[ACC]] :
func.func @key_panels(%q: tensor<1x128x256xf32>, %kv: tensor<1x512x256xf32>, %kv1: tensor<1x257x256xf32>)
    -> (tensor<1x128x256xf32>, tensor<1x128x256xf32>) {
  %a = kiln.attention %q, %kv, %kv {heads = 1 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<1x128x256xf32>, tensor<1x512x256xf32>, tensor<1x512x256xf32>) -> tensor<1x128x256xf32>
  %b = kiln.attention %q, %kv1, %kv1 {heads = 1 : i64}
      : (tensor<1x128x256xf32>, tensor<1x257x256xf32>, tensor<1x257x256xf32>) -> tensor<1x128x256xf32>
  return %a, %b : tensor<1x128x256xf32>, tensor<1x128x256xf32>
}
