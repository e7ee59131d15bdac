// RUN: kiln-compile %s --emit=exec --dump-dispatches 2>&1 >/dev/null | FileCheck %s

// A dispatch that reduces whole rows takes 8 rows per workgroup
// (norm-row-tile), or when its rows are short, as many as make 2048
// elements (min-whole-row-elements): a softmax over 8 columns takes 256
// rows, an RMS norm over 16 takes 128, a layer norm over 1024 keeps 8.
// With 8 rows of 8, the softmax of 65536 rows ran 8192 workgroups: 3.8 ms
// on one Zen 4 core, 0.52 ms in 256.
// CHECK: #0  @short_rows_dispatch_0  kiln.softmax     1x256x1  256x8
// CHECK: #1  @short_rows_dispatch_1  kiln.rms_norm    1x512x1  128x16
// CHECK: #2  @short_rows_dispatch_2  kiln.layer_norm  1x64x1   8x1024
func.func @short_rows(%x: tensor<65536x8xf32>, %y: tensor<65536x16xf32>, %z: tensor<512x1024xf32>)
    -> (tensor<65536x8xf32>, tensor<65536x16xf32>, tensor<512x1024xf32>) {
  %s = kiln.softmax %x : tensor<65536x8xf32>
  %g = kiln.param "g" : tensor<16xf32>
  %r = kiln.rms_norm %y scale(%g) {epsilon = 1.0e-6 : f64} : (tensor<65536x16xf32>, tensor<16xf32>) -> tensor<65536x16xf32>
  %w = kiln.param "w" : tensor<1024xf32>
  %b = kiln.param "b" : tensor<1024xf32>
  %l = kiln.layer_norm %z scale(%w) bias(%b) {epsilon = 1.0e-5 : f64} : (tensor<512x1024xf32>, tensor<1024xf32>, tensor<1024xf32>) -> tensor<512x1024xf32>
  return %s, %r, %l : tensor<65536x8xf32>, tensor<65536x16xf32>, tensor<512x1024xf32>
}
