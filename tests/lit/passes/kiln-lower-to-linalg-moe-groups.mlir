// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg{memory-budget-kib=1}))" | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg{memory-budget-kib=1}, kiln-form-dispatch-regions))" | FileCheck %s --check-prefix=DISPATCH
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg{memory-budget-kib=0}))" | FileCheck %s --check-prefix=ONE
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg))" | FileCheck %s --check-prefix=ONE

// Three experts over 6 tokens of 8 floats: 192 bytes of output each. A
// budget of 1 KiB leaves 512 bytes for the outputs, at most two experts'
// worth, so the experts are summed in two groups of sizes differing by at
// most one, {0} and {1, 2}, each sum right after its experts. A slot
// outside the group adds nothing: a select keeps the sum (the row it
// reads is some other expert's, which may hold anything).
// CHECK-LABEL: func.func @moe
// CHECK: kiln.row_limit
// The first group's sum starts from 0; its one expert is the switch's
// default.
// CHECK: %[[FIRST:.+]] = linalg.generic {{.*}}outs(%{{.+}} : tensor<6x8xf32>) attrs = {kiln.op = "kiln.moe"} {
// CHECK-NOT: arith.subi
// CHECK: %[[E0:.+]] = arith.index_cast
// CHECK: scf.index_switch %[[E0]] -> f32
// CHECK-NEXT: default {
// CHECK: %[[IN0:.+]] = arith.cmpi ult, %[[E0]], %c1{{.*}} : index
// CHECK: arith.select %[[IN0]]
// CHECK: scf.index_switch
// CHECK: arith.select
// CHECK: linalg.yield
// Experts 1 and 2 come after the first sum; the second sum adds to the
// first and starts a dispatch of its own.
// CHECK-COUNT-8: kiln.row_limit
// CHECK: linalg.generic {{.*}}ins(%[[FIRST]] : tensor<6x8xf32>) {{.*}}kiln.starts_dispatch
// CHECK: %[[E1:.+]] = arith.subi %{{.+}}, %c1{{.*}} : index
// CHECK: scf.index_switch %[[E1]] -> f32
// CHECK-NEXT: case 0 {
// CHECK: default {
// CHECK: arith.cmpi ult, %[[E1]], %c2{{.*}} : index
// CHECK: arith.select
// CHECK-NOT: kiln.row_limit

// Each sum is its own dispatch, the first between the chains of experts 0
// and 1: only two experts' outputs are live at once.
// DISPATCH-LABEL: func.func @moe
// DISPATCH: exec.dispatch_region root("kiln.moe") -> (tensor<6x2xi64>) {
// DISPATCH: exec.dispatch_region root("kiln.moe") -> (tensor<6x8xf32>) {
// DISPATCH-NOT: exec.dispatch_region
// DISPATCH: scf.index_switch
// DISPATCH-NOT: exec.dispatch_region
// DISPATCH: scf.index_switch
// DISPATCH: exec.yield
// DISPATCH-NEXT: }
// DISPATCH-NEXT: exec.dispatch_region root("kiln.moe") -> (tensor<i64>) {
// The second sum starts its group: nothing after it in its region.
// DISPATCH: linalg.generic {{.*}}kiln.starts_dispatch
// DISPATCH-NOT: linalg.generic
// DISPATCH: exec.yield
// DISPATCH-NEXT: }
// DISPATCH-NEXT: kiln.reshape

// Without a budget, or under the default one, all three in one sum.
// ONE-LABEL: func.func @moe
// ONE: scf.index_switch
// ONE-NEXT: case 0 {
// ONE: case 1 {
// ONE: default {
// ONE-NOT: arith.cmpi ult
// ONE: scf.index_switch
// ONE-NOT: scf.index_switch
// ONE-NOT: arith.cmpi ult
// ONE-NOT: kiln.starts_dispatch
func.func @moe(%x: tensor<6x8xf32>) -> tensor<6x8xf32> {
  %r = kiln.param "gate.weight" : tensor<3x8xf32>
  %g0 = kiln.param "experts.0.w1" : tensor<4x8xf32>
  %u0 = kiln.param "experts.0.w3" : tensor<4x8xf32>
  %d0 = kiln.param "experts.0.w2" : tensor<8x4xf32>
  %g1 = kiln.param "experts.1.w1" : tensor<4x8xf32>
  %u1 = kiln.param "experts.1.w3" : tensor<4x8xf32>
  %d1 = kiln.param "experts.1.w2" : tensor<8x4xf32>
  %g2 = kiln.param "experts.2.w1" : tensor<4x8xf32>
  %u2 = kiln.param "experts.2.w3" : tensor<4x8xf32>
  %d2 = kiln.param "experts.2.w2" : tensor<8x4xf32>
  %y:3 = kiln.moe %x, %r experts(%g0, %u0, %d0, %g1, %u1, %d1, %g2, %u2, %d2) {top_k = 2 : i64}
      : (tensor<6x8xf32>, tensor<3x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x4xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x4xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x4xf32>)
      -> (tensor<6x8xf32>, tensor<3xi64>, tensor<f32>)
  return %y#0 : tensor<6x8xf32>
}
