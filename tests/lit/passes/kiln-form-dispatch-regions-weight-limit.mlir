// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-form-dispatch-regions))" -split-input-file | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg, kiln-form-dispatch-regions{row-fusion-weight-limit-mib=64}))" -split-input-file | FileCheck %s --check-prefix=RAISED

// A layer norm joins the GEMM before it while B stays within the limit
// (16 MiB by default): 1024 x 4000 floats are 15.6 MiB.
// CHECK-LABEL: func.func @within_limit
// CHECK: exec.dispatch_region root("kiln.linear")
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT: linalg.generic
// CHECK: exec.yield
// CHECK-NOT: exec.dispatch_region
// CHECK: return
func.func @within_limit(%x: tensor<8x4000xf32>, %w: tensor<1024x4000xf32>, %g: tensor<1024xf32>) -> tensor<8x1024xf32> {
  %o = kiln.linear %x, %w : (tensor<8x4000xf32>, tensor<1024x4000xf32>) -> tensor<8x1024xf32>
  %y = kiln.layer_norm %o scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<8x1024xf32>, tensor<1024xf32>) -> tensor<8x1024xf32>
  return %y : tensor<8x1024xf32>
}

// -----

// 1024 x 4200 floats are 16.4 MiB: whole-row workgroups would each read
// all of B, so the norm starts a dispatch of its own; a raised limit fuses
// it again.
// CHECK-LABEL: func.func @over_limit
// CHECK: %[[GEMM:.+]] = exec.dispatch_region root("kiln.linear")
// CHECK: exec.yield
// CHECK: exec.dispatch_region root("kiln.layer_norm")
// CHECK: linalg.generic {{.*}}ins(%[[GEMM]], %[[GEMM]] :
// RAISED-LABEL: func.func @over_limit
// RAISED: exec.dispatch_region root("kiln.linear")
// RAISED-NOT: exec.dispatch_region
// RAISED: return
func.func @over_limit(%x: tensor<8x4200xf32>, %w: tensor<1024x4200xf32>, %g: tensor<1024xf32>) -> tensor<8x1024xf32> {
  %o = kiln.linear %x, %w : (tensor<8x4200xf32>, tensor<1024x4200xf32>) -> tensor<8x1024xf32>
  %y = kiln.layer_norm %o scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<8x1024xf32>, tensor<1024xf32>) -> tensor<8x1024xf32>
  return %y : tensor<8x1024xf32>
}
