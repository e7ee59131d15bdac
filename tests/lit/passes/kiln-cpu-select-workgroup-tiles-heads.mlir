// RUN: kiln-compile %s --emit=exec --dump-dispatches 2>&1 >/dev/null | FileCheck %s

// A dispatch that reduces whole rows and has a GEMM (attention: every
// workgroup reads its head's keys and values) halves its rows to leave two
// workgroups only when its batch dims (batch x heads) give fewer than
// min-gemm-workgroups (8). 16 queries of 16 heads take one workgroup per
// head, which reads the head's keys once; with 2 heads the 16 rows are two
// workgroups of 8. (Two 8-row workgroups per head of a 12-query decoding
// step over 32 heads read every key twice: 12.7 against 7.6 ms.) Rows
// past 32 (row-tile) split into tiles of about equal size: 40 rows of 16
// heads are 24 and 16, not 32 and 8.
// CHECK: #1  @heads_dispatch_1  kiln.attention  1x1x16  1x1x16x64
// CHECK: #4  @heads_dispatch_4  kiln.attention  1x2x2   1x1x8x64
// CHECK: @heads_dispatch_{{[0-9]+}}  kiln.attention  1x2x16  1x1x24x64
func.func @heads(%q: tensor<1x16x1024xf32>, %kv: tensor<1x512x1024xf32>,
                 %q2: tensor<1x16x128xf32>, %kv2: tensor<1x512x128xf32>,
                 %q3: tensor<1x40x1024xf32>)
    -> (tensor<1x16x1024xf32>, tensor<1x16x128xf32>, tensor<1x40x1024xf32>) {
  %a = kiln.attention %q, %kv, %kv {heads = 16 : i64}
      : (tensor<1x16x1024xf32>, tensor<1x512x1024xf32>, tensor<1x512x1024xf32>) -> tensor<1x16x1024xf32>
  %b = kiln.attention %q2, %kv2, %kv2 {heads = 2 : i64}
      : (tensor<1x16x128xf32>, tensor<1x512x128xf32>, tensor<1x512x128xf32>) -> tensor<1x16x128xf32>
  %c = kiln.attention %q3, %kv, %kv {heads = 16 : i64}
      : (tensor<1x40x1024xf32>, tensor<1x512x1024xf32>, tensor<1x512x1024xf32>) -> tensor<1x40x1024xf32>
  return %a, %b, %c : tensor<1x16x1024xf32>, tensor<1x16x128xf32>, tensor<1x40x1024xf32>
}
