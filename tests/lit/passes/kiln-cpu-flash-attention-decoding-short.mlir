// RUN: kiln-compile %s --emit=llvm -o /dev/null --mlir-print-ir-after=kiln-cpu-flash-attention 2>&1 | FileCheck %s

// A decoding step over 200 keys reads them in place in one block: no block
// follows, so neither contraction prefetches ahead (kiln.prefetch_ahead).
// CHECK: IR Dump After CpuFlashAttentionPass
// CHECK-NOT: kiln.prefetch_ahead
func.func @short(%q: tensor<1x1x256xf32>, %kv: tensor<1x200x64xf32>) -> tensor<1x1x256xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 4 : i64, kv_heads = 1 : i64}
      : (tensor<1x1x256xf32>, tensor<1x200x64xf32>, tensor<1x200x64xf32>) -> tensor<1x1x256xf32>
  return %a : tensor<1x1x256xf32>
}
