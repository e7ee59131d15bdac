// RUN: kiln-opt %s -split-input-file -verify-diagnostics

func.func @empty_param_name() -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.param' op expects a non-empty parameter name}}
  %w = kiln.param "" : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

func.func @bad_permutation() -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.param' op expects a permutation of [0, 2), got [1, 1]}}
  %w = kiln.param "w" {permutation = array<i64: 1, 1>} : tensor<4x8xf32>
  return %w : tensor<4x8xf32>
}

// -----

// With panels, the permutation applies to the declared parameter, one
// rank below the stored one.
func.func @panel_and_permutation() -> tensor<2x4x4xf32> {
  // expected-error @+1 {{'kiln.param' op expects a permutation of [0, 2), got [0, 1, 2]}}
  %w = kiln.param "w" {panel = 4 : i64, permutation = array<i64: 0, 1, 2>} : tensor<2x4x4xf32>
  return %w : tensor<2x4x4xf32>
}

// -----

func.func @bad_panel_shape() -> tensor<2x4x8xf32> {
  // expected-error @+1 {{'kiln.param' op expects a panel layout [G.., N/p, K, p] with p = 4, got [2, 4, 8]}}
  %w = kiln.param "w" {panel = 4 : i64} : tensor<2x4x8xf32>
  return %w : tensor<2x4x8xf32>
}

// -----

func.func @panel_rank_two() -> tensor<4x4xf32> {
  // expected-error @+1 {{'kiln.param' op expects a panel layout [G.., N/p, K, p] with p = 4, got [4, 4]}}
  %w = kiln.param "w" {panel = 4 : i64} : tensor<4x4xf32>
  return %w : tensor<4x4xf32>
}

// -----

func.func @panel_columns_without_panel() -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.param' op expects panel_columns only with panel}}
  %w = kiln.param "w" {panel_columns = 7 : i64} : tensor<4x8xf32>
  return %w : tensor<4x8xf32>
}

// -----

// Seven columns fill two panels of 4, not three.
func.func @panel_columns_panel_count() -> tensor<3x5x4xf32> {
  // expected-error @+1 {{'kiln.param' op expects panel_columns N with ceil(N / 4) = 3 panels and 4 not dividing N, got 7}}
  %w = kiln.param "w" {panel = 4 : i64, panel_columns = 7 : i64} : tensor<3x5x4xf32>
  return %w : tensor<3x5x4xf32>
}

// -----

// Whole panels need no panel_columns: one layout has one spelling.
func.func @panel_columns_whole_panels() -> tensor<2x5x4xf32> {
  // expected-error @+1 {{'kiln.param' op expects panel_columns N with ceil(N / 4) = 2 panels and 4 not dividing N, got 8}}
  %w = kiln.param "w" {panel = 4 : i64, panel_columns = 8 : i64} : tensor<2x5x4xf32>
  return %w : tensor<2x5x4xf32>
}

// -----

// A checkpoint shape counts the declared elements, not the padding.
func.func @checkpoint_shape_padded_panels() -> tensor<2x5x4xf32> {
  // expected-error @+1 {{'kiln.param' op expects a checkpoint shape with as many elements as [7, 5], got [8, 5]}}
  %w = kiln.param "w" {checkpoint_shape = array<i64: 8, 5>, panel = 4 : i64, panel_columns = 7 : i64} : tensor<2x5x4xf32>
  return %w : tensor<2x5x4xf32>
}

// -----

func.func @checkpoint_shape_count() -> tensor<8x12xf32> {
  // expected-error @+1 {{'kiln.param' op expects a checkpoint shape with as many elements as [8, 12], got [8, 3, 2, 3]}}
  %w = kiln.param "w" {checkpoint_shape = array<i64: 8, 3, 2, 3>} : tensor<8x12xf32>
  return %w : tensor<8x12xf32>
}

// -----

func.func @checkpoint_shape_negative() -> tensor<4xf32> {
  // expected-error @+1 {{'kiln.param' op expects a checkpoint shape of sizes >= 0, got [-2, -2]}}
  %w = kiln.param "w" {checkpoint_shape = array<i64: -2, -2>} : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

func.func @dynamic_param() -> tensor<?xf32> {
  // expected-error @+1 {{must be statically shaped tensor}}
  %w = kiln.param "w" : tensor<?xf32>
  return %w : tensor<?xf32>
}

// -----

func.func @f64_input(%x: tensor<2x4xf64>, %w: tensor<8x4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{operand #0 must be statically shaped tensor of 32-bit float values}}
  %0 = kiln.linear %x, %w : (tensor<2x4xf64>, tensor<8x4xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @linear_weight_rank(%x: tensor<2x4xf32>, %w: tensor<8x4x1xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a weight of rank 2 [out, in], got [8, 4, 1]}}
  %0 = kiln.linear %x, %w : (tensor<2x4xf32>, tensor<8x4x1xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @linear_in_features(%x: tensor<2x4xf32>, %w: tensor<8x5xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects weight [out, in] with in = 4 (the input's last dimension), got [8, 5]}}
  %0 = kiln.linear %x, %w : (tensor<2x4xf32>, tensor<8x5xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @linear_bias(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a bias of shape [8], got [4]}}
  %0 = kiln.linear %x, %w, %b : (tensor<2x4xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @linear_result(%x: tensor<2x4xf32>, %w: tensor<8x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{'kiln.linear' op expects result type 'tensor<2x8xf32>', got 'tensor<2x4xf32>'}}
  %0 = kiln.linear %x, %w : (tensor<2x4xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{expects broadcast-compatible shapes, got [2, 3] and [4]}}
  %0 = kiln.add %a, %b : tensor<2x3xf32>, tensor<4xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @broadcast_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'kiln.mul' op expects result type 'tensor<2x3xf32>', got 'tensor<3xf32>'}}
  %0 = kiln.mul %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @norm_scale(%x: tensor<2x8xf32>, %g: tensor<4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{expects a scale of shape [8] (the normalised dimension), got [4]}}
  %0 = kiln.layer_norm %x scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<2x8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @norm_epsilon(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'kiln.layer_norm' op expects a positive epsilon that f32 holds as a normal number (at least 1.17549435e-38), got 0}}
  %0 = kiln.layer_norm %x {epsilon = 0.0 : f64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @gelu_kind(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{expected ::kiln::GeluApproximation to be one of: none, tanh, quick}}
  // expected-error @+1 {{failed to parse}}
  %0 = kiln.gelu %x approximation erf : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @matmul_rank(%a: tensor<4xf32>, %b: tensor<4x2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'kiln.matmul' op expects operands of rank >= 2, got [4] and [4, 2]}}
  %0 = kiln.matmul %a, %b : (tensor<4xf32>, tensor<4x2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @matmul_contraction(%a: tensor<3x4xf32>, %b: tensor<5x2xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'kiln.matmul' op expects the contracted sizes to match, got 4 and 5 (shapes [3, 4] and [5, 2])}}
  %0 = kiln.matmul %a, %b : (tensor<3x4xf32>, tensor<5x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @matmul_batch(%a: tensor<2x3x4xf32>, %b: tensor<3x4x2xf32>) -> tensor<2x3x2xf32> {
  // expected-error @+1 {{'kiln.matmul' op expects broadcast-compatible batch dimensions, got [2] and [3]}}
  %0 = kiln.matmul %a, %b : (tensor<2x3x4xf32>, tensor<3x4x2xf32>) -> tensor<2x3x2xf32>
  return %0 : tensor<2x3x2xf32>
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'kiln.softmax' op expects an axis in [-2, 2), got 2}}
  %0 = kiln.softmax %x {axis = 2 : i64} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @rms_scale(%x: tensor<2x8xf32>, %w: tensor<7xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'kiln.rms_norm' op expects a scale of shape [8] (the normalised dimension), got [7]}}
  %0 = kiln.rms_norm %x scale(%w) {epsilon = 1.0e-6 : f64} : (tensor<2x8xf32>, tensor<7xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @rms_epsilon(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{'kiln.rms_norm' op expects a positive epsilon that f32 holds as a normal number (at least 1.17549435e-38), got -1}}
  %0 = kiln.rms_norm %x {epsilon = -1.0 : f64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<7xf32> {
  // expected-error @+1 {{'kiln.reshape' op expects the element count to stay 6, got 7 ([2, 3] to [7])}}
  %0 = kiln.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  return %0 : tensor<7xf32>
}

// -----

func.func @reshape_type(%x: tensor<2x3xf32>) -> tensor<6xi32> {
  // expected-error @+1 {{'kiln.reshape' op expects the element type to stay 'f32', got 'i32'}}
  %0 = kiln.reshape %x : tensor<2x3xf32> -> tensor<6xi32>
  return %0 : tensor<6xi32>
}

// -----

func.func @broadcast_shape(%x: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'kiln.broadcast' op expects a shape that broadcasts to [4, 3], got [2, 3]}}
  %0 = kiln.broadcast %x : tensor<2x3xf32> -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @transpose_permutation(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{'kiln.transpose' op expects a permutation of [0, 2), got [0, 0]}}
  %0 = kiln.transpose %x {permutation = array<i64: 0, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_result(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'kiln.transpose' op expects result type 'tensor<3x2xf32>', got 'tensor<2x3xf32>'}}
  %0 = kiln.transpose %x {permutation = array<i64: 1, 0>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @concat_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'kiln.concat' op expects an axis in [-2, 2), got 5}}
  %0 = kiln.concat %x {axis = 5 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @concat_element_types(%a: tensor<2x3xf32>, %b: tensor<2x3xi32>) -> tensor<2x6xf32> {
  // expected-error @+1 {{'kiln.concat' op expects input 1 to have input 0's element type 'f32', got 'i32'}}
  %0 = kiln.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<2x3xi32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @concat_mismatch(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+1 {{'kiln.concat' op expects input 1 to match input 0 except along axis 1, got [4, 3] and [2, 3]}}
  %0 = kiln.concat %a, %b {axis = 1 : i64} : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @slice_counts(%x: tensor<4x4xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'kiln.slice' op expects 2 offsets, sizes and strides, got 1, 1 and 1}}
  %0 = kiln.slice %x {offsets = array<i64: 0>, sizes = array<i64: 2>, strides = array<i64: 1>} : tensor<4x4xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @slice_window(%x: tensor<4x4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'kiln.slice' op expects the window to lie inside the input: dimension 1 of size 4 cannot take offset 1, size 3, stride 2}}
  %0 = kiln.slice %x {offsets = array<i64: 0, 1>, sizes = array<i64: 2, 3>, strides = array<i64: 1, 2>} : tensor<4x4xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// The last index, offset + (size - 1) * stride, wrapped negative for a
// stride of 2^62 and passed (the slice then read far outside its input).
func.func @slice_stride_overflow(%x: tensor<4xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'kiln.slice' op expects the window to lie inside the input: dimension 0 of size 4 cannot take offset 0, size 3, stride 4611687117939015680}}
  %0 = kiln.slice %x {offsets = array<i64: 0>, sizes = array<i64: 3>, strides = array<i64: 4611687117939015680>} : tensor<4xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @slice_offset_past_end(%x: tensor<4xf32>) -> tensor<1xf32> {
  // expected-error @+1 {{'kiln.slice' op expects the window to lie inside the input: dimension 0 of size 4 cannot take offset 4, size 1, stride 1}}
  %0 = kiln.slice %x {offsets = array<i64: 4>, sizes = array<i64: 1>, strides = array<i64: 1>} : tensor<4xf32> -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

func.func @gather_result(%t: tensor<10x4xf32>, %i: tensor<3xi32>) -> tensor<3x5xf32> {
  // expected-error @+1 {{'kiln.gather' op expects result type 'tensor<3x4xf32>', got 'tensor<3x5xf32>'}}
  %0 = kiln.gather %t, %i {axis = 0 : i64} : (tensor<10x4xf32>, tensor<3xi32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// -----

func.func @gather_axis(%t: tensor<10x4xf32>, %i: tensor<3xi32>) -> tensor<3xf32> {
  // expected-error @+1 {{'kiln.gather' op expects an axis in [-2, 2), got 3}}
  %0 = kiln.gather %t, %i {axis = 3 : i64} : (tensor<10x4xf32>, tensor<3xi32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @reduce_axes(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{'kiln.reduce' op expects distinct axes in [-2, 2), got [1, -1]}}
  %0 = kiln.reduce sum %x {axes = array<i64: 1, -1>} : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @top_k_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'kiln.top_k' op expects k in [1, 3] (the last dimension), got 4}}
  %0:2 = kiln.top_k %x {k = 4 : i64} : tensor<2x3xf32> -> (tensor<2x4xf32>, tensor<2x4xi64>)
  return
}

// -----

func.func @top_k_long_rows(%x: tensor<1x4294967295xf32>) {
  // expected-error @+1 {{'kiln.top_k' op expects rows of at most 4294967294 elements, got 4294967295}}
  %0:2 = kiln.top_k %x {k = 2 : i64} : tensor<1x4294967295xf32> -> (tensor<1x2xf32>, tensor<1x2xi64>)
  return
}

// -----

func.func @rope_head_dim(%x: tensor<2x5x24xf32>) -> tensor<2x5x24xf32> {
  // expected-error @+1 {{'kiln.rope' op expects head_dim to divide the last dimension 24, got 7}}
  %0 = kiln.rope %x {head_dim = 7 : i64, rotary_dim = 4 : i64, theta = 1.0e4 : f64} : (tensor<2x5x24xf32>) -> tensor<2x5x24xf32>
  return %0 : tensor<2x5x24xf32>
}

// -----

func.func @rope_rotary(%x: tensor<2x5x24xf32>) -> tensor<2x5x24xf32> {
  // expected-error @+1 {{'kiln.rope' op expects an even rotary_dim in [2, 12], got 5}}
  %0 = kiln.rope %x {head_dim = 12 : i64, rotary_dim = 5 : i64, theta = 1.0e4 : f64} : (tensor<2x5x24xf32>) -> tensor<2x5x24xf32>
  return %0 : tensor<2x5x24xf32>
}

// -----

func.func @rope_positions(%x: tensor<2x5x24xf32>, %p: tensor<4xi32>) -> tensor<2x5x24xf32> {
  // expected-error @+1 {{'kiln.rope' op expects positions of shape [5] or [batch, 5], got [4]}}
  %0 = kiln.rope %x positions(%p) {head_dim = 12 : i64, rotary_dim = 12 : i64, theta = 1.0e4 : f64} : (tensor<2x5x24xf32>, tensor<4xi32>) -> tensor<2x5x24xf32>
  return %0 : tensor<2x5x24xf32>
}

// -----

func.func @rope_llama3(%x: tensor<2x5x24xf32>) -> tensor<2x5x24xf32> {
  // expected-error @+1 {{'kiln.rope' op expects all four llama3_* attributes or none}}
  %0 = kiln.rope %x {head_dim = 12 : i64, rotary_dim = 12 : i64, theta = 1.0e4 : f64, llama3_factor = 8.0 : f64} : (tensor<2x5x24xf32>) -> tensor<2x5x24xf32>
  return %0 : tensor<2x5x24xf32>
}

// -----

func.func @patch_divides(%p: tensor<2x3x30x30xf32>, %w: tensor<64x3x8x8xf32>) -> tensor<2x9x64xf32> {
  // expected-error @+1 {{'kiln.patch_embed' op expects the patch size to divide the image 30x30, got 8}}
  %0 = kiln.patch_embed %p, %w {patch_size = 8 : i64} : (tensor<2x3x30x30xf32>, tensor<64x3x8x8xf32>) -> tensor<2x9x64xf32>
  return %0 : tensor<2x9x64xf32>
}

// -----

func.func @patch_weight(%p: tensor<2x3x32x32xf32>, %w: tensor<64x4x8x8xf32>) -> tensor<2x16x64xf32> {
  // expected-error @+1 {{'kiln.patch_embed' op expects a weight [D, 3, 8, 8], got [64, 4, 8, 8]}}
  %0 = kiln.patch_embed %p, %w {patch_size = 8 : i64} : (tensor<2x3x32x32xf32>, tensor<64x4x8x8xf32>) -> tensor<2x16x64xf32>
  return %0 : tensor<2x16x64xf32>
}

// -----

func.func @attention_rank(%q: tensor<6x32xf32>) -> tensor<6x32xf32> {
  // expected-error @+1 {{'kiln.attention' op expects query, key and value of rank 3 [batch, seq, heads * head_dim], got [6, 32], [6, 32] and [6, 32]}}
  %0 = kiln.attention %q, %q, %q {heads = 4 : i64} : (tensor<6x32xf32>, tensor<6x32xf32>, tensor<6x32xf32>) -> tensor<6x32xf32>
  return %0 : tensor<6x32xf32>
}

// -----

func.func @attention_kv_heads(%q: tensor<1x6x32xf32>, %k: tensor<1x6x24xf32>) -> tensor<1x6x32xf32> {
  // expected-error @+1 {{'kiln.attention' op expects kv_heads to divide heads 4, got 3}}
  %0 = kiln.attention %q, %k, %k {heads = 4 : i64, kv_heads = 3 : i64} : (tensor<1x6x32xf32>, tensor<1x6x24xf32>, tensor<1x6x24xf32>) -> tensor<1x6x32xf32>
  return %0 : tensor<1x6x32xf32>
}

// -----

func.func @attention_kv_width(%q: tensor<1x6x32xf32>, %k: tensor<1x6x24xf32>) -> tensor<1x6x32xf32> {
  // expected-error @+1 {{'kiln.attention' op expects key and value of width kv_heads * head_dim = 16, got 24 and 24}}
  %0 = kiln.attention %q, %k, %k {heads = 4 : i64, kv_heads = 2 : i64} : (tensor<1x6x32xf32>, tensor<1x6x24xf32>, tensor<1x6x24xf32>) -> tensor<1x6x32xf32>
  return %0 : tensor<1x6x32xf32>
}

// -----

func.func @attention_lengths(%q: tensor<1x6x32xf32>, %k: tensor<1x7x32xf32>, %v: tensor<1x8x32xf32>) -> tensor<1x6x32xf32> {
  // expected-error @+1 {{'kiln.attention' op expects one batch size and key and value of one length, got [1, 6, 32], [1, 7, 32] and [1, 8, 32]}}
  %0 = kiln.attention %q, %k, %v {heads = 4 : i64} : (tensor<1x6x32xf32>, tensor<1x7x32xf32>, tensor<1x8x32xf32>) -> tensor<1x6x32xf32>
  return %0 : tensor<1x6x32xf32>
}

// -----

func.func @attention_missing_mask(%q: tensor<1x6x32xf32>) -> tensor<1x6x32xf32> {
  // expected-error @+1 {{'kiln.attention' op expects a mask operand for mask kind 'row_spans'}}
  %0 = kiln.attention %q, %q, %q {heads = 4 : i64, mask = #kiln.mask_kind<row_spans>} : (tensor<1x6x32xf32>, tensor<1x6x32xf32>, tensor<1x6x32xf32>) -> tensor<1x6x32xf32>
  return %0 : tensor<1x6x32xf32>
}

// -----

func.func @attention_extra_mask(%q: tensor<1x6x32xf32>, %m: tensor<1xi32>) -> tensor<1x6x32xf32> {
  // expected-error @+1 {{'kiln.attention' op expects no mask operand for mask kind 'causal'}}
  %0 = kiln.attention %q, %q, %q mask(%m) {heads = 4 : i64, mask = #kiln.mask_kind<causal>} : (tensor<1x6x32xf32>, tensor<1x6x32xf32>, tensor<1x6x32xf32>, tensor<1xi32>) -> tensor<1x6x32xf32>
  return %0 : tensor<1x6x32xf32>
}

// -----

func.func @attention_padding(%q: tensor<2x6x32xf32>, %m: tensor<2xf32>) -> tensor<2x6x32xf32> {
  // expected-error @+1 {{'kiln.attention' op expects key_padding lengths as integers of shape [2], got 'tensor<2xf32>'}}
  %0 = kiln.attention %q, %q, %q mask(%m) {heads = 4 : i64, mask = #kiln.mask_kind<key_padding>} : (tensor<2x6x32xf32>, tensor<2x6x32xf32>, tensor<2x6x32xf32>, tensor<2xf32>) -> tensor<2x6x32xf32>
  return %0 : tensor<2x6x32xf32>
}

// -----

func.func @attention_spans(%q: tensor<2x6x32xf32>, %m: tensor<2x6xi32>) -> tensor<2x6x32xf32> {
  // expected-error @+1 {{'kiln.attention' op expects row_spans as integers of shape [2, 6, 2], got 'tensor<2x6xi32>'}}
  %0 = kiln.attention %q, %q, %q mask(%m) {heads = 4 : i64, mask = #kiln.mask_kind<row_spans>} : (tensor<2x6x32xf32>, tensor<2x6x32xf32>, tensor<2x6x32xf32>, tensor<2x6xi32>) -> tensor<2x6x32xf32>
  return %0 : tensor<2x6x32xf32>
}

// -----

func.func @attention_bias(%q: tensor<2x6x32xf32>, %m: tensor<2x3x6x6xf32>) -> tensor<2x6x32xf32> {
  // expected-error @+1 {{'kiln.attention' op expects a float bias that broadcasts to [2, 4, 6, 6], got 'tensor<2x3x6x6xf32>'}}
  %0 = kiln.attention %q, %q, %q mask(%m) {heads = 4 : i64, mask = #kiln.mask_kind<bias>} : (tensor<2x6x32xf32>, tensor<2x6x32xf32>, tensor<2x6x32xf32>, tensor<2x3x6x6xf32>) -> tensor<2x6x32xf32>
  return %0 : tensor<2x6x32xf32>
}

// -----

// Applied in f32 by the kernels and in f64 by the reference: past f32's
// range one gave inf and the other finite values (found by fuzzing).
func.func @moe_scaling_factor(%x: tensor<4x8xf32>, %r: tensor<1x8xf32>, %g: tensor<6x8xf32>, %d: tensor<8x6xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.moe' op expects a finite scaling_factor within f32's range, got 1.000000e+39}}
  %0:3 = kiln.moe %x, %r experts(%g, %g, %d) {top_k = 1 : i64, scaling_factor = 1.0e39 : f64} : (tensor<4x8xf32>, tensor<1x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>) -> (tensor<4x8xf32>, tensor<1xi64>, tensor<f32>)
  return %0#0 : tensor<4x8xf32>
}

// -----

func.func @moe_aux_coefficient(%x: tensor<4x8xf32>, %r: tensor<1x8xf32>, %g: tensor<6x8xf32>, %d: tensor<8x6xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.moe' op expects a finite aux_coefficient within f32's range, got -1.000000e+300}}
  %0:3 = kiln.moe %x, %r experts(%g, %g, %d) {top_k = 1 : i64, aux_coefficient = -1.0e300 : f64} : (tensor<4x8xf32>, tensor<1x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>) -> (tensor<4x8xf32>, tensor<1xi64>, tensor<f32>)
  return %0#0 : tensor<4x8xf32>
}

// -----

func.func @moe_router(%x: tensor<4x8xf32>, %r: tensor<2x7xf32>, %g: tensor<6x8xf32>, %d: tensor<8x6xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.moe' op expects a router [E, 8], got [2, 7]}}
  %0:3 = kiln.moe %x, %r experts(%g, %g, %d, %g, %g, %d) {top_k = 1 : i64} : (tensor<4x8xf32>, tensor<2x7xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>) -> (tensor<4x8xf32>, tensor<2xi64>, tensor<f32>)
  return %0#0 : tensor<4x8xf32>
}

// -----

func.func @moe_expert_count(%x: tensor<4x8xf32>, %r: tensor<2x8xf32>, %g: tensor<6x8xf32>, %d: tensor<8x6xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.moe' op expects 3 weights (gate, up, down) for each of the 2 experts, got 3}}
  %0:3 = kiln.moe %x, %r experts(%g, %g, %d) {top_k = 1 : i64} : (tensor<4x8xf32>, tensor<2x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>) -> (tensor<4x8xf32>, tensor<2xi64>, tensor<f32>)
  return %0#0 : tensor<4x8xf32>
}

// -----

func.func @moe_expert_shape(%x: tensor<4x8xf32>, %r: tensor<1x8xf32>, %g: tensor<6x8xf32>, %d: tensor<8x5xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.moe' op expects expert 0 weights gate [F, 8], up [F, 8], down [8, F], got [6, 8], [6, 8] and [8, 5]}}
  %0:3 = kiln.moe %x, %r experts(%g, %g, %d) {top_k = 1 : i64} : (tensor<4x8xf32>, tensor<1x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x5xf32>) -> (tensor<4x8xf32>, tensor<1xi64>, tensor<f32>)
  return %0#0 : tensor<4x8xf32>
}

// -----

func.func @moe_top_k(%x: tensor<4x8xf32>, %r: tensor<1x8xf32>, %g: tensor<6x8xf32>, %d: tensor<8x6xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.moe' op expects top_k in [1, 1], got 2}}
  %0:3 = kiln.moe %x, %r experts(%g, %g, %d) {top_k = 2 : i64} : (tensor<4x8xf32>, tensor<1x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>) -> (tensor<4x8xf32>, tensor<1xi64>, tensor<f32>)
  return %0#0 : tensor<4x8xf32>
}

// -----

func.func @moe_groups(%x: tensor<4x8xf32>, %r: tensor<1x8xf32>, %g: tensor<6x8xf32>, %d: tensor<8x6xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.moe' op expects groups dividing the 1 experts and topk_groups in [1, groups], got 2 and 1}}
  %0:3 = kiln.moe %x, %r experts(%g, %g, %d) {top_k = 1 : i64, groups = 2 : i64} : (tensor<4x8xf32>, tensor<1x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>) -> (tensor<4x8xf32>, tensor<1xi64>, tensor<f32>)
  return %0#0 : tensor<4x8xf32>
}

// -----

func.func @moe_counts(%x: tensor<4x8xf32>, %r: tensor<1x8xf32>, %g: tensor<6x8xf32>, %d: tensor<8x6xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'kiln.moe' op expects counts of shape [1], got [2]}}
  %0:3 = kiln.moe %x, %r experts(%g, %g, %d) {top_k = 1 : i64, aux_loss = #kiln.aux_loss<switch>} : (tensor<4x8xf32>, tensor<1x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>) -> (tensor<4x8xf32>, tensor<2xi64>, tensor<f32>)
  return %0#0 : tensor<4x8xf32>
}

// -----

func.func @moe_sequence(%x: tensor<4x8xf32>, %r: tensor<1x8xf32>, %g: tensor<6x8xf32>, %d: tensor<8x6xf32>) {
  // expected-error @+1 {{'kiln.moe' op expects tokens [B, S, D] for the sequence loss, got [4, 8]}}
  %0:3 = kiln.moe %x, %r experts(%g, %g, %d) {top_k = 1 : i64, aux_loss = #kiln.aux_loss<sequence>} : (tensor<4x8xf32>, tensor<1x8xf32>, tensor<6x8xf32>, tensor<6x8xf32>, tensor<8x6xf32>) -> (tensor<4x8xf32>, tensor<1xi64>, tensor<f32>)
  return
}

// -----

// Sizes are positive: a zero-size tensor has no buffer and no work.
func.func @zero_size(%x: tensor<0x768xf32>, %w: tensor<64x768xf32>) -> tensor<0x64xf32> {
  // expected-error @+1 {{'kiln.linear' op operand #0 must be statically shaped tensor of 32-bit float values with positive sizes, but got 'tensor<0x768xf32>'}}
  %a = kiln.linear %x, %w : (tensor<0x768xf32>, tensor<64x768xf32>) -> tensor<0x64xf32>
  return %a : tensor<0x64xf32>
}

// -----

func.func @zero_size_param() -> tensor<4x0xf32> {
  // expected-error @+1 {{'kiln.param' op result #0 must be statically shaped tensor of 32-bit float or 32-bit signless integer or 64-bit signless integer values with positive sizes, but got 'tensor<4x0xf32>'}}
  %w = kiln.param "w" : tensor<4x0xf32>
  return %w : tensor<4x0xf32>
}

// -----

// Attributes the kernels apply in f32 must be f32 values: an epsilon of
// 1e-50 was 0 there (NaN on a constant row, 0 in the f64 reference), a
// scale of 1e39 was inf.
func.func @epsilon_below_f32(%x: tensor<3x1xf32>) -> tensor<3x1xf32> {
  // expected-error @+1 {{'kiln.layer_norm' op expects a positive epsilon that f32 holds as a normal number (at least 1.17549435e-38), got 1.000000e-50}}
  %y = kiln.layer_norm %x {epsilon = 1.0e-50 : f64} : (tensor<3x1xf32>) -> tensor<3x1xf32>
  return %y : tensor<3x1xf32>
}

// -----

func.func @scale_past_f32(%q: tensor<1x3x4xf32>, %k: tensor<1x4x4xf32>, %v: tensor<1x4x4xf32>) -> tensor<1x3x4xf32> {
  // expected-error @+1 {{'kiln.attention' op expects a positive scale that f32 holds, got 1.000000e+39}}
  %a = kiln.attention %q, %k, %v {heads = 2 : i64, kv_heads = 2 : i64, scale = 1.0e39 : f64} : (tensor<1x3x4xf32>, tensor<1x4x4xf32>, tensor<1x4x4xf32>) -> tensor<1x3x4xf32>
  return %a : tensor<1x3x4xf32>
}

// -----

// Llama 3 scaling divides by its factors and blends between the two
// frequency factors; zeros made the reference NaN.
func.func @llama3_zero(%x: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  // expected-error @+1 {{'kiln.rope' op expects llama3_factor > 0, 0 < llama3_low_freq_factor < llama3_high_freq_factor and llama3_original_max_position >= 1, got 0.000000e+00, 0.000000e+00, 0.000000e+00 and 0}}
  %r = kiln.rope %x {head_dim = 8 : i64, rotary_dim = 8 : i64, theta = 1.0e4 : f64, llama3_factor = 0.0 : f64, llama3_low_freq_factor = 0.0 : f64, llama3_high_freq_factor = 0.0 : f64, llama3_original_max_position = 0 : i64} : (tensor<2x5x8xf32>) -> tensor<2x5x8xf32>
  return %r : tensor<2x5x8xf32>
}

// -----

// 2^62 + 1 rows of 4 are 2^64 + 4 elements, which wrapped to 4.
func.func @reshape_count_wraps(%x: tensor<1x4xf32>) -> tensor<4611686018427387905x4xf32> {
  // expected-error @+1 {{'kiln.reshape' op expects element counts below 2^63, got [1, 4] to [4611686018427387905, 4]}}
  %r = kiln.reshape %x : tensor<1x4xf32> -> tensor<4611686018427387905x4xf32>
  return %r : tensor<4611686018427387905x4xf32>
}

// -----

// A resource blob's elements are read by neither the reference interpreter
// nor the compiler's folds (a reshape of one failed to compile with an
// internal error).
func.func @constant_resource() -> tensor<2xf32> {
  // expected-error @+1 {{'kiln.constant' op expects its values written in the model (dense<...>), not a dense_resource blob}}
  %c = kiln.constant dense_resource<blob1> : tensor<2xf32>
  return %c : tensor<2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      blob1: "0x040000000000803F00000040"
    }
  }
#-}
