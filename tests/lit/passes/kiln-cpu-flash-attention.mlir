// RUN: kiln-compile %s --emit=llvm -o /dev/null --mlir-print-ir-after=kiln-cpu-flash-attention 2>&1 | FileCheck %s

// A causal attention over 512 keys is one dispatch; in each workgroup's
// kernel the scores, mask, softmax and product with V become a loop over
// key blocks of 256 that stops at the largest key end of the tile's rows
// and masks only the blocks that some row of the tile does not fully see:
// the scores GEMM and the mask on a [rows x 256] block, the online softmax
// row by row in vector code, the product with V into a contiguous
// accumulator, and the division by the row sums into the output at the end.
// CHECK: IR Dump After CpuFlashAttentionPass
// CHECK-LABEL: func.func @flash_dispatch_3(
// CHECK-NOT: kiln.attention_part
// CHECK: %[[ACC:.+]] = memref.alloc() : memref<1x1x32x32xf32>
// Each row's key end relative to the block bounds both GEMMs (a key
// limit), so the block on the diagonal is computed only as far as the
// tile's rows see.
// CHECK: %[[BLOCKENDS:.+]] = memref.alloc() : memref<1x32xi64>
// CHECK: scf.for %[[KB:.+]] = %{{.+}} to %[[END:.+]] step %c256
// CHECK: linalg.generic {{.*}} outs(%[[BLOCKENDS]] :
// CHECK: %[[SHIFT:.+]] = arith.index_cast %[[KB]] : index to i64
// CHECK: arith.subi %{{.+}}, %[[SHIFT]] : i64
// The keys are in panels of 32 (kP[b, hk, p, d, l]): the block is eight.
// CHECK: %[[PANEL:.+]] = arith.divui %[[KB]], %c32
// CHECK: %[[KT:.+]] = memref.subview %{{.+}}[0, 0, %[[PANEL]], 0, 0] [1, 1, 8, 32, 32]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.+}}, %[[KT]], %[[BLOCKENDS]] : {{.*}}kiln.key_end = array<i64: 3>
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
// The row max is one compare and select per chunk, its lanes free of NaN;
// the exponentials are the softmax's own polynomial, 2^n built from bits.
// CHECK: arith.cmpf ogt, %{{.+}} : vector<16xf32>
// CHECK: vector.reduction <maxnumf>, %{{.+}} fastmath<nnan>
// CHECK-NOT: math.exp %{{.+}} : vector<16xf32>
// CHECK: math.fma
// CHECK: arith.shli %{{.+}} : vector<16xi32>
// CHECK: vector.reduction <add>
// CHECK: %[[V:.+]] = memref.subview %{{.+}}[0, 0, 0, %[[KB]], 0] [1, 1, 1, 256, 32]
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[V]], %[[BLOCKENDS]] : {{.*}}) outs(%[[ACC]] : {{.*}}kiln.key_end = array<i64: 4>
// CHECK: arith.divf %{{.+}} : vector<16xf32>
// CHECK-NOT: kiln.attention_part
// CHECK-LABEL: func.func @flash_dispatch_4(
func.func @flash(%x: tensor<1x512x64xf32>) -> tensor<1x512x64xf32> {
  %a = kiln.attention %x, %x, %x {heads = 2 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<1x512x64xf32>, tensor<1x512x64xf32>, tensor<1x512x64xf32>) -> tensor<1x512x64xf32>
  return %a : tensor<1x512x64xf32>
}
