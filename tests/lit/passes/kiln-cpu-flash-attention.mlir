// RUN: kiln-compile %s --emit=llvm -o /dev/null --mlir-print-ir-after=kiln-cpu-flash-attention 2>&1 | FileCheck %s

// A causal attention over 512 keys is one dispatch; in each workgroup's
// kernel the scores, mask, softmax and product with V become a loop over
// key blocks of 256 that stops at the largest key end of the tile's rows
// and masks only the blocks that some row of the tile does not fully see:
// the scores GEMM and the mask on a [rows x 256] block, the online softmax
// row by row in vector code, the product with V into a contiguous
// accumulator, and the division by the row sums into the output at the end.
// CHECK: IR Dump After CpuFlashAttentionPass
// CHECK-LABEL: func.func @flash_dispatch_2(
// CHECK-NOT: kiln.attention_part
// CHECK: %[[ACC:.+]] = memref.alloc() : memref<1x1x32x32xf32>
// CHECK: scf.for %[[KB:.+]] = %{{.+}} to %[[END:.+]] step %c256
// CHECK: %[[KT:.+]] = memref.subview %{{.+}}[0, 0, 0, %[[KB]]] [1, 1, 32, 256]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.+}}, %[[KT]] :
// A block below the smallest key end of the tile's rows is fully visible:
// only the scaling of the scores, no mask.
// CHECK: %[[BLOCKEND:.+]] = arith.addi %[[KB]], %c256{{.*}} : index
// CHECK: %[[FULL:.+]] = arith.cmpi sle, %[[BLOCKEND]], %{{.+}} : index
// CHECK: scf.if %[[FULL]] {
// CHECK: arith.mulf %{{.+}} : vector<16xf32>
// CHECK: } else {
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK: linalg.index 3
// CHECK: arith.addi %{{.+}}, %[[KB]] : index
// CHECK: vector.reduction <maximumf>
// CHECK: math.exp %{{.+}} : vector<16xf32>
// CHECK: vector.reduction <add>
// CHECK: %[[V:.+]] = memref.subview %{{.+}}[0, %[[KB]], 0, 0] [1, 256, 1, 32]
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[V]] : {{.*}}) outs(%[[ACC]] :
// CHECK: arith.divf %{{.+}} : vector<16xf32>
// CHECK-NOT: kiln.attention_part
// CHECK-LABEL: func.func @flash_dispatch_3(
func.func @flash(%x: tensor<1x512x64xf32>) -> tensor<1x512x64xf32> {
  %a = kiln.attention %x, %x, %x {heads = 2 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<1x512x64xf32>, tensor<1x512x64xf32>, tensor<1x512x64xf32>) -> tensor<1x512x64xf32>
  return %a : tensor<1x512x64xf32>
}
