// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-tile-workgroups))" --verify-diagnostics

// The count of a row-limited op must be an input of the dispatch.
#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#w = affine_map<(d0, d1, d2) -> (d2, d1)>
#y = affine_map<(d0, d1, d2) -> (d0, d1)>
#rl2_none = affine_map<(d0, d1, d2) -> ()>
func.func @row_limit_computed(%a: tensor<64x16xf32>, %w: tensor<16x32xf32>) -> tensor<64x32xf32>
    attributes {exec.workgroup_tile = array<i64: 16, 32>} {
  %zero = arith.constant 0.0 : f32
  %count = arith.constant dense<3> : tensor<i64>
  %e = tensor.empty() : tensor<64x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<64x32xf32>) -> tensor<64x32xf32>
  // expected-error@+1 {{a row limit must be one input of the whole dispatch}}
  %mm = linalg.generic {indexing_maps = [#x, #w, #rl2_none, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w, %count : tensor<64x16xf32>, tensor<16x32xf32>, tensor<i64>) outs(%init : tensor<64x32xf32>) attrs = {kiln.row_limit} {
  ^bb0(%in: f32, %in_0: f32, %n: i64, %out: f32):
    %0 = arith.mulf %in, %in_0 : f32
    %1 = arith.addf %out, %0 : f32
    linalg.yield %1 : f32
  } -> tensor<64x32xf32>
  return %mm : tensor<64x32xf32>
}
