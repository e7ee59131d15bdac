// RUN: kiln-compile %s --emit=exec --dump-dispatches --target-cpu=znver3 2>&1 >/dev/null | FileCheck %s --check-prefixes=CHECK,AVX2
// RUN: kiln-compile %s --emit=exec --dump-dispatches --target-cpu=znver4 2>&1 >/dev/null | FileCheck %s --check-prefixes=CHECK,AVX512

// Workgroup tiles of dispatches with narrow rows. A workgroup that is not a
// GEMM's or a norm's takes as many elements as `row-tile` (32) rows of
// `col-tile` (256) columns: 512 rows of the 16-column panels that B is packed
// into at run time on AVX2 (one workgroup per panel here, 64 in all, instead
// of 1024 workgroups of 2 KiB), 256 rows of the 32-column panels of AVX-512,
// 128 rows of a 64-column elementwise op, and the usual 32 x 256 for wide
// rows. The target CPU is named: the panel width follows its vectors.
// CHECK: region  dispatch  executable          root              grid    tile
// AVX2-NEXT: #0  @narrow_dispatch_0  kiln.pack_panels  1x1x64  1x512x16
// AVX512-NEXT: #0  @narrow_dispatch_0  kiln.pack_panels  1x2x32  1x256x32
// CHECK-NEXT: #2  @narrow_dispatch_2  kiln.tanh         1x16x1  128x64
// CHECK-NEXT: #3  @narrow_dispatch_3  kiln.tanh         4x2x1   32x256
// CHECK-NEXT: #1  @narrow_dispatch_1  kiln.matmul       4x2x1   32x256
func.func @narrow(%a: tensor<64x512xf32>, %b: tensor<512x1024xf32>, %h: tensor<2048x64xf32>, %w: tensor<64x1024xf32>)
    -> (tensor<64x1024xf32>, tensor<2048x64xf32>, tensor<64x1024xf32>) {
  %c = kiln.matmul %a, %b : (tensor<64x512xf32>, tensor<512x1024xf32>) -> tensor<64x1024xf32>
  %t = kiln.tanh %h : tensor<2048x64xf32>
  %u = kiln.tanh %w : tensor<64x1024xf32>
  return %c, %t, %u : tensor<64x1024xf32>, tensor<2048x64xf32>, tensor<64x1024xf32>
}
