// Routed experts summed in groups (MoeExperts.cpp): a budget of 128 KiB
// leaves 64 KiB for the experts' outputs, 300 x 16 floats (18.75 KiB)
// each, so at most 3 are summed at once, in as few groups as that allows,
// of sizes differing by at most one. (a) 8 experts, top-2: groups {0, 1},
// {2, 3, 4} and {5, 6, 7}; (b) 4 experts with a shared expert, top-3,
// normalised: {0, 1} and {2, 3}, the shared expert's output the start of
// the first sum. Token 17 holds a NaN, which routing ranks above every
// score: it goes to experts 0 and 1 in (a), 0 to 2 in (b), and its rows of
// their outputs are NaN. The first group's sum reads, for a slot outside
// the group, expert 1's row of that slot (the switch's default): some of
// those are token 17's, and the group's select must drop them.
func.func @moe_summed_in_groups(%x: tensor<2x150x16xf32> {kiln.nan_at = array<i64: 275>}) -> (tensor<2x150x16xf32>, tensor<8xi64>, tensor<2x150x16xf32>, tensor<4xi64>)
    attributes {kiln.memory_budget_kib = 128 : i64} {
  %ra = kiln.param "a.gate.weight" : tensor<8x16xf32>
  %ag0 = kiln.param "a.experts.0.w1" : tensor<24x16xf32>
  %au0 = kiln.param "a.experts.0.w3" : tensor<24x16xf32>
  %ad0 = kiln.param "a.experts.0.w2" : tensor<16x24xf32>
  %ag1 = kiln.param "a.experts.1.w1" : tensor<24x16xf32>
  %au1 = kiln.param "a.experts.1.w3" : tensor<24x16xf32>
  %ad1 = kiln.param "a.experts.1.w2" : tensor<16x24xf32>
  %ag2 = kiln.param "a.experts.2.w1" : tensor<24x16xf32>
  %au2 = kiln.param "a.experts.2.w3" : tensor<24x16xf32>
  %ad2 = kiln.param "a.experts.2.w2" : tensor<16x24xf32>
  %ag3 = kiln.param "a.experts.3.w1" : tensor<24x16xf32>
  %au3 = kiln.param "a.experts.3.w3" : tensor<24x16xf32>
  %ad3 = kiln.param "a.experts.3.w2" : tensor<16x24xf32>
  %ag4 = kiln.param "a.experts.4.w1" : tensor<24x16xf32>
  %au4 = kiln.param "a.experts.4.w3" : tensor<24x16xf32>
  %ad4 = kiln.param "a.experts.4.w2" : tensor<16x24xf32>
  %ag5 = kiln.param "a.experts.5.w1" : tensor<24x16xf32>
  %au5 = kiln.param "a.experts.5.w3" : tensor<24x16xf32>
  %ad5 = kiln.param "a.experts.5.w2" : tensor<16x24xf32>
  %ag6 = kiln.param "a.experts.6.w1" : tensor<24x16xf32>
  %au6 = kiln.param "a.experts.6.w3" : tensor<24x16xf32>
  %ad6 = kiln.param "a.experts.6.w2" : tensor<16x24xf32>
  %ag7 = kiln.param "a.experts.7.w1" : tensor<24x16xf32>
  %au7 = kiln.param "a.experts.7.w3" : tensor<24x16xf32>
  %ad7 = kiln.param "a.experts.7.w2" : tensor<16x24xf32>
  %ya:3 = kiln.moe %x, %ra experts(%ag0, %au0, %ad0, %ag1, %au1, %ad1, %ag2, %au2, %ad2, %ag3, %au3, %ad3, %ag4, %au4, %ad4, %ag5, %au5, %ad5, %ag6, %au6, %ad6, %ag7, %au7, %ad7) {top_k = 2 : i64}
      : (tensor<2x150x16xf32>, tensor<8x16xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>)
      -> (tensor<2x150x16xf32>, tensor<8xi64>, tensor<f32>)
  %rb = kiln.param "b.gate.weight" : tensor<4x16xf32>
  %bg0 = kiln.param "b.experts.0.w1" : tensor<24x16xf32>
  %bu0 = kiln.param "b.experts.0.w3" : tensor<24x16xf32>
  %bd0 = kiln.param "b.experts.0.w2" : tensor<16x24xf32>
  %bg1 = kiln.param "b.experts.1.w1" : tensor<24x16xf32>
  %bu1 = kiln.param "b.experts.1.w3" : tensor<24x16xf32>
  %bd1 = kiln.param "b.experts.1.w2" : tensor<16x24xf32>
  %bg2 = kiln.param "b.experts.2.w1" : tensor<24x16xf32>
  %bu2 = kiln.param "b.experts.2.w3" : tensor<24x16xf32>
  %bd2 = kiln.param "b.experts.2.w2" : tensor<16x24xf32>
  %bg3 = kiln.param "b.experts.3.w1" : tensor<24x16xf32>
  %bu3 = kiln.param "b.experts.3.w3" : tensor<24x16xf32>
  %bd3 = kiln.param "b.experts.3.w2" : tensor<16x24xf32>
  %bsg = kiln.param "b.shared.gate" : tensor<32x16xf32>
  %bsu = kiln.param "b.shared.up" : tensor<32x16xf32>
  %bsd = kiln.param "b.shared.down" : tensor<16x32xf32>
  %yb:3 = kiln.moe %x, %rb experts(%bg0, %bu0, %bd0, %bg1, %bu1, %bd1, %bg2, %bu2, %bd2, %bg3, %bu3, %bd3) shared(%bsg, %bsu, %bsd) {top_k = 3 : i64, normalize}
      : (tensor<2x150x16xf32>, tensor<4x16xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32>, tensor<32x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>)
      -> (tensor<2x150x16xf32>, tensor<4xi64>, tensor<f32>)
  return %ya#0, %ya#1, %yb#0, %yb#1 : tensor<2x150x16xf32>, tensor<8xi64>, tensor<2x150x16xf32>, tensor<4xi64>
}
