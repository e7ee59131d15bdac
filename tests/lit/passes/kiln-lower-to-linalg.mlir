// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg{keys-in-place-rows=128}))" -split-input-file | FileCheck %s
// With the default limit (224, AVX-512's), 128 rows per head read the keys
// in place: no panels.
// RUN: kiln-opt %s --pass-pipeline="builtin.module(func.func(kiln-lower-to-linalg))" -split-input-file | FileCheck %s --check-prefix=DEFAULT

// A linear: a contraction over (rows.., n, k) reading W[n, k], then a bias.
// CHECK-DAG: #[[X:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[W:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[Y:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[IN:.+]]: tensor<2x3x4xf32>, %[[WT:.+]]: tensor<8x4xf32>, %[[B:.+]]: tensor<8xf32>)
// CHECK: %[[ZERO:.+]] = linalg.fill
// CHECK: %[[MM:.+]] = linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[IN]], %[[WT]] : {{.*}}) outs(%[[ZERO]] : tensor<2x3x8xf32>) attrs = {kiln.op = "kiln.linear"}
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[BIASED:.+]] = linalg.generic
// CHECK-SAME: ins(%[[MM]], %[[B]] : tensor<2x3x8xf32>, tensor<8xf32>)
// CHECK: return %[[BIASED]]
// CHECK-NOT: kiln.linear
func.func @linear(%x: tensor<2x3x4xf32>, %w: tensor<8x4xf32>, %b: tensor<8xf32>) -> tensor<2x3x8xf32> {
  %0 = kiln.linear %x, %w, %b : (tensor<2x3x4xf32>, tensor<8x4xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
  return %0 : tensor<2x3x8xf32>
}

// -----

// A matmul reading A transposed copies A into [.., m, k] first, so that
// the GEMM reads A with k last; B read transposed stays in its maps.
// CHECK-DAG: #[[SWAP:.+]] = affine_map<(d0, d1, d2) -> (d0, d2, d1)>
// CHECK-DAG: #[[ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[A:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[BT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-LABEL: func.func @matmul_transposed
// CHECK-SAME: (%[[AT:.+]]: tensor<2x4x3xf32>, %[[BT_IN:.+]]: tensor<2x5x4xf32>)
// CHECK: %[[COPY:.+]] = linalg.generic {indexing_maps = [#[[SWAP]], #[[ID3]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[AT]] : tensor<2x4x3xf32>) outs(%{{.+}} : tensor<2x3x4xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[A]], #[[BT]], #{{.+}}]
// CHECK-SAME: ins(%[[COPY]], %[[BT_IN]] : tensor<2x3x4xf32>, tensor<2x5x4xf32>)
func.func @matmul_transposed(%at: tensor<2x4x3xf32>, %bt: tensor<2x5x4xf32>) -> tensor<2x3x5xf32> {
  %0 = kiln.matmul %at, %bt {transpose_lhs, transpose_rhs} : (tensor<2x4x3xf32>, tensor<2x5x4xf32>) -> tensor<2x3x5xf32>
  return %0 : tensor<2x3x5xf32>
}

// -----

// A reduction that keeps the last dim keeps the loops in tensor order. A
// sum over 64 rows first sums blocks of 8 rows through a reshape, then the
// 8 partial sums; softmax along dim 0 takes its max in one pass and sums
// exp(x - max) by the same blocks.
// CHECK-DAG: #[[ID3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[DROP1:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[ID2:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[LAST3:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @reduce_rows
// CHECK-SAME: (%[[X:.+]]: tensor<64x33xf32>)
// CHECK: %[[VIEW:.+]] = kiln.reshape %[[X]] : tensor<64x33xf32> -> tensor<8x8x33xf32>
// CHECK: %[[PART:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[DROP1]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%[[VIEW]] : tensor<8x8x33xf32>) outs(%{{.+}} : tensor<8x33xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[COL]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME: ins(%[[PART]] : tensor<8x33xf32>) outs(%{{.+}} : tensor<33xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[COL]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<64x33xf32>) outs(%{{.+}} : tensor<33xf32>)
// CHECK: arith.maximumf
// CHECK: %[[SVIEW:.+]] = kiln.reshape %[[X]] : tensor<64x33xf32> -> tensor<8x8x33xf32>
// CHECK: %[[SPART:.+]] = linalg.generic {indexing_maps = [#[[ID3]], #[[LAST3]], #[[DROP1]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%[[SVIEW]], %{{.+}} : tensor<8x8x33xf32>, tensor<33xf32>)
// CHECK: math.exp
// CHECK: linalg.generic {indexing_maps = [#[[ID2]], #[[COL]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME: ins(%[[SPART]] : tensor<8x33xf32>) outs(%{{.+}} : tensor<33xf32>)
func.func @reduce_rows(%x: tensor<64x33xf32>) -> (tensor<33xf32>, tensor<64x33xf32>) {
  %0 = kiln.reduce sum %x {axes = array<i64: 0>} : tensor<64x33xf32> -> tensor<33xf32>
  %1 = kiln.softmax %x {axis = 0 : i64} : tensor<64x33xf32>
  return %0, %1 : tensor<33xf32>, tensor<64x33xf32>
}

// -----

// A linear with at most 4 outputs is rows of dot products: its contraction
// is marked kiln.dot_rows (no GEMM, no panels); 5 outputs are a GEMM.
// CHECK-LABEL: func.func @dot_rows
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.+}} : tensor<8x4xf32>) attrs = {kiln.dot_rows, kiln.op = "kiln.linear"}
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.+}} : tensor<8x5xf32>) attrs = {kiln.op = "kiln.linear"}
func.func @dot_rows(%x: tensor<8x16xf32>, %w4: tensor<4x16xf32>, %w5: tensor<5x16xf32>) -> (tensor<8x4xf32>, tensor<8x5xf32>) {
  %0 = kiln.linear %x, %w4 : (tensor<8x16xf32>, tensor<4x16xf32>) -> tensor<8x4xf32>
  %1 = kiln.linear %x, %w5 : (tensor<8x16xf32>, tensor<5x16xf32>) -> tensor<8x5xf32>
  return %0, %1 : tensor<8x4xf32>, tensor<8x5xf32>
}

// -----

// Broadcasting reads size-1 dimensions at index 0 and drops missing ones.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-LABEL: func.func @broadcast
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]]
// CHECK: arith.subf
func.func @broadcast(%a: tensor<2x3x4xf32>, %b: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  %0 = kiln.sub %a, %b : tensor<2x3x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// CHECK-LABEL: func.func @gelu
// CHECK: math.erf
// CHECK: math.tanh
// CHECK: math.exp
// CHECK-SAME: f32
func.func @gelu(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = kiln.gelu %x : tensor<4xf32>
  %1 = kiln.gelu %x approximation tanh : tensor<4xf32>
  %2 = kiln.gelu %x approximation quick : tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Layer norm: a row sum of x - x0 (x0 the row's first element, read through
// (d0, d1) -> (d0, 0)), a centred row sum of squares around the mean x0 +
// sum / D, then the affine normalisation; epsilon is inside the square
// root.
// CHECK-DAG: #[[FIRST:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x8xf32>
// CHECK: %[[SUM:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[FIRST]], #{{.+}}], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[X]] :
// CHECK: arith.subf
// CHECK: %[[SQ:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[FIRST]], #{{.+}}, #{{.+}}], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[X]], %[[SUM]] :
// CHECK: %[[SCALED:.+]] = arith.mulf %{{.+}}, %{{.+}} : f32
// CHECK: arith.addf %{{.+}}, %[[SCALED]] : f32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[X]], %[[X]], %[[SUM]], %[[SQ]], %{{.*}}, %{{.*}} :
// CHECK: arith.constant 9.99999997E-7 : f32
// CHECK: math.rsqrt
func.func @layer_norm(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %0 = kiln.layer_norm %x scale(%g) bias(%b) {epsilon = 1.0e-6 : f64}
      : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// A rank-1 norm is one row: its statistics are rank-0, read through
// (d0) -> (). (A null map for them crashed the lowering.)
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0) -> ()>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @rms_norm_rank1
// CHECK: %[[SQ:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["reduction"]}
// CHECK-SAME: outs(%{{.+}} : tensor<f32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]], #[[ID]]], iterator_types = ["parallel"]}
// CHECK-SAME: ins(%{{.*}}, %[[SQ]], %{{.*}} : tensor<5xf32>, tensor<f32>, tensor<5xf32>)
func.func @rms_norm_rank1(%x: tensor<5xf32>, %g: tensor<5xf32>) -> tensor<5xf32> {
  %0 = kiln.rms_norm %x scale(%g) {epsilon = 1.0e-6 : f64} : (tensor<5xf32>, tensor<5xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

// Parameters stay: the artifact writer turns them into constants.
// CHECK-LABEL: func.func @param
// CHECK: kiln.param "w"
func.func @param() -> tensor<4xf32> {
  %w = kiln.param "w" : tensor<4xf32>
  return %w : tensor<4xf32>
}

// -----

// MoE: the routing, then per expert the count of its rows, the token of
// each row, the gather and three GEMMs, all four row-limited by the count
// (kiln.row_limit, the count the last input; 6 tokens x top-2 / 2 experts
// = 6 rows expected per expert); then the weighted sum picks
// each slot's expert output with a switch whose default is the last
// expert (ids come from top-k), so every region loads one element.
// CHECK-LABEL: func.func @moe
// CHECK: %[[COUNT:.+]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%{{.+}} : tensor<6xi64>) outs(%{{.+}} : tensor<i64>)
// CHECK: arith.maxsi
// CHECK: %[[ROWS:.+]] = linalg.generic {{.*}} ins(%{{.+}}, %[[COUNT]] : tensor<6xi64>, tensor<i64>) {{.*}} kiln.row_limit = 6 : i64
// CHECK: linalg.generic {{.*}} ins(%[[ROWS]], %{{.+}}, %[[COUNT]] : tensor<6x8xf32>, tensor<4x8xf32>, tensor<i64>) {{.*}} kiln.row_limit
// CHECK: linalg.generic {{.*}} ins(%[[ROWS]], %{{.+}}, %[[COUNT]] : tensor<6x8xf32>, tensor<4x8xf32>, tensor<i64>) {{.*}} kiln.row_limit
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}}, %[[COUNT]] : tensor<6x4xf32>, tensor<8x4xf32>, tensor<i64>) {{.*}} kiln.row_limit
// CHECK: arith.maxsi
// CHECK-COUNT-4: kiln.row_limit
// CHECK-NOT: kiln.row_limit
// CHECK: scf.index_switch
// CHECK-NEXT: case 0 {
// CHECK-NEXT: tensor.extract
// CHECK-NEXT: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: default {
// CHECK-NEXT: tensor.extract
// CHECK-NEXT: scf.yield
// CHECK: scf.index_switch
func.func @moe(%x: tensor<6x8xf32>) -> tensor<6x8xf32> {
  %r = kiln.param "gate.weight" : tensor<2x8xf32>
  %g0 = kiln.param "experts.0.w1" : tensor<4x8xf32>
  %u0 = kiln.param "experts.0.w3" : tensor<4x8xf32>
  %d0 = kiln.param "experts.0.w2" : tensor<8x4xf32>
  %g1 = kiln.param "experts.1.w1" : tensor<4x8xf32>
  %u1 = kiln.param "experts.1.w3" : tensor<4x8xf32>
  %d1 = kiln.param "experts.1.w2" : tensor<8x4xf32>
  %y:3 = kiln.moe %x, %r experts(%g0, %u0, %d0, %g1, %u1, %d1) {top_k = 2 : i64}
      : (tensor<6x8xf32>, tensor<2x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x4xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<8x4xf32>)
      -> (tensor<6x8xf32>, tensor<2xi64>, tensor<f32>)
  return %y#0 : tensor<6x8xf32>
}

// -----

// Causal attention with more keys than queries (a kv cache): the key end
// of row i is i + Sk - Sq + 1 = i + 5, clamped to [0, 8); every op from the
// scores to the product with V carries a key limit on its key loop with the
// ends [B, Sq] as its last input, read by (batch, query row).
// CHECK-LABEL: func.func @causal_attention
// CHECK: %[[ENDS:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<1x4xi64>)
// CHECK: arith.addi %{{.+}}, %c5{{.*}} : index
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}}, %[[ENDS]] : {{.*}}kiln.key_end = array<i64: 3>
// The mask op keeps keys below the row's end: its range begins at 0.
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[ENDS]] : {{.*}}kiln.key_end = array<i64: 3>{{.*}}kiln.visible_range = array<i64>}
// CHECK: arith.cmpi slt, %{{.+}}, %{{.+}} : index
// CHECK-NOT: arith.cmpi sge
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[ENDS]] : {{.*}}kiln.key_end = array<i64: 3>
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}}, %[[ENDS]] : {{.*}}kiln.key_end = array<i64: 3>
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}}, %{{.+}}, %[[ENDS]] : {{.*}}kiln.key_end = array<i64: 3>
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}}, %[[ENDS]] : {{.*}}kiln.key_end = array<i64: 4>
// CHECK-NOT: kiln.key_end
func.func @causal_attention(%q: tensor<1x4x16xf32>, %kv: tensor<1x8x16xf32>) -> tensor<1x4x16xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 2 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<1x4x16xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32>) -> tensor<1x4x16xf32>
  return %a : tensor<1x4x16xf32>
}

// -----

// Row spans: the key range of row i is [lo[b, i], hi[b, i]), clamped to
// [0, Sk]; a row whose span is empty sees every key under `all_keys`, so
// its range is [0, Sk). The ends are the key limit; the mask op also reads
// the begins and says that it hides exactly the keys outside the range.
// CHECK-LABEL: func.func @span_attention
// CHECK: %[[RANGES:.+]]:2 = linalg.generic {{.*}} outs(%{{.+}}, %{{.+}} : tensor<1x4xi64>, tensor<1x4xi64>)
// CHECK: %[[ANY:.+]] = arith.cmpi slt
// CHECK: %[[FIRST:.+]] = arith.select %[[ANY]], %{{.+}}, %c0{{.*}} : index
// CHECK: %[[END:.+]] = arith.select %[[ANY]], %{{.+}}, %c8{{.*}} : index
// CHECK: %[[FIRST64:.+]] = arith.index_cast %[[FIRST]] : index to i64
// CHECK: %[[END64:.+]] = arith.index_cast %[[END]] : index to i64
// CHECK: linalg.yield %[[FIRST64]], %[[END64]]
// CHECK: kiln.key_end
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[RANGES]]#0, %[[RANGES]]#1 : {{.*}}) {{.*}}kiln.attention_part = "mask", kiln.key_end = array<i64: 3>{{.*}}kiln.visible_range = array<i64: 1>
// CHECK: %[[J:.+]] = linalg.index 3
// CHECK: arith.cmpi slt, %[[J]]
// CHECK: arith.cmpi sge, %[[J]]
// CHECK-COUNT-4: kiln.key_end
func.func @span_attention(%q: tensor<1x4x16xf32>, %kv: tensor<1x8x16xf32>, %spans: tensor<1x4x2xi32>) -> tensor<1x4x16xf32> {
  %a = kiln.attention %q, %kv, %kv mask(%spans) {heads = 2 : i64, mask = #kiln.mask_kind<row_spans>, empty_rows = #kiln.empty_rows<all_keys>}
      : (tensor<1x4x16xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32>, tensor<1x4x2xi32>) -> tensor<1x4x16xf32>
  return %a : tensor<1x4x16xf32>
}

// -----

// With one head, the product with V ([B, 1, Sq, dh]) is the result's
// [B, Sq, 1, dh] already: a reshape, not a transpose, returns it.
// CHECK-LABEL: func.func @single_head_attention
// CHECK: %[[PV:.+]] = linalg.generic {{.*}} outs(%{{.+}} : tensor<1x1x4x16xf32>) attrs =  {kiln.attention_part = "pv"
// CHECK: %[[OUT:.+]] = kiln.reshape %[[PV]] : tensor<1x1x4x16xf32> -> tensor<1x4x16xf32>
// CHECK-NEXT: return %[[OUT]]
func.func @single_head_attention(%q: tensor<1x4x16xf32>, %kv: tensor<1x8x16xf32>) -> tensor<1x4x16xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 1 : i64}
      : (tensor<1x4x16xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32>) -> tensor<1x4x16xf32>
  return %a : tensor<1x4x16xf32>
}

// -----

// Head dim 16: the scale 1/4 is a power of two, so (q . k/4) equals
// (q . k)/4 bit for bit and the keys' panels (128 rows per head) apply it. Nothing else is
// left for a mask op, and the softmax reads the scores.
// CHECK-LABEL: func.func @power_of_two_scale
// DEFAULT-LABEL: func.func @power_of_two_scale
// DEFAULT-NOT: tensor<1x2x1x16x32xf32>
// DEFAULT: kiln.attention_part = "scores"
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<1x2x1x16x32xf32>)
// CHECK: arith.mulf %{{.+}}, %cst{{.*}} : f32
// CHECK: %[[S:.+]] = linalg.generic {{.*}}kiln.attention_part = "scores"
// CHECK-NOT: kiln.attention_part = "mask"
// CHECK: linalg.generic {{.*}} ins(%[[S]] : {{.*}}kiln.attention_part = "max"
func.func @power_of_two_scale(%q: tensor<1x128x32xf32>, %kv: tensor<1x8x32xf32>) -> tensor<1x128x32xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 2 : i64}
      : (tensor<1x128x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>) -> tensor<1x128x32xf32>
  return %a : tensor<1x128x32xf32>
}

// -----

// Head dim 8: 8^-0.5 is not a power of two and `scale_on` is the scores,
// so the mask op scales them (the keys' panels do not).
// CHECK-LABEL: func.func @scores_scale
// DEFAULT-LABEL: func.func @scores_scale
// CHECK: linalg.generic {{.*}} outs(%{{.+}} : tensor<1x4x1x8x32xf32>)
// CHECK-NOT: arith.mulf
// CHECK: kiln.attention_part = "scores"
// CHECK: linalg.generic {{.*}}kiln.attention_part = "mask"{{.*}}kiln.score_scale = 0.353553385 : f32
// CHECK: arith.mulf
func.func @scores_scale(%q: tensor<1x128x32xf32>, %kv: tensor<1x8x32xf32>) -> tensor<1x128x32xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 4 : i64}
      : (tensor<1x128x32xf32>, tensor<1x8x32xf32>, tensor<1x8x32xf32>) -> tensor<1x128x32xf32>
  return %a : tensor<1x128x32xf32>
}

// -----

// Attention reads its keys and values in panels of 32 per batch and kv
// head: keys [B, Hkv, ceil(Sk / 32), dh, 32], zero past the last key (the
// row index clamped to stay in bounds), values [B, Hkv, dh / 32, Sk, 32]
// (a head dim that is a multiple of 32), each copied once by a generic of
// its own, when at least 128 rows read each kv head. With 16 queries
// under GQA (eight heads per kv head) the heads of a group become rows of
// their kv head: the queries are copied into [B, Sq G, Hkv, dh] (row i G +
// g is query i of head hk G + g), one kv head of 128 rows. Both GEMMs read
// their panels through the same map. With one kv head the product with V,
// [B, 1, Sq G, dh], is the result [B, Sq, G dh] already (a reshape). The
// scale, 1/16, is a power of two: the key panels carry it.
// CHECK-DAG: #[[ROWS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1 floordiv 8, d2 * 8 + d1 mod 8, d3)>
// CHECK-DAG: #[[KOUT:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4, d3)>
// CHECK-DAG: #[[PANELS:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d3 floordiv 32, d4, d3 mod 32)>
// CHECK-DAG: #[[PACK:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d2 * 32 + d4)>
// CHECK-LABEL: func.func @wide_head_attention
// CHECK: %[[Q:.+]] = linalg.generic {indexing_maps = [#[[ROWS]], #{{.+}}]{{.*}} ins(%{{.+}} : tensor<1x16x8x256xf32>) outs(%{{.+}} : tensor<1x128x1x256xf32>)
// CHECK: %[[KP:.+]] = linalg.generic {indexing_maps = [#[[KOUT]]]{{.*}} outs(%{{.+}} : tensor<1x1x1x256x32xf32>)
// CHECK: %[[KEY:.+]] = arith.addi
// CHECK: %[[IN:.+]] = arith.cmpi slt, %[[KEY]], %c6
// CHECK: %[[ROW:.+]] = arith.minsi %[[KEY]], %c5
// CHECK: %[[X:.+]] = tensor.extract %{{.+}}[%{{.+}}, %[[ROW]], %{{.+}}, %{{.+}}]
// CHECK: %[[SCALED:.+]] = arith.mulf %[[X]], %cst{{.*}} : f32
// CHECK: arith.select %[[IN]], %[[SCALED]], %{{.+}}
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PANELS]], #{{.+}}]{{.*}} ins(%[[Q]], %[[KP]] : tensor<1x128x1x256xf32>, tensor<1x1x1x256x32xf32>) {{.*}}kiln.attention_part = "scores"
// CHECK: %[[VP:.+]] = linalg.generic {indexing_maps = [#[[PACK]], #{{.+}}]{{.*}} outs(%{{.+}} : tensor<1x1x8x6x32xf32>)
// CHECK: %[[PV:.+]] = linalg.generic {indexing_maps = [#{{.+}}, #[[PANELS]], #{{.+}}]{{.*}} ins(%{{.+}}, %[[VP]] : tensor<1x1x128x6xf32>, tensor<1x1x8x6x32xf32>) {{.*}}kiln.attention_part = "pv"
// CHECK: kiln.reshape %[[PV]] : tensor<1x1x128x256xf32> -> tensor<1x16x2048xf32>
func.func @wide_head_attention(%q: tensor<1x16x2048xf32>, %kv: tensor<1x6x256xf32>) -> tensor<1x16x2048xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 8 : i64, kv_heads = 1 : i64}
      : (tensor<1x16x2048xf32>, tensor<1x6x256xf32>, tensor<1x6x256xf32>) -> tensor<1x16x2048xf32>
  return %a : tensor<1x16x2048xf32>
}

// -----

// Keys that fill whole panels are copied into them through maps, in
// vector code: kP[b, hk, p, d, l] = k[b, 32 p + l, hk, d]. Values of a
// head dim that is not a multiple of 32 (here 48) are read as they are.
// CHECK-DAG: #[[KIN:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d2 * 32 + d3, d1, d4)>
// CHECK-LABEL: func.func @whole_key_panels
// CHECK: %[[KP:.+]] = linalg.generic {indexing_maps = [#[[KIN]], #{{.+}}]{{.*}} ins(%{{.+}} : tensor<1x64x1x48xf32>) outs(%{{.+}} : tensor<1x1x2x48x32xf32>)
// CHECK-NOT: tensor.extract
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %[[KP]] : tensor<1x128x1x48xf32>, tensor<1x1x2x48x32xf32>) {{.*}}kiln.attention_part = "scores"
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<1x1x128x64xf32>, tensor<1x64x1x48xf32>) {{.*}}kiln.attention_part = "pv"
func.func @whole_key_panels(%q: tensor<1x128x48xf32>, %kv: tensor<1x64x48xf32>) -> tensor<1x128x48xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 1 : i64}
      : (tensor<1x128x48xf32>, tensor<1x64x48xf32>, tensor<1x64x48xf32>) -> tensor<1x128x48xf32>
  return %a : tensor<1x128x48xf32>
}

// -----

// One query per kv head (a decoding step): the values' copy would cost
// more than the product reading them, so V is read as it is.
// CHECK-LABEL: func.func @one_query
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<1x2x1x40xf32>, tensor<1x40x2x32xf32>) {{.*}}kiln.attention_part = "pv"
func.func @one_query(%q: tensor<1x1x64xf32>, %kv: tensor<1x40x64xf32>) -> tensor<1x1x64xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 2 : i64}
      : (tensor<1x1x64xf32>, tensor<1x40x64xf32>, tensor<1x40x64xf32>) -> tensor<1x1x64xf32>
  return %a : tensor<1x1x64xf32>
}

// -----

// 64 rows per head (fewer than 128): keys and values are both read as they
// are, though a panel's worth of rows reads them; no copy into panels.
// CHECK-LABEL: func.func @rows_in_place
// CHECK-NOT: tensor<1x2x{{[0-9]+}}x{{[0-9]+}}x32xf32>
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<1x64x2x32xf32>, tensor<1x40x2x32xf32>) {{.*}}kiln.attention_part = "scores"
// CHECK: linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<1x2x64x40xf32>, tensor<1x40x2x32xf32>) {{.*}}kiln.attention_part = "pv"
func.func @rows_in_place(%q: tensor<1x64x64xf32>, %kv: tensor<1x40x64xf32>) -> tensor<1x64x64xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 2 : i64}
      : (tensor<1x64x64xf32>, tensor<1x40x64xf32>, tensor<1x40x64xf32>) -> tensor<1x64x64xf32>
  return %a : tensor<1x64x64xf32>
}

// -----

// A decoding step under GQA (two queries, four heads on two kv heads): the
// heads of a group become rows of their kv head, [B, Sq G, Hkv, dh] with
// row i G + g query i of head hk G + g, and with fewer than 128 rows per
// head the keys are read as they are, k[b, j, hk, d] (no copy into
// panels): the scores are dot products along dh. The scale, 1/4, goes on
// the queries, in their regrouping copy. The causal ends are per row, of query row / G; the
// result reads row i G + h mod G of kv head h / G.
// CHECK-DAG: #[[ROWS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1 floordiv 2, d2 * 2 + d1 mod 2, d3)>
// CHECK-DAG: #[[KEYS:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2 floordiv 2, d1 * 2 + d2 mod 2, d3)>
// CHECK-LABEL: func.func @decoding_step
// CHECK: %[[K:.+]] = kiln.reshape %arg1 : tensor<1x40x32xf32> -> tensor<1x40x2x16xf32>
// CHECK: %[[Q:.+]] = linalg.generic {indexing_maps = [#[[ROWS]], #{{.+}}]{{.*}} ins(%{{.+}} : tensor<1x2x4x16xf32>) outs(%{{.+}} : tensor<1x4x2x16xf32>)
// CHECK-NEXT: ^bb0(%[[X:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[SCALED:.+]] = arith.mulf %[[X]], %cst{{.*}} : f32
// CHECK-NEXT: linalg.yield %[[SCALED]]
// CHECK: outs(%{{.+}} : tensor<1x4xi64>)
// CHECK: %[[I:.+]] = linalg.index 1
// CHECK: %[[QUERY:.+]] = arith.divui %[[I]], %c2
// CHECK: arith.addi %[[QUERY]], %c39
// CHECK-NOT: tensor<1x2x2x16x32xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[KEYS]], #{{.+}}, #{{.+}}]{{.*}} ins(%[[Q]], %[[K]], %{{.+}} : tensor<1x4x2x16xf32>, tensor<1x40x2x16xf32>, tensor<1x4xi64>) outs(%{{.+}} : tensor<1x2x4x40xf32>) {{.*}}kiln.attention_part = "scores"
// CHECK: %[[PV:.+]] = linalg.generic {{.*}}kiln.attention_part = "pv"
// CHECK: linalg.generic {indexing_maps = [#[[OUT]], #{{.+}}]{{.*}} ins(%[[PV]] : tensor<1x2x4x16xf32>) outs(%{{.+}} : tensor<1x2x4x16xf32>)
func.func @decoding_step(%q: tensor<1x2x64xf32>, %kv: tensor<1x40x32xf32>) -> tensor<1x2x64xf32> {
  %a = kiln.attention %q, %kv, %kv {heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<causal>}
      : (tensor<1x2x64xf32>, tensor<1x40x32xf32>, tensor<1x40x32xf32>) -> tensor<1x2x64xf32>
  return %a : tensor<1x2x64xf32>
}

// -----

// A bias that differs between the heads of a group keeps one head per
// query head; one shared by the group's heads and queries groups them.
// CHECK-LABEL: func.func @grouped_bias
// CHECK: outs(%{{.+}} : tensor<1x4x1x40xf32>) attrs = {kiln.attention_part = "scores"
// CHECK: outs(%{{.+}} : tensor<1x2x2x40xf32>) attrs = {kiln.attention_part = "scores"
func.func @grouped_bias(%q: tensor<1x1x64xf32>, %kv: tensor<1x40x32xf32>, %perHead: tensor<1x4x1x40xf32>, %shared: tensor<1x1x1x40xf32>) -> (tensor<1x1x64xf32>, tensor<1x1x64xf32>) {
  %a = kiln.attention %q, %kv, %kv mask(%perHead) {heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<bias>}
      : (tensor<1x1x64xf32>, tensor<1x40x32xf32>, tensor<1x40x32xf32>, tensor<1x4x1x40xf32>) -> tensor<1x1x64xf32>
  %b = kiln.attention %q, %kv, %kv mask(%shared) {heads = 4 : i64, kv_heads = 2 : i64, mask = #kiln.mask_kind<bias>}
      : (tensor<1x1x64xf32>, tensor<1x40x32xf32>, tensor<1x40x32xf32>, tensor<1x1x1x40xf32>) -> tensor<1x1x64xf32>
  return %a, %b : tensor<1x1x64xf32>, tensor<1x1x64xf32>
}

// -----

// An additive bias is data, not a structure: no key limit.
// CHECK-LABEL: func.func @bias_attention
// CHECK-NOT: kiln.key_end
func.func @bias_attention(%q: tensor<1x4x16xf32>, %kv: tensor<1x8x16xf32>, %bias: tensor<1x1x4x8xf32>) -> tensor<1x4x16xf32> {
  %a = kiln.attention %q, %kv, %kv mask(%bias) {heads = 2 : i64, mask = #kiln.mask_kind<bias>}
      : (tensor<1x4x16xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32>, tensor<1x1x4x8xf32>) -> tensor<1x4x16xf32>
  return %a : tensor<1x4x16xf32>
}

// -----

// RoPE over positions 0..S-1 reads cos and sin from tables up to 2^23
// entries each; past that (here 1048577 x 8) it computes the angles from
// the row index as given positions do, since the tables of a sequence of
// 2^31 exhausted the compiler's memory. The angle (position times
// inv_freq, whose two f32 parts add up in f64) is computed in f64 and
// reduced by its whole turns of 2 pi (2 pi in two parts) before the f32
// cos and sin.
// CHECK-LABEL: func.func @rope_long
// CHECK-NOT: arith.constant dense<{{.*}}> : tensor<1048577x8xf32>
// CHECK: linalg.generic
// CHECK: %[[ROW:.+]] = linalg.index 1 : index
// CHECK: %[[POS:.+]] = arith.index_cast %[[ROW]] : index to i64
// CHECK: %[[INV:.+]] = arith.addf %{{.+}}, %{{.+}} : f64
// CHECK: %[[P:.+]] = arith.sitofp %[[POS]] : i64 to f64
// CHECK: %[[ANGLE:.+]] = arith.mulf %[[P]], %[[INV]] : f64
// CHECK: %[[T:.+]] = arith.mulf %[[ANGLE]], %{{.+}} : f64
// CHECK: %[[WHOLE:.+]] = arith.fptosi %[[T]] : f64 to i64
// CHECK: %[[TURNS:.+]] = arith.sitofp %[[WHOLE]] : i64 to f64
// CHECK: %[[HIGH:.+]] = arith.mulf %[[TURNS]], %{{.+}} : f64
// CHECK: %[[REST:.+]] = arith.subf %[[ANGLE]], %[[HIGH]] : f64
// CHECK: %[[LOW:.+]] = arith.mulf %[[TURNS]], %{{.+}} : f64
// CHECK: %[[REST2:.+]] = arith.subf %[[REST]], %[[LOW]] : f64
// CHECK: %[[R:.+]] = arith.truncf %[[REST2]] : f64 to f32
// CHECK: math.cos %[[R]]
// CHECK: math.sin %[[R]]
func.func @rope_long(%x: tensor<1x1048577x16xf32>) -> tensor<1x1048577x16xf32> {
  %0 = kiln.rope %x {head_dim = 16 : i64, rotary_dim = 16 : i64, theta = 1.0e4 : f64} : (tensor<1x1048577x16xf32>) -> tensor<1x1048577x16xf32>
  return %0 : tensor<1x1048577x16xf32>
}

// -----

// Past 256 members top_k sorts the members' keys by a bitonic network, one
// generic per stage. Stages at distances below 8 run over [.., runs, 2w] in
// the row's order; wider ones over [.., 2, runs, w], the halves of each run
// apart, and the next stage reads its run's halves at (run mod 2, run / 2),
// split or not. A mirror stage's partner runs backwards (7 - j at w = 8).
// The last stage (distance 1) leaves the row's order for the outputs.
// CHECK-LABEL: func.func @sort_rows
// CHECK: outs(%{{.+}} : tensor<1x256x2xi64>)
// The mirror of the runs of 16, a wide pass of one stage: its keys in a
// digit layout, read by the next stage from the run's bits.
// CHECK: %[[EIGHT:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<1x2x32x8xi64>)
// CHECK: arith.subi %c7, %{{.+}} : index
// CHECK: tensor.extract %{{.+}}[%{{.+}}, %{{.+}}] : tensor<1x512xi64>
// CHECK: arith.maxui
// CHECK: arith.minui
// CHECK: linalg.generic {{.+}} outs(%{{.+}} : tensor<1x64x8xi64>)
// CHECK: tensor.extract %[[EIGHT]][%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}] : tensor<1x2x32x8xi64>
// The merge of the whole row: its mirror and the next two stages in one
// pass (eight keys a point), the next two in another (four keys at j + 0,
// 32, 16 and 48 of a run), the stage at 8 alone, then 4, 2 and 1.
// CHECK: %[[THREE:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<1x2x2x2x1x64xi64>) attrs = {kiln.element_cost = 8
// CHECK-COUNT-8: tensor.extract %{{.+}}[%{{.+}}, %{{.+}}] : tensor<1x512xi64>
// CHECK: %[[TWO:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<1x2x2x8x16xi64>) attrs = {kiln.element_cost = 4
// CHECK: %[[J:.+]] = linalg.index 4 : index
// CHECK: tensor.extract %[[THREE]]{{.+}} : tensor<1x2x2x2x1x64xi64>
// CHECK: arith.addi %[[J]], %c32{{(_[0-9]+)?}} : index
// CHECK: tensor.extract %[[THREE]]
// CHECK: arith.addi %[[J]], %c16{{(_[0-9]+)?}} : index
// CHECK: tensor.extract %[[THREE]]
// CHECK: arith.addi %[[J]], %c48{{(_[0-9]+)?}} : index
// CHECK: tensor.extract %[[THREE]]
// CHECK: linalg.generic {{.+}} outs(%{{.+}} : tensor<1x2x32x8xi64>)
// CHECK: tensor.extract %[[TWO]]
// CHECK: outs(%{{.+}} : tensor<1x64x8xi64>)
// CHECK: outs(%{{.+}} : tensor<1x128x4xi64>)
// CHECK: %[[LAST:.+]] = linalg.generic {{.+}} outs(%{{.+}} : tensor<1x256x2xi64>)
// CHECK: %[[SORTED:.+]] = kiln.reshape %[[LAST]] : tensor<1x256x2xi64> -> tensor<1x512xi64>
// CHECK: linalg.generic {{.+}} outs(%{{.+}}, %{{.+}} : tensor<1x512xf32>, tensor<1x512xi64>)
// CHECK: tensor.extract %[[SORTED]]
func.func @sort_rows(%x: tensor<1x512xf32>) -> (tensor<1x512xf32>, tensor<1x512xi64>) {
  %v, %i = kiln.top_k %x {k = 512 : i64} : tensor<1x512xf32> -> (tensor<1x512xf32>, tensor<1x512xi64>)
  return %v, %i : tensor<1x512xf32>, tensor<1x512xi64>
}
