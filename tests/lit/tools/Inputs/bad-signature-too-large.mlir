// A signature the runtime's loader refuses (found by a robustness fuzzer:
// it compiled to an artifact that kiln-run then rejected).
func.func @too_large(%x: tensor<1152921504606846977xf32>) -> tensor<4xf32> {
  %y = kiln.slice %x {offsets = array<i64: 0>, sizes = array<i64: 4>, strides = array<i64: 1>} : tensor<1152921504606846977xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}
