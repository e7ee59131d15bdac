// RUN: kiln-compile %s --keys-in-place-rows=128 --emit=llvm -o /dev/null --mlir-print-ir-after=kiln-cpu-flash-attention 2>&1 | FileCheck %s

// Row spans [lo, hi) per query row, at run time: the loop runs from the
// block holding the smallest begin of the tile's rows to the block holding
// their largest end, skips the blocks no row's range meets, and a block is
// fully visible when it starts at or after every row's begin and ends at
// or before every row's end.
// CHECK-LABEL: func.func @flash_spans_dispatch_2(
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.+}}, %{{.+}} : memref<1x32xi64, {{.*}}>, memref<1x32xi64, {{.*}}>) outs(
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: arith.minsi
// CHECK-NEXT: arith.maxsi
// CHECK-NEXT: arith.minsi
// CHECK-NEXT: arith.maxsi
// CHECK: %[[FIRST:.+]] = arith.divui %{{.+}}, %c256{{.*}} : index
// CHECK: %[[START:.+]] = arith.muli %[[FIRST]], %c256{{.*}} : index
// CHECK: scf.for %[[KB:.+]] = %[[START]] to %{{.+}} step %c256
// A block that no row's range meets (a gap between the rows' ranges) is
// skipped too: the work of the block runs under a test that some row's
// begin is below the block's end and its end above the block's start.
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction"]} ins(%{{.+}}, %{{.+}} : memref<1x32xi64, {{.*}}>, memref<1x32xi64, {{.*}}>) outs(%[[MEETS:.+]] : memref<1xi64>)
// CHECK: %[[STOP:.+]] = arith.addi %[[KB]], %c256{{.*}} : index
// CHECK: %[[STOP64:.+]] = arith.index_cast %[[STOP]] : index to i64
// CHECK: arith.cmpi sgt
// CHECK: arith.cmpi slt, %{{.+}}, %[[STOP64]] : i64
// CHECK: %[[FLAG:.+]] = memref.load %[[MEETS]]
// CHECK: %[[ANY:.+]] = arith.cmpi ne, %[[FLAG]]
// CHECK: scf.if %[[ANY]] {
// CHECK: %[[BLOCKEND:.+]] = arith.addi %[[KB]], %c256{{.*}} : index
// CHECK: %[[BELOW:.+]] = arith.cmpi sle, %[[BLOCKEND]], %{{.+}} : index
// CHECK: %[[ABOVE:.+]] = arith.cmpi sge, %[[KB]], %{{.+}} : index
// CHECK: %[[FULL:.+]] = arith.andi %[[BELOW]], %[[ABOVE]] : i1
// CHECK: scf.if %[[FULL]] {
// CHECK: } else {
// CHECK: %[[J:.+]] = arith.addi %{{.+}}, %[[KB]] : index
// CHECK: arith.cmpi slt, %[[J]]
// CHECK: arith.cmpi sge, %[[J]]
func.func @flash_spans(%x: tensor<1x128x64xf32>, %kv: tensor<1x512x64xf32>, %spans: tensor<1x128x2xi32>) -> tensor<1x128x64xf32> {
  %a = kiln.attention %x, %kv, %kv mask(%spans) {heads = 2 : i64, mask = #kiln.mask_kind<row_spans>}
      : (tensor<1x128x64xf32>, tensor<1x512x64xf32>, tensor<1x512x64xf32>, tensor<1x128x2xi32>) -> tensor<1x128x64xf32>
  return %a : tensor<1x128x64xf32>
}
