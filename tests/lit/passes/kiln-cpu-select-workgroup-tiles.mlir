// RUN: kiln-compile %s --emit=exec --dump-dispatches 2>&1 >/dev/null | FileCheck %s

// Workgroup tiles of GEMM dispatches. 32 rows and 3072 columns: twelve
// column tiles of 256. 32 rows and 768 columns would be three tiles of 256,
// which leaves one of two workers idle for a third of the dispatch: the
// columns narrow to 96 for eight workgroups. 64 columns cannot narrow below
// 64: one workgroup. 256 rows and 768 columns: four row tiles of 64 times
// three column tiles is already twelve. 1001 columns (no multiple of 32
// divides them; a vocabulary) in tiles of 256 with a partial last one,
// narrowed for eight workgroups to 128: seven tiles of 128 and one of 105
// (whole columns ran the 8-row head on one worker).
// CHECK: region  dispatch  executable              root         grid    tile        flops  location
// CHECK-NEXT: #0  @gemm_tiles_dispatch_0  kiln.linear  12x1x1  32x256
// CHECK-NEXT: #1  @gemm_tiles_dispatch_1  kiln.linear  8x1x1   32x96
// CHECK-NEXT: #2  @gemm_tiles_dispatch_2  kiln.linear  1x1x1   32x64
// CHECK-NEXT: #3  @gemm_tiles_dispatch_3  kiln.linear  3x4x1   64x256
// CHECK-NEXT: #4  @gemm_tiles_dispatch_4  kiln.linear  8x1x1   8x128
func.func @gemm_tiles(%x: tensor<32x768xf32>, %big: tensor<256x768xf32>, %few: tensor<8x768xf32>)
    -> (tensor<32x3072xf32>, tensor<32x768xf32>, tensor<32x64xf32>, tensor<256x768xf32>, tensor<8x1001xf32>) {
  %w1 = kiln.param "wide.weight" : tensor<3072x768xf32>
  %w2 = kiln.param "square.weight" : tensor<768x768xf32>
  %w3 = kiln.param "narrow.weight" : tensor<64x768xf32>
  %a = kiln.linear %x, %w1 : (tensor<32x768xf32>, tensor<3072x768xf32>) -> tensor<32x3072xf32>
  %b = kiln.linear %x, %w2 : (tensor<32x768xf32>, tensor<768x768xf32>) -> tensor<32x768xf32>
  %c = kiln.linear %x, %w3 : (tensor<32x768xf32>, tensor<64x768xf32>) -> tensor<32x64xf32>
  %d = kiln.linear %big, %w2 : (tensor<256x768xf32>, tensor<768x768xf32>) -> tensor<256x768xf32>
  %w4 = kiln.param "head.weight" : tensor<1001x768xf32>
  %e = kiln.linear %few, %w4 : (tensor<8x768xf32>, tensor<1001x768xf32>) -> tensor<8x1001xf32>
  return %a, %b, %c, %d, %e : tensor<32x3072xf32>, tensor<32x768xf32>, tensor<32x64xf32>, tensor<256x768xf32>, tensor<8x1001xf32>
}
