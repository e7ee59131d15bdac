// A signature the runtime's loader refuses (found by a robustness fuzzer:
// it compiled to an artifact that kiln-run then rejected).
func.func @nul_in_name(%x: tensor<4xf32>) -> (tensor<4xf32> {kiln.name = "a\00b"}) {
  %y = kiln.neg %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
