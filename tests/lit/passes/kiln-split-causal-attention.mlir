// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-split-causal-attention{chunk=2}))" | FileCheck %s

// Sq = Sk = 5, chunks of 2 rows: rows [0, 2) see keys [0, 2), rows [2, 4)
// keys [0, 4), row 4 all 5 keys; each part keeps the causal mask and the
// scale, and the parts are concatenated along the sequence. Keys and values
// share their slices; a slice of everything is the tensor itself.
// CHECK-LABEL: func.func @self
// CHECK-SAME: (%[[X:.+]]: tensor<1x5x8xf32>)
// CHECK: %[[Q0:.+]] = kiln.slice %[[X]] {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 2, 8>, strides = array<i64: 1, 1, 1>} : tensor<1x5x8xf32> -> tensor<1x2x8xf32>
// CHECK: %[[A0:.+]] = kiln.attention %[[Q0]], %[[Q0]], %[[Q0]] {heads = 2 : i64, mask = #kiln.mask_kind<causal>, scale = 5.000000e-01 : f64} : (tensor<1x2x8xf32>, tensor<1x2x8xf32>, tensor<1x2x8xf32>) -> tensor<1x2x8xf32>
// CHECK: kiln.slice %[[X]] {offsets = array<i64: 0, 2, 0>, sizes = array<i64: 1, 2, 8>
// CHECK: kiln.slice %[[X]] {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 1, 4, 8>
// CHECK: %[[A1:.+]] = kiln.attention {{.*}} : (tensor<1x2x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x2x8xf32>
// CHECK: %[[Q2:.+]] = kiln.slice %[[X]] {offsets = array<i64: 0, 4, 0>, sizes = array<i64: 1, 1, 8>
// CHECK: %[[A2:.+]] = kiln.attention %[[Q2]], %[[X]], %[[X]] {{.*}} : (tensor<1x1x8xf32>, tensor<1x5x8xf32>, tensor<1x5x8xf32>) -> tensor<1x1x8xf32>
// CHECK: %[[ALL:.+]] = kiln.concat %[[A0]], %[[A1]], %[[A2]] {axis = 1 : i64}
// CHECK-NOT: kiln.attention
// CHECK: return %[[ALL]]
func.func @self(%x: tensor<1x5x8xf32>) -> tensor<1x5x8xf32> {
  %0 = kiln.attention %x, %x, %x {heads = 2 : i64, mask = #kiln.mask_kind<causal>} : (tensor<1x5x8xf32>, tensor<1x5x8xf32>, tensor<1x5x8xf32>) -> tensor<1x5x8xf32>
  return %0 : tensor<1x5x8xf32>
}

// More keys than queries (a cache of 2 earlier tokens): row i sees keys
// j <= i + 2, so the first chunk takes 4 keys and the second all 6.
// CHECK-LABEL: func.func @with_past
// CHECK: kiln.attention {{.*}} : (tensor<1x2x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x2x8xf32>
// CHECK: kiln.attention {{.*}} : (tensor<1x2x8xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32>) -> tensor<1x2x8xf32>
func.func @with_past(%q: tensor<1x4x8xf32>, %kv: tensor<1x6x8xf32>) -> tensor<1x4x8xf32> {
  %0 = kiln.attention %q, %kv, %kv {heads = 2 : i64, mask = #kiln.mask_kind<causal>} : (tensor<1x4x8xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32>) -> tensor<1x4x8xf32>
  return %0 : tensor<1x4x8xf32>
}

// Other masks, and causal attentions shorter than two chunks, stay whole.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: kiln.slice
// CHECK-COUNT-2: kiln.attention
// CHECK-NOT: kiln.concat
func.func @untouched(%x: tensor<1x5x8xf32>, %y: tensor<1x3x8xf32>) -> (tensor<1x5x8xf32>, tensor<1x3x8xf32>) {
  %0 = kiln.attention %x, %x, %x {heads = 2 : i64} : (tensor<1x5x8xf32>, tensor<1x5x8xf32>, tensor<1x5x8xf32>) -> tensor<1x5x8xf32>
  %1 = kiln.attention %y, %y, %y {heads = 2 : i64, mask = #kiln.mask_kind<causal>} : (tensor<1x3x8xf32>, tensor<1x3x8xf32>, tensor<1x3x8xf32>) -> tensor<1x3x8xf32>
  return %0, %1 : tensor<1x5x8xf32>, tensor<1x3x8xf32>
}
