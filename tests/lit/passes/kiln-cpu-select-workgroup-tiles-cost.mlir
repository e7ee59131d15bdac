// RUN: kiln-compile %s --emit=exec --dump-dispatches 2>&1 >/dev/null | FileCheck %s

// top_k's generics give their cost per element (kiln.element_cost), and a
// workgroup takes at most 65536 scalar steps. Over 64 rows of 32000 (k =
// 50, 200 candidate slots): the block maxima (64 steps each) 4 rows of 256
// blocks; the k-th block maximum (50 passes over 500 block maxima) 2 rows
// per workgroup; the counts of keys reaching it (256 steps) 2 rows of 125
// blocks; the threshold, whose worst case is the k-th key by 50 passes
// over 50 blocks of 64 (185,000 steps a row), one row per workgroup; the
// member bits (64 steps a chunk of 64
// keys) 4 rows of 256 chunks; the blocks' counts (4 steps) all 64 rows of
// 125 blocks; the members before each block (a sum over the blocks before
// it, 62 steps) 8 rows of 125; the members (125 + 4 steps) 2 rows of 200
// slots; the ranks (200 steps) one row of 200 slots; the outputs (200
// steps) 6 rows. Without the cost, the k-th keys of all 64 rows were one
// workgroup: 7.6 of 10.7 ms on one worker.
// CHECK: #0  @top_k_vocab_dispatch_0  kiln.top_k  2x16x1  4x256
// CHECK-NEXT: #1  @top_k_vocab_dispatch_1  kiln.top_k  32x1x1  2
// CHECK-NEXT: #2  @top_k_vocab_dispatch_2  kiln.top_k  1x32x1  2x125
// CHECK-NEXT: #3  @top_k_vocab_dispatch_3  kiln.top_k  64x1x1  1
// CHECK-NEXT: #4  @top_k_vocab_dispatch_4  kiln.top_k  2x16x1  4x256
// CHECK-NEXT: #5  @top_k_vocab_dispatch_5  kiln.top_k  1x1x1   64x125
// CHECK-NEXT: #6  @top_k_vocab_dispatch_6  kiln.top_k  1x8x1   8x125
// CHECK-NEXT: #7  @top_k_vocab_dispatch_7  kiln.top_k  1x32x1  2x200
// CHECK-NEXT: #8  @top_k_vocab_dispatch_8  kiln.top_k  1x64x1  1x200
// CHECK-NEXT: #9  @top_k_vocab_dispatch_9  kiln.top_k  1x11x1  6x50
func.func @top_k_vocab(%x: tensor<64x32000xf32>) -> (tensor<64x50xf32>, tensor<64x50xi64>) {
  %v, %i = kiln.top_k %x {k = 50 : i64} : tensor<64x32000xf32> -> (tensor<64x50xf32>, tensor<64x50xi64>)
  return %v, %i : tensor<64x50xf32>, tensor<64x50xi64>
}
