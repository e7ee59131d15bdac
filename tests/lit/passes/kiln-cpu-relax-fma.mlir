// RUN: kiln-opt %s --kiln-cpu-relax-fma | FileCheck %s

// Exact fused multiply-adds, scalar and vector, become fmuladd with the
// same operands and fast-math flags; nothing else changes.
// CHECK-LABEL: llvm.func @kernel
// CHECK-SAME: (%[[A:.*]]: f32, %[[B:.*]]: f32, %[[C:.*]]: f32, %[[V:.*]]: vector<8xf32>)
// CHECK-NOT: llvm.intr.fma(
// CHECK: %[[S:.*]] = llvm.intr.fmuladd(%[[A]], %[[B]], %[[C]]) : (f32, f32, f32) -> f32
// CHECK: %[[W:.*]] = llvm.intr.fmuladd(%[[V]], %[[V]], %[[V]]) {fastmathFlags = #llvm.fastmath<contract>} : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
// CHECK: %[[M:.*]] = llvm.fmul %[[S]], %[[A]] : f32
// CHECK: llvm.return %[[M]]
llvm.func @kernel(%a: f32, %b: f32, %c: f32, %v: vector<8xf32>) -> f32 {
  %s = llvm.intr.fma(%a, %b, %c) : (f32, f32, f32) -> f32
  %w = llvm.intr.fma(%v, %v, %v) {fastmathFlags = #llvm.fastmath<contract>} : (vector<8xf32>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
  %m = llvm.fmul %s, %a : f32
  llvm.return %m : f32
}
