// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-expand-math{rounding-instructions=false}))" | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-expand-math))" | FileCheck %s --check-prefix=SSE41

// Without rounding instructions floor becomes -ceil(-x) and ceil, round
// and roundeven become integer conversions (and copysign, bit operations):
// no rounding op is left for LLVM to turn into a call to libm. With them
// (the default) they stay.
// CHECK-LABEL: func.func @rounding
// CHECK: arith.negf
// CHECK: arith.fptosi
// CHECK: arith.sitofp
// CHECK-NOT: math.{{floor|ceil|round}}
// CHECK: return
// SSE41-LABEL: func.func @rounding
// SSE41: math.floor
// SSE41: math.ceil
// SSE41: math.round
// SSE41: math.roundeven
func.func @rounding(%x: vector<8xf32>, %y: f32) -> (vector<8xf32>, f32, f32, vector<8xf32>) {
  %f = math.floor %x : vector<8xf32>
  %c = math.ceil %y : f32
  %r = math.round %y : f32
  %e = math.roundeven %x : vector<8xf32>
  return %f, %c, %r, %e : vector<8xf32>, f32, f32, vector<8xf32>
}
