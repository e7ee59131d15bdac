// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-sink-broadcasts))" -split-input-file | FileCheck %s

// Learned queries expanded to a batch of 4 (the Q-Former's first layer):
// the norm, the projections, the self-attention, the residual add, GELU,
// the per-head reshape, transpose and matmul all run on one copy; a single
// broadcast to the batch follows them and meets the per-image data.
// CHECK-LABEL: func.func @learned_queries
// CHECK-SAME: (%[[T:.+]]: tensor<1x8x16xf32>, %[[IMG:.+]]: tensor<4x8x16xf32>)
// CHECK: %[[N:.+]] = kiln.layer_norm %[[T]] {{.*}} -> tensor<1x8x16xf32>
// CHECK: %[[Q:.+]] = kiln.linear %[[N]], {{.*}} -> tensor<1x8x16xf32>
// CHECK: %[[K:.+]] = kiln.linear %[[N]], {{.*}} -> tensor<1x8x16xf32>
// CHECK: %[[A:.+]] = kiln.attention %[[Q]], %[[K]], %[[K]] {heads = 2 : i64} : {{.*}} -> tensor<1x8x16xf32>
// CHECK: %[[R:.+]] = kiln.add %[[N]], %[[A]] : tensor<1x8x16xf32>, tensor<1x8x16xf32> -> tensor<1x8x16xf32>
// CHECK: %[[G:.+]] = kiln.gelu %[[R]] : tensor<1x8x16xf32>
// CHECK: %[[S:.+]] = kiln.reshape %[[G]] : tensor<1x8x16xf32> -> tensor<1x8x2x8xf32>
// CHECK: %[[H:.+]] = kiln.transpose %[[S]] {{.*}} : tensor<1x8x2x8xf32> -> tensor<1x2x8x8xf32>
// CHECK: %[[M:.+]] = kiln.matmul %[[H]], %{{.+}} : (tensor<1x2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<1x2x8x8xf32>
// CHECK: %[[B:.+]] = kiln.broadcast %[[M]] : tensor<1x2x8x8xf32> -> tensor<4x2x8x8xf32>
// CHECK-NOT: kiln.broadcast
// CHECK: %[[Y:.+]] = kiln.mul %[[B]], %{{.+}} : tensor<4x2x8x8xf32>, tensor<4x2x8x8xf32>
// CHECK: return %[[Y]]
func.func @learned_queries(%tokens: tensor<1x8x16xf32>, %img: tensor<4x8x16xf32>) -> tensor<4x2x8x8xf32> {
  %g = kiln.param "norm.weight" : tensor<16xf32>
  %wq = kiln.param "q.weight" : tensor<16x16xf32>
  %wk = kiln.param "k.weight" : tensor<16x16xf32>
  %wh = kiln.param "heads.weight" : tensor<2x8x8xf32>
  %x = kiln.broadcast %tokens : tensor<1x8x16xf32> -> tensor<4x8x16xf32>
  %n = kiln.layer_norm %x scale(%g) {epsilon = 1.0e-12 : f64} : (tensor<4x8x16xf32>, tensor<16xf32>) -> tensor<4x8x16xf32>
  %q = kiln.linear %n, %wq : (tensor<4x8x16xf32>, tensor<16x16xf32>) -> tensor<4x8x16xf32>
  %k = kiln.linear %n, %wk : (tensor<4x8x16xf32>, tensor<16x16xf32>) -> tensor<4x8x16xf32>
  %a = kiln.attention %q, %k, %k {heads = 2 : i64} : (tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %r = kiln.add %n, %a : tensor<4x8x16xf32>, tensor<4x8x16xf32> -> tensor<4x8x16xf32>
  %gl = kiln.gelu %r : tensor<4x8x16xf32>
  %s = kiln.reshape %gl : tensor<4x8x16xf32> -> tensor<4x8x2x8xf32>
  %h = kiln.transpose %s {permutation = array<i64: 0, 2, 1, 3>} : tensor<4x8x2x8xf32> -> tensor<4x2x8x8xf32>
  %m = kiln.matmul %h, %wh : (tensor<4x2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<4x2x8x8xf32>
  %i = kiln.reshape %img : tensor<4x8x16xf32> -> tensor<4x2x8x8xf32>
  %y = kiln.mul %m, %i : tensor<4x2x8x8xf32>, tensor<4x2x8x8xf32> -> tensor<4x2x8x8xf32>
  return %y : tensor<4x2x8x8xf32>
}

// -----

// A bias shared by the copies joins them before the broadcast; two
// broadcasts in a row become one.
// CHECK-LABEL: func.func @bias_and_double
// CHECK: %[[S:.+]] = kiln.add %{{.+}}, %{{.+}} : tensor<1x1x16xf32>, tensor<16xf32> -> tensor<1x1x16xf32>
// CHECK: %[[B:.+]] = kiln.broadcast %[[S]] : tensor<1x1x16xf32> -> tensor<3x4x16xf32>
// CHECK: return %[[B]]
func.func @bias_and_double(%x: tensor<1x1x16xf32>, %bias: tensor<16xf32>) -> tensor<3x4x16xf32> {
  %a = kiln.broadcast %x : tensor<1x1x16xf32> -> tensor<1x4x16xf32>
  %b = kiln.broadcast %a : tensor<1x4x16xf32> -> tensor<3x4x16xf32>
  %y = kiln.add %b, %bias : tensor<3x4x16xf32>, tensor<16xf32> -> tensor<3x4x16xf32>
  return %y : tensor<3x4x16xf32>
}

// -----

// Left alone, each op keeping its broadcast operand:
// - an add with an operand that differs between the copies;
// - a linear layer whose contracted dim is the broadcast one;
// - a softmax along the broadcast axis;
// - a norm over the broadcast dim;
// - an attention with a mask operand (the lengths differ per batch);
// - a matmul whose rows are the broadcast dim;
// - a reshape that merges the broadcast dim with another;
// - a broadcast that adds dims (rank 2 to 3).
// CHECK-LABEL: func.func @kept
// CHECK: kiln.add {{.*}} : tensor<4x8x16xf32>, tensor<4x8x16xf32> -> tensor<4x8x16xf32>
// CHECK: kiln.linear {{.*}} -> tensor<4x8x16xf32>
// CHECK: kiln.softmax {{.*}} : tensor<4x8x16xf32>
// CHECK: kiln.rms_norm {{.*}} -> tensor<4x8x16xf32>
// CHECK: kiln.attention {{.*}} -> tensor<4x8x16xf32>
// CHECK: kiln.matmul {{.*}} -> tensor<4x8x16xf32>
// CHECK: kiln.reshape {{.*}} : tensor<4x8x16xf32> -> tensor<32x16xf32>
// CHECK: kiln.gelu {{.*}} : tensor<4x8x16xf32>
func.func @kept(%x: tensor<1x8x16xf32>, %y: tensor<4x8x16xf32>, %c: tensor<4x8x1xf32>, %u: tensor<4x8x16xf32>,
                %lens: tensor<4xi64>, %r: tensor<4x1x16xf32>, %two: tensor<8x16xf32>)
    -> (tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>,
        tensor<4x8x16xf32>, tensor<32x16xf32>, tensor<4x8x16xf32>) {
  %b = kiln.broadcast %x : tensor<1x8x16xf32> -> tensor<4x8x16xf32>
  %add = kiln.add %b, %y : tensor<4x8x16xf32>, tensor<4x8x16xf32> -> tensor<4x8x16xf32>
  %w = kiln.param "w" : tensor<16x16xf32>
  %wide = kiln.broadcast %c : tensor<4x8x1xf32> -> tensor<4x8x16xf32>
  %lin = kiln.linear %wide, %w : (tensor<4x8x16xf32>, tensor<16x16xf32>) -> tensor<4x8x16xf32>
  %sm = kiln.softmax %b {axis = 0 : i64} : tensor<4x8x16xf32>
  %norm = kiln.rms_norm %wide {epsilon = 1.0e-6 : f64} : (tensor<4x8x16xf32>) -> tensor<4x8x16xf32>
  %att = kiln.attention %b, %b, %b mask(%lens) {heads = 2 : i64, mask = #kiln.mask_kind<key_padding>}
      : (tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4xi64>) -> tensor<4x8x16xf32>
  %rows = kiln.broadcast %r : tensor<4x1x16xf32> -> tensor<4x8x16xf32>
  %wm = kiln.param "wm" : tensor<16x16xf32>
  %mm = kiln.matmul %rows, %wm : (tensor<4x8x16xf32>, tensor<16x16xf32>) -> tensor<4x8x16xf32>
  %flat = kiln.reshape %b : tensor<4x8x16xf32> -> tensor<32x16xf32>
  %grow = kiln.broadcast %two : tensor<8x16xf32> -> tensor<4x8x16xf32>
  %gl = kiln.gelu %grow : tensor<4x8x16xf32>
  return %add, %lin, %sm, %norm, %att, %mm, %flat, %gl
      : tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>, tensor<4x8x16xf32>,
        tensor<4x8x16xf32>, tensor<32x16xf32>, tensor<4x8x16xf32>
}

// -----

// The same with the axis counted from the end (-2 is the broadcast dim
// 0): the axis, an I64Attr, was read back unsigned, so a negative one
// never matched a broadcast dim, and the softmax (1/4 each) was sunk into
// a softmax over one element (1 each). Found by differential fuzzing.
// CHECK-LABEL: func.func @softmax_negative_axis
// CHECK: %[[B:.+]] = kiln.broadcast %{{.+}} : tensor<1x70xf32> -> tensor<4x70xf32>
// CHECK: kiln.softmax %[[B]] {axis = -2 : i64} : tensor<4x70xf32>
func.func @softmax_negative_axis(%x: tensor<1x70xf32>) -> tensor<4x70xf32> {
  %b = kiln.broadcast %x : tensor<1x70xf32> -> tensor<4x70xf32>
  %s = kiln.softmax %b {axis = -2 : i64} : tensor<4x70xf32>
  return %s : tensor<4x70xf32>
}
