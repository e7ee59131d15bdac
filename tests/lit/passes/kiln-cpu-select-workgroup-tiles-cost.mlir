// RUN: kiln-compile %s --emit=exec --dump-dispatches 2>&1 >/dev/null | FileCheck %s

// top_k's generics give their cost per element (kiln.element_cost), and a
// workgroup takes at most 65536 scalar steps. Over 64 rows of 32000: the
// keys are elementwise (32 x 256 tiles); the block maxima (64 steps each)
// 4 rows of 256 blocks; the k-th block maximum and the k-th key (50 passes
// over 500 block maxima and 50 blocks of 64: 185,000 steps a row) one row
// per workgroup; the block counts (256 steps) 2 rows of 125 blocks; the
// members (125 + 256 steps) 3 rows of 50; the ranks and the outputs (50
// steps) 26 rows. Without the cost, the k-th keys of all 64 rows were one
// workgroup: 7.6 of 10.7 ms on one worker.
// CHECK: #0  @top_k_vocab_dispatch_0  kiln.top_k  125x2x1  32x256
// CHECK-NEXT: #1  @top_k_vocab_dispatch_1  kiln.top_k  2x16x1   4x256
// CHECK-NEXT: #2  @top_k_vocab_dispatch_2  kiln.top_k  64x1x1   1
// CHECK-NEXT: #3  @top_k_vocab_dispatch_3  kiln.top_k  1x32x1   2x125
// CHECK-NEXT: #4  @top_k_vocab_dispatch_4  kiln.top_k  1x22x1   3x50
// CHECK-NEXT: #5  @top_k_vocab_dispatch_5  kiln.top_k  1x3x1    26x50
// CHECK-NEXT: #6  @top_k_vocab_dispatch_6  kiln.top_k  1x3x1    26x50
func.func @top_k_vocab(%x: tensor<64x32000xf32>) -> (tensor<64x50xf32>, tensor<64x50xi64>) {
  %v, %i = kiln.top_k %x {k = 50 : i64} : tensor<64x32000xf32> -> (tensor<64x50xf32>, tensor<64x50xi64>)
  return %v, %i : tensor<64x50xf32>, tensor<64x50xi64>
}
