// Broadcast inputs flowing through ops that kiln-sink-broadcasts moves the
// broadcast past (computing one copy, then broadcasting the result), and
// through ops where it must stay: the reference interpreter computes every
// copy as written. Softmax over the last axis, RMS norm, attention on
// broadcast q/k/v, a residual add, a per-head reshape, transpose and batched
// matmul, SiLU; then a product with per-batch data, and a softmax along
// the broadcast axis itself.
func.func @broadcasts(%tokens: tensor<1x6x24xf32>, %data: tensor<3x2x6x12xf32>)
    -> (tensor<3x2x6x12xf32>, tensor<3x6x24xf32>) {
  %g = kiln.param "norm.weight" : tensor<24xf32>
  %wq = kiln.param "q.weight" : tensor<24x24xf32>
  %bq = kiln.param "q.bias" : tensor<24xf32>
  %wh = kiln.param "heads.weight" : tensor<2x12x12xf32>
  %x = kiln.broadcast %tokens : tensor<1x6x24xf32> -> tensor<3x6x24xf32>
  %n = kiln.rms_norm %x scale(%g) {epsilon = 1.0e-6 : f64} : (tensor<3x6x24xf32>, tensor<24xf32>) -> tensor<3x6x24xf32>
  %sm = kiln.softmax %n : tensor<3x6x24xf32>
  %q = kiln.linear %sm, %wq, %bq : (tensor<3x6x24xf32>, tensor<24x24xf32>, tensor<24xf32>) -> tensor<3x6x24xf32>
  %a = kiln.attention %q, %n, %n {heads = 2 : i64} : (tensor<3x6x24xf32>, tensor<3x6x24xf32>, tensor<3x6x24xf32>) -> tensor<3x6x24xf32>
  %r = kiln.add %a, %x : tensor<3x6x24xf32>, tensor<3x6x24xf32> -> tensor<3x6x24xf32>
  %s = kiln.silu %r : tensor<3x6x24xf32>
  %split = kiln.reshape %s : tensor<3x6x24xf32> -> tensor<3x6x2x12xf32>
  %heads = kiln.transpose %split {permutation = array<i64: 0, 2, 1, 3>} : tensor<3x6x2x12xf32> -> tensor<3x2x6x12xf32>
  %m = kiln.matmul %heads, %wh : (tensor<3x2x6x12xf32>, tensor<2x12x12xf32>) -> tensor<3x2x6x12xf32>
  %y = kiln.mul %m, %data : tensor<3x2x6x12xf32>, tensor<3x2x6x12xf32> -> tensor<3x2x6x12xf32>
  %across = kiln.softmax %r {axis = 0 : i64} : tensor<3x6x24xf32>
  return %y, %across : tensor<3x2x6x12xf32>, tensor<3x6x24xf32>
}
