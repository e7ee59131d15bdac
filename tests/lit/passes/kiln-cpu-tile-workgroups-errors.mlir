// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-cpu-tile-workgroups))" -split-input-file --verify-diagnostics

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

// -----

// Key ends are absolute key indices: a tile must hold all the keys.
#k_id = affine_map<(d0, d1) -> (d0, d1)>
#k_row = affine_map<(d0, d1) -> (d0)>
func.func @key_tiled(%s: tensor<32x64xf32>, %ends: tensor<32xi64>) -> tensor<32x64xf32>
    attributes {exec.workgroup_tile = array<i64: 8, 32>} {
  %e = tensor.empty() : tensor<32x64xf32>
  // expected-error @+1 {{a workgroup tile of an op with a key limit must hold all its keys}}
  %r = linalg.generic {indexing_maps = [#k_id, #k_row, #k_id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %ends : tensor<32x64xf32>, tensor<32xi64>) outs(%e : tensor<32x64xf32>) attrs = {kiln.key_end = array<i64: 1>} {
  ^bb0(%x: f32, %k: i64, %out: f32):
    %0 = math.exp %x : f32
    linalg.yield %0 : f32
  } -> tensor<32x64xf32>
  return %r : tensor<32x64xf32>
}

// -----

// A tile size outside its dimension (here a zero row tile) is refused.
#t_id = affine_map<(d0, d1) -> (d0, d1)>
// expected-error@+1 {{exec.workgroup_tile size 0 of dimension 0 does not fit size 32}}
func.func @zero_rows(%s: tensor<32x64xf32>) -> tensor<32x64xf32>
    attributes {exec.workgroup_tile = array<i64: 0, 32>} {
  %e = tensor.empty() : tensor<32x64xf32>
  %r = linalg.generic {indexing_maps = [#t_id, #t_id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<32x64xf32>) outs(%e : tensor<32x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %0 = math.exp %x : f32
    linalg.yield %0 : f32
  } -> tensor<32x64xf32>
  return %r : tensor<32x64xf32>
}

// -----

// Batch dimensions take one index per workgroup.
#b_id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// expected-error@+1 {{exec.workgroup_tile size 2 of dimension 0 does not fit size 4}}
func.func @batch_tile(%s: tensor<4x32x64xf32>) -> tensor<4x32x64xf32>
    attributes {exec.workgroup_tile = array<i64: 2, 8, 64>} {
  %e = tensor.empty() : tensor<4x32x64xf32>
  %r = linalg.generic {indexing_maps = [#b_id, #b_id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s : tensor<4x32x64xf32>) outs(%e : tensor<4x32x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %0 = math.exp %x : f32
    linalg.yield %0 : f32
  } -> tensor<4x32x64xf32>
  return %r : tensor<4x32x64xf32>
}

// -----

// The results of the tile's rank share the shape the tile was chosen for.
#m_id = affine_map<(d0, d1) -> (d0, d1)>
// expected-error@+1 {{expects the results with the rank of exec.workgroup_tile to have one shape}}
func.func @mixed_results(%s: tensor<32x256xf32>, %t: tensor<32x64xf32>) -> (tensor<32x256xf32>, tensor<32x64xf32>)
    attributes {exec.workgroup_tile = array<i64: 32, 256>} {
  %e = tensor.empty() : tensor<32x256xf32>
  %r = linalg.generic {indexing_maps = [#m_id, #m_id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<32x256xf32>) outs(%e : tensor<32x256xf32>) {
  ^bb0(%x: f32, %out: f32):
    %0 = math.exp %x : f32
    linalg.yield %0 : f32
  } -> tensor<32x256xf32>
  %e2 = tensor.empty() : tensor<32x64xf32>
  %r2 = linalg.generic {indexing_maps = [#m_id, #m_id], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<32x64xf32>) outs(%e2 : tensor<32x64xf32>) {
  ^bb0(%x: f32, %out: f32):
    %0 = math.exp %x : f32
    linalg.yield %0 : f32
  } -> tensor<32x64xf32>
  return %r, %r2 : tensor<32x256xf32>, tensor<32x64xf32>
}

// -----

// patch_embed's im2col reads pixels through `patch floordiv 12`: a 32-row
// tile would start mid-row of patches and read the wrong pixels.
#patch_pixels = affine_map<(d0, d1) -> (d0 floordiv 12, (d0 mod 12) * 8 + d1)>
#patch_id = affine_map<(d0, d1) -> (d0, d1)>
// expected-error@+1 {{exec.workgroup_tile size 32 of dimension 0 is not a multiple of 12, which ops of the dispatch divide its index by}}
func.func @rows_mid_patch_row(%pixels: tensor<4x96xf32>) -> tensor<48x8xf32>
    attributes {exec.workgroup_tile = array<i64: 32, 8>} {
  %e = tensor.empty() : tensor<48x8xf32>
  %r = linalg.generic {indexing_maps = [#patch_pixels, #patch_id], iterator_types = ["parallel", "parallel"]}
      ins(%pixels : tensor<4x96xf32>) outs(%e : tensor<48x8xf32>) {
  ^bb0(%x: f32, %out: f32):
    linalg.yield %x : f32
  } -> tensor<48x8xf32>
  return %r : tensor<48x8xf32>
}
