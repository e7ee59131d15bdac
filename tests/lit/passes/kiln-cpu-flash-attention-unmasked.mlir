// RUN: kiln-compile %s --emit=llvm -o /dev/null --mlir-print-ir-after=kiln-cpu-flash-attention 2>&1 | FileCheck %s

// Head dim 16 without a mask: the keys' transpose applies the scale (1/4, a
// power of two), nothing is left for a mask op, and the chain without one
// is still one dispatch whose kernel runs the online softmax on the scores
// as the GEMM leaves them.
// CHECK-LABEL: func.func @unmasked_dispatch_1(
// CHECK-NOT: kiln.attention_part
// CHECK: scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c256
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-NOT: linalg.generic
// CHECK: vector.reduction <maxnumf>
// CHECK: vector.reduction <add>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]}
// CHECK-NOT: kiln.attention_part
// CHECK-LABEL: func.func @unmasked_dispatch_2(
func.func @unmasked(%x: tensor<1x512x64xf32>) -> tensor<1x512x64xf32> {
  %a = kiln.attention %x, %x, %x {heads = 4 : i64}
      : (tensor<1x512x64xf32>, tensor<1x512x64xf32>, tensor<1x512x64xf32>) -> tensor<1x512x64xf32>
  return %a : tensor<1x512x64xf32>
}
