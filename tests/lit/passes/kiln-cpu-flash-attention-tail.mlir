// RUN: kiln-compile %s --keys-in-place-rows=128 --emit=llvm -o /dev/null --mlir-print-ir-after=kiln-cpu-flash-attention 2>&1 | FileCheck %s

// 335 keys have no divisor that is whole key panels in [128, 256]: the
// flash loop runs over whole blocks of 256 (eight panels each) up to the
// tile's last key end, but not past 256, and the 79 keys after them are a
// last block of their own, run when some row's end lies past 256. The
// tail's scores GEMM reads the three panels from panel 8 (the last padded
// with zeros) into a [rows x 79] buffer, and its product with V reads
// values 256 to 334; both keep the key limit.
// CHECK: IR Dump After CpuFlashAttentionPass
// CHECK-LABEL: func.func @tail_dispatch_3(
// CHECK-SAME: %[[KP:[^:]+]]: memref<1x1x11x64x32xf32>
// CHECK-SAME: %[[VP:[^:]+]]: memref<1x1x2x335x32xf32>
// CHECK: %[[S:.+]] = memref.alloc() : memref<1x1x32x256xf32>
// CHECK: %[[TAIL:.+]] = memref.alloc() : memref<1x1x32x79xf32>
// CHECK: %[[ACC:.+]] = memref.alloc() : memref<1x1x32x64xf32>
// CHECK: %[[END:.+]] = arith.minui %{{.+}}, %c256{{.*}} : index
// CHECK: scf.for %[[KB:.+]] = %{{.+}} to %[[END]] step %c256
// CHECK: memref.subview %[[KP]][0, 0, %{{.+}}, 0, 0] [1, 1, 8, 64, 32]
// CHECK: outs(%[[S]] : memref<1x1x32x256xf32>) attrs =  {kiln.key_end = array<i64: 3>
// CHECK: memref.subview %[[VP]][0, 0, 0, %[[KB]], 0] [1, 1, 2, 256, 32]
// CHECK: outs(%[[ACC]] : memref<1x1x32x64xf32>) attrs =  {kiln.key_end = array<i64: 4>
// CHECK: %[[REACHED:.+]] = arith.cmpi ugt, %{{.+}}, %c256{{.*}} : index
// CHECK-NEXT: scf.if %[[REACHED]] {
// CHECK: %[[KT:.+]] = memref.subview %[[KP]][0, 0, 8, 0, 0] [1, 1, 3, 64, 32]
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[KT]], %{{.+}} : {{.*}} outs(%[[TAIL]] : memref<1x1x32x79xf32>) attrs =  {kiln.key_end = array<i64: 3>
// CHECK: vector.reduction <maxnumf>
// CHECK: %[[V:.+]] = memref.subview %[[VP]][0, 0, 0, %c256{{.*}}, 0] [1, 1, 2, 79, 32]
// CHECK: linalg.generic {{.*}} ins(%[[TAIL]], %[[V]], %{{.+}} : {{.*}} outs(%[[ACC]] : memref<1x1x32x64xf32>) attrs =  {kiln.key_end = array<i64: 4>
// CHECK: arith.divf %{{.+}} : vector<16xf32>
// CHECK-LABEL: func.func @tail_dispatch_4(
func.func @tail(%q: tensor<1x128x64xf32>, %kv: tensor<1x335x64xf32>, %spans: tensor<1x128x2xi32>) -> tensor<1x128x64xf32> {
  %a = kiln.attention %q, %kv, %kv mask(%spans) {heads = 1 : i64, mask = #kiln.mask_kind<row_spans>}
      : (tensor<1x128x64xf32>, tensor<1x335x64xf32>, tensor<1x335x64xf32>, tensor<1x128x2xi32>) -> tensor<1x128x64xf32>
  return %a : tensor<1x128x64xf32>
}
