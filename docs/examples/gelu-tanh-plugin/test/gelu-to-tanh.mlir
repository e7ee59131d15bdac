// gelu-to-tanh rewrites the exact GELUs of the layers it is given, by the
// parameter name of the linear that feeds each one, and no others.

// RUN: kiln-opt --load-pass-plugin=%plugin %s \
// RUN:   --pass-pipeline='builtin.module(func.func(gelu-to-tanh{layers=encoder.layer.1}))' \
// RUN:   | FileCheck %s --check-prefix=ONE
// RUN: kiln-opt --load-pass-plugin=%plugin %s \
// RUN:   --pass-pipeline='builtin.module(func.func(gelu-to-tanh{layers=encoder.layer.0,encoder.layer.10}))' \
// RUN:   | FileCheck %s --check-prefix=TWO
// RUN: kiln-opt --load-pass-plugin=%plugin %s --gelu-to-tanh | FileCheck %s --check-prefix=ALL

// ONE-LABEL: func.func @layers
// ONE:  kiln.gelu %{{.*}} : tensor<4x16xf32>
// ONE:  kiln.gelu %{{.*}} approximation tanh : tensor<4x16xf32>
// ONE:  kiln.gelu %{{.*}} : tensor<4x16xf32>
// ONE:  kiln.gelu %{{.*}} approximation quick
// ONE:  kiln.gelu %arg0 : tensor<4x8xf32>

// TWO-LABEL: func.func @layers
// TWO:  kiln.gelu %{{.*}} approximation tanh : tensor<4x16xf32>
// TWO:  kiln.gelu %{{.*}} : tensor<4x16xf32>
// TWO:  kiln.gelu %{{.*}} approximation tanh : tensor<4x16xf32>

// Without `layers`, every exact GELU; a quick GELU stays quick.
// ALL-LABEL: func.func @layers
// ALL-COUNT-3: kiln.gelu %{{.*}} approximation tanh : tensor<4x16xf32>
// ALL:  kiln.gelu %{{.*}} approximation quick
// ALL:  kiln.gelu %arg0 approximation tanh : tensor<4x8xf32>

func.func @layers(%x: tensor<4x8xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x8xf32>) {
  %w0 = kiln.param "encoder.layer.0.intermediate.dense.weight" : tensor<16x8xf32>
  %w1 = kiln.param "encoder.layer.1.intermediate.dense.weight" : tensor<16x8xf32>
  %w10 = kiln.param "encoder.layer.10.intermediate.dense.weight" : tensor<16x8xf32>
  %h0 = kiln.linear %x, %w0 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %h1 = kiln.linear %x, %w1 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %h10 = kiln.linear %x, %w10 : (tensor<4x8xf32>, tensor<16x8xf32>) -> tensor<4x16xf32>
  %g0 = kiln.gelu %h0 : tensor<4x16xf32>
  %g1 = kiln.gelu %h1 : tensor<4x16xf32>
  %g10 = kiln.gelu %h10 : tensor<4x16xf32>
  %q1 = kiln.gelu %h1 approximation quick : tensor<4x16xf32>
  // Not fed by a linear: in no layer.
  %gx = kiln.gelu %x : tensor<4x8xf32>
  return %g0, %g1, %g10, %q1, %gx : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x8xf32>
}
