// A function that every pipeline accepts (kiln-opt-errors.test).
func.func @f(%a: f32) -> f32 {
  %0 = arith.addf %a, %a : f32
  return %0 : f32
}
