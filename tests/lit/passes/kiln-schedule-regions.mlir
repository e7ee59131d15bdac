// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-form-dispatch-regions), kiln-outline-dispatches, func.func(kiln-schedule-regions, kiln-plan-memory))" | FileCheck %s

// Two independent GEMMs share region 0 and cannot share memory; the GEMM
// that reads both (with the add fused into it) runs in region 1 and writes
// straight into the caller's output.
// CHECK-LABEL: func.func @diamond(
// CHECK-SAME: attributes {exec.arena_size = 256 : i64}
// CHECK: exec.dispatch @diamond_dispatch_0({{.*}}) {result_offsets = array<i64: [[OFF0:[0-9]+]]>, root = "kiln.linear", schedule_region = 0 : i64}
// CHECK-NOT: array<i64: [[OFF0]]>
// CHECK: exec.dispatch @diamond_dispatch_0({{.*}}) {result_offsets = array<i64: {{[0-9]+}}>, root = "kiln.linear", schedule_region = 0 : i64}
// CHECK: exec.dispatch @diamond_dispatch_2({{.*}}) {result_offsets = array<i64: -1>, root = "kiln.linear", schedule_region = 1 : i64}
func.func @diamond(%x: tensor<4x8xf32>, %w0: tensor<8x8xf32>, %w1: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %a = kiln.linear %x, %w0 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %b = kiln.linear %x, %w1 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %c = kiln.linear %a, %w0 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %d = kiln.add %c, %b : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}

// A chain reuses memory: a buffer is dead once the region after it read it.
// CHECK-LABEL: func.func @chain(
// CHECK-SAME: attributes {exec.arena_size = 256 : i64}
// CHECK: result_offsets = array<i64: 0>, {{.*}}schedule_region = 0
// CHECK: result_offsets = array<i64: 128>, {{.*}}schedule_region = 1
// CHECK: result_offsets = array<i64: 0>, {{.*}}schedule_region = 2
// CHECK: result_offsets = array<i64: -1>, {{.*}}schedule_region = 3
func.func @chain(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
  %a = kiln.linear %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %b = kiln.linear %a, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %c = kiln.linear %b, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %d = kiln.linear %c, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}
