// More workgroups along one grid axis than an artifact's 32-bit grid holds
// (found compiling Show-o at L = 2^31: the count wrapped to 0 and kiln-run
// refused the artifact).
func.func @many_rows(%x: tensor<4294967296x1x1xf32>) -> tensor<4294967296x1x1xf32> {
  %y = kiln.gelu %x : tensor<4294967296x1x1xf32>
  return %y : tensor<4294967296x1x1xf32>
}
