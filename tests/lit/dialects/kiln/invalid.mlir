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
  // expected-error @+1 {{'kiln.layer_norm' op expects a positive epsilon, got 0}}
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
