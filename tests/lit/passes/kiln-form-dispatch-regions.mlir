// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg{keys-in-place-rows=128}, kiln-form-dispatch-regions))" -split-input-file | FileCheck %s

// The MLP block: bias + GELU join the first GEMM; bias + residual + the
// whole layer norm join the second.
// CHECK-LABEL: func.func @mlp
// CHECK: %[[D0:.+]] = exec.dispatch_region root("kiln.linear") -> (tensor<4x32xf32>) {
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: exec.yield
// CHECK: %[[D1:.+]] = exec.dispatch_region root("kiln.linear") -> (tensor<4x16xf32>) {
// CHECK: linalg.generic {{.*}}ins(%[[D0]],
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: exec.yield
// CHECK: return %[[D1]]
func.func @mlp(%x: tensor<4x16xf32>, %w1: tensor<32x16xf32>, %b1: tensor<32xf32>,
               %w2: tensor<16x32xf32>, %b2: tensor<16xf32>, %g: tensor<16xf32>) -> tensor<4x16xf32> {
  %h = kiln.linear %x, %w1, %b1 : (tensor<4x16xf32>, tensor<32x16xf32>, tensor<32xf32>) -> tensor<4x32xf32>
  %a = kiln.gelu %h : tensor<4x32xf32>
  %o = kiln.linear %a, %w2, %b2 : (tensor<4x32xf32>, tensor<16x32xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %r = kiln.add %x, %o : tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
  %y = kiln.layer_norm %r scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A value needed after the group becomes a second result; initial values
// (fills of empty tensors) are cloned into the region.
// CHECK-LABEL: func.func @escaping
// CHECK: %[[R:.+]]:2 = exec.dispatch_region root("kiln.linear") -> (tensor<4x8xf32>, tensor<4x8xf32>) {
// CHECK: linalg.fill
// CHECK: exec.yield
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @escaping(%x: tensor<4x16xf32>, %w: tensor<8x16xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %h = kiln.linear %x, %w : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
  %a = kiln.gelu %h : tensor<4x8xf32>
  return %h, %a : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A GEMM never joins another GEMM's dispatch, and an op on other rows than
// its producer's group (a broadcast over a new leading dimension) starts
// one.
// CHECK-LABEL: func.func @separate
// CHECK: exec.dispatch_region root("kiln.linear")
// CHECK: exec.dispatch_region root("kiln.linear")
// CHECK: exec.dispatch_region root("kiln.add")
func.func @separate(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %y: tensor<2x4x8xf32>) -> tensor<2x4x8xf32> {
  %h = kiln.linear %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %g = kiln.linear %h, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %s = kiln.add %y, %g : tensor<2x4x8xf32>, tensor<4x8xf32> -> tensor<2x4x8xf32>
  return %s : tensor<2x4x8xf32>
}

// -----

// Producer fusion: elementwise ops that compute a GEMM's A operand, and
// that nothing else reads, go into the GEMM's dispatch (each workgroup
// computes the rows of A it needs); the GEMM roots it and its epilogue
// joins as usual.
// CHECK-LABEL: func.func @producer
// CHECK: %[[R:.+]] = exec.dispatch_region root("kiln.linear") -> (tensor<4x8xf32>) {
// CHECK: math.tanh
// CHECK: arith.mulf
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: arith.negf
// CHECK: exec.yield
// CHECK-NOT: exec.dispatch_region
// CHECK: return %[[R]]
func.func @producer(%x: tensor<4x16xf32>, %w: tensor<8x16xf32>) -> tensor<4x8xf32> {
  %t = kiln.tanh %x : tensor<4x16xf32>
  %s = kiln.mul %t, %x : tensor<4x16xf32>, tensor<4x16xf32> -> tensor<4x16xf32>
  %h = kiln.linear %s, %w : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
  %a = kiln.silu %h : tensor<4x8xf32>
  return %a : tensor<4x8xf32>
}

// -----

// A producer whose value is also read elsewhere (here returned) keeps its
// own dispatch, and so does the producer of a GEMM's B operand.
// CHECK-LABEL: func.func @producer_kept
// CHECK: exec.dispatch_region root("kiln.tanh")
// CHECK: exec.dispatch_region root("kiln.linear")
// CHECK: exec.dispatch_region root("kiln.exp")
// CHECK: exec.dispatch_region root("kiln.matmul")
func.func @producer_kept(%x: tensor<4x16xf32>, %w: tensor<8x16xf32>, %m: tensor<16x8xf32>) -> (tensor<4x16xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %t = kiln.tanh %x : tensor<4x16xf32>
  %h = kiln.linear %t, %w : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>
  %e = kiln.exp %m : tensor<16x8xf32>
  %p = kiln.matmul %x, %e : (tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  return %t, %h, %p : tensor<4x16xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A producer that gathers through floordiv and mod (patch_embed's im2col)
// keeps its own dispatch: recomputed per column tile, its index arithmetic
// cost more than writing the patches once (ViT-L/14's patches: 4.8 -> 3.2
// ms on one Zen 4 core).
// CHECK-LABEL: func.func @gather_producer
// CHECK: exec.dispatch_region root("kiln.patch_embed")
// CHECK: exec.dispatch_region root("kiln.linear")
func.func @gather_producer(%p: tensor<1x3x28x28xf32>, %w: tensor<8x3x14x14xf32>) -> tensor<1x4x8xf32> {
  %0 = kiln.patch_embed %p, %w {patch_size = 14 : i64} : (tensor<1x3x28x28xf32>, tensor<8x3x14x14xf32>) -> tensor<1x4x8xf32>
  return %0 : tensor<1x4x8xf32>
}

// -----

// An op may not join a group whose value an outside op read in between:
// the region would move past that reader. Here the GELU cannot join the
// first GEMM because the second GEMM reads it first.
// CHECK-LABEL: func.func @dominance
// CHECK: %[[G:.+]] = exec.dispatch_region root("kiln.linear") -> (tensor<4x8xf32>) {
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: exec.yield
// CHECK: exec.dispatch_region root("kiln.linear")
// CHECK: exec.dispatch_region root("kiln.gelu")
func.func @dominance(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %h = kiln.linear %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %u = kiln.linear %h, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %s = kiln.gelu %h : tensor<4x8xf32>
  return %u, %s : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// The same when the reader in between reads the group's value from its
// body (a gather captures its table): the GELU stays out of the GEMM's
// group, which would otherwise be placed after the gather that reads it.
// CHECK-LABEL: func.func @captured_reader
// CHECK: %[[G:.+]] = exec.dispatch_region root("kiln.linear") -> (tensor<4x8xf32>) {
// CHECK-COUNT-1: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: exec.yield
// CHECK: exec.dispatch_region root("kiln.gather")
// CHECK: tensor.extract %[[G]]
// CHECK: exec.dispatch_region root("kiln.gelu")
func.func @captured_reader(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %i: tensor<3xi32>) -> (tensor<3x8xf32>, tensor<4x8xf32>) {
  %h = kiln.linear %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %r = kiln.gather %h, %i {axis = 0 : i64} : (tensor<4x8xf32>, tensor<3xi32>) -> tensor<3x8xf32>
  %s = kiln.gelu %h : tensor<4x8xf32>
  return %r, %s : tensor<3x8xf32>, tensor<4x8xf32>
}

// -----

// An attention's scores, mask, softmax and product with V share one
// dispatch (kiln-cpu-flash-attention rewrites it into an online softmax);
// the copy of the keys into panels and the transpose of the output are
// dispatches of their own.
// CHECK-LABEL: func.func @attention
// CHECK: exec.dispatch_region root("kiln.attention")
// CHECK: exec.dispatch_region root("kiln.attention")
// CHECK-SAME: -> (tensor<1x2x128x8xf32>)
// CHECK: kiln.attention_part = "scores"
// CHECK: kiln.attention_part = "mask"
// CHECK: kiln.attention_part = "max"
// CHECK: kiln.attention_part = "sum"
// CHECK: kiln.attention_part = "probs"
// CHECK: kiln.attention_part = "pv"
// CHECK: exec.yield
// CHECK-NEXT: }
// CHECK-NEXT: exec.dispatch_region root("kiln.attention")
func.func @attention(%x: tensor<1x128x16xf32>) -> tensor<1x128x16xf32> {
  %a = kiln.attention %x, %x, %x {heads = 2 : i64}
      : (tensor<1x128x16xf32>, tensor<1x128x16xf32>, tensor<1x128x16xf32>) -> tensor<1x128x16xf32>
  return %a : tensor<1x128x16xf32>
}
