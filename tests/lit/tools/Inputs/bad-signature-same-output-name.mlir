// A signature the runtime's loader refuses (found by a robustness fuzzer:
// it compiled to an artifact that kiln-run then rejected).
func.func @same_output_name(%x: tensor<4xf32>) -> (tensor<4xf32> {kiln.name = "y"}, tensor<4xf32> {kiln.name = "y"}) {
  %a = kiln.neg %x : tensor<4xf32>
  %b = kiln.exp %x : tensor<4xf32>
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}
