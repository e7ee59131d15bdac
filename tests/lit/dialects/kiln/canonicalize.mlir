// RUN: kiln-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @reshape_chain
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xf32>)
// CHECK: %[[R:.+]] = kiln.reshape %[[X]] : tensor<2x3x4xf32> -> tensor<24xf32>
// CHECK: return %[[R]]
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> tensor<24xf32> {
  %0 = kiln.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = kiln.reshape %0 : tensor<6x4xf32> -> tensor<24xf32>
  return %1 : tensor<24xf32>
}

// -----

// A reshape of a constant is the constant in the new shape, made by an op
// of the constant's own kind (a reshape is a view, and a constant has no
// buffer to view).
// CHECK-LABEL: func.func @reshape_constants
// CHECK-DAG: %[[K:.+]] = kiln.constant dense<{{\[}}[1.000000e+00], [2.000000e+00], [3.000000e+00]]> : tensor<3x1xf32>
// CHECK-DAG: %[[A:.+]] = arith.constant dense<0.000000e+00> : tensor<1xf32>
// CHECK-NOT: kiln.reshape
// CHECK: return %[[K]], %[[A]]
func.func @reshape_constants() -> (tensor<3x1xf32>, tensor<1xf32>) {
  %c = kiln.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = kiln.reshape %c : tensor<3xf32> -> tensor<3x1xf32>
  %a = arith.constant dense<0.0> : tensor<f32>
  %1 = kiln.reshape %a : tensor<f32> -> tensor<1xf32>
  return %0, %1 : tensor<3x1xf32>, tensor<1xf32>
}

// -----

// CHECK-LABEL: func.func @identities
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
// CHECK-NOT: kiln.
// CHECK: return %[[X]], %[[X]], %[[X]], %[[X]], %[[X]]
func.func @identities(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = kiln.reshape %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = kiln.transpose %x {permutation = array<i64: 0, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %2 = kiln.broadcast %x : tensor<2x3xf32> -> tensor<2x3xf32>
  %3 = kiln.concat %x {axis = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = kiln.slice %x {offsets = array<i64: 0, 0>, sizes = array<i64: 2, 3>, strides = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0, %1, %2, %3, %4 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Two transposes compose into one; back to the identity they vanish.
// CHECK-LABEL: func.func @transpose_chain
// CHECK-SAME: (%[[X:.+]]: tensor<2x3x4xf32>)
// CHECK: %[[T:.+]] = kiln.transpose %[[X]] {permutation = array<i64: 1, 2, 0>}
// CHECK: return %[[T]], %[[X]]
func.func @transpose_chain(%x: tensor<2x3x4xf32>) -> (tensor<3x4x2xf32>, tensor<2x3x4xf32>) {
  %0 = kiln.transpose %x {permutation = array<i64: 0, 2, 1>} : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  %1 = kiln.transpose %0 {permutation = array<i64: 2, 1, 0>} : tensor<2x4x3xf32> -> tensor<3x4x2xf32>
  %2 = kiln.transpose %0 {permutation = array<i64: 0, 2, 1>} : tensor<2x4x3xf32> -> tensor<2x3x4xf32>
  return %1, %2 : tensor<3x4x2xf32>, tensor<2x3x4xf32>
}

// -----

// A strided or offset slice stays; constants fold into uses.
// CHECK-LABEL: func.func @kept
// CHECK-DAG: kiln.slice
// CHECK-DAG: kiln.constant dense<2.000000e+00> : tensor<f32>
func.func @kept(%x: tensor<4xf32>) -> (tensor<2xf32>, tensor<f32>) {
  %0 = kiln.slice %x {offsets = array<i64: 1>, sizes = array<i64: 2>, strides = array<i64: 1>} : tensor<4xf32> -> tensor<2xf32>
  %1 = kiln.constant dense<2.0> : tensor<f32>
  return %0, %1 : tensor<2xf32>, tensor<f32>
}
