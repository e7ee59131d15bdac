// A signature the runtime's loader refuses (found by a robustness fuzzer:
// it compiled to an artifact that kiln-run then rejected).
func.func @empty_input_name(%x: tensor<4xf32> {kiln.name = "x"}, %z: tensor<4xf32> {kiln.name = ""}) -> tensor<4xf32> {
  %y = kiln.add %x, %z : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}
