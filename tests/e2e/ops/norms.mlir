// Softmax along the last and a middle axis, layer norm, RMS norm, fused
// after a GEMM and alone.
func.func @norms(%x: tensor<4x20x48xf32>) -> (tensor<4x20x48xf32>, tensor<4x20x48xf32>, tensor<4x20x32xf32>, tensor<4x20x48xf32>) {
  %w = kiln.param "norm.weight" : tensor<48xf32>
  %b = kiln.param "norm.bias" : tensor<48xf32>
  %fc = kiln.param "fc.weight" : tensor<32x48xf32>
  %s = kiln.softmax %x {axis = -1 : i64} : tensor<4x20x48xf32>
  %s1 = kiln.softmax %x {axis = 1 : i64} : tensor<4x20x48xf32>
  %h = kiln.linear %x, %fc : (tensor<4x20x48xf32>, tensor<32x48xf32>) -> tensor<4x20x32xf32>
  %n = kiln.rms_norm %h {epsilon = 1.0e-6 : f64} : (tensor<4x20x32xf32>) -> tensor<4x20x32xf32>
  %l = kiln.layer_norm %s scale(%w) bias(%b) {epsilon = 1.0e-5 : f64} : (tensor<4x20x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<4x20x48xf32>
  %r = kiln.rms_norm %x scale(%w) {epsilon = 1.0e-6 : f64} : (tensor<4x20x48xf32>, tensor<48xf32>) -> tensor<4x20x48xf32>
  return %l, %s1, %n, %r : tensor<4x20x48xf32>, tensor<4x20x48xf32>, tensor<4x20x32xf32>, tensor<4x20x48xf32>
}
