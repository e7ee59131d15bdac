// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-form-dispatch-regions{max-group-ops=3}))" | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-form-dispatch-regions))" | FileCheck %s --check-prefix=DEFAULT

// A chain of elementwise ops is cut every max-group-ops ops: bufferizing a
// kernel costs about the cube of its op count (500 adds in one dispatch
// took 10 s to compile). The default, 64, takes the whole chain.
// CHECK-LABEL: func.func @chain
// CHECK: %[[A:.+]] = exec.dispatch_region root("kiln.add")
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: exec.yield
// CHECK: exec.dispatch_region root("kiln.add")
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[A]],
// CHECK: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: exec.yield
// DEFAULT-LABEL: func.func @chain
// DEFAULT-COUNT-1: exec.dispatch_region
// DEFAULT-NOT: exec.dispatch_region
func.func @chain(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = kiln.add %x, %y : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %1 = kiln.mul %0, %y : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %2 = kiln.sub %1, %y : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %3 = kiln.add %2, %y : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  %4 = kiln.tanh %3 : tensor<4x8xf32>
  return %4 : tensor<4x8xf32>
}
