// The two AVX-512 GEMM blockings on any AVX-512 host (compiler/cpu/
// CpuTarget.h): Intel's (skylake-avx512: 14 x 32 register blocks, depth
// blocks of 1024, depth loops unrolled by 4) and Zen 4's, which the
// generic x86-64-v4 takes (8 x 32, 512, no unrolling); the host's own is
// whichever its vendor takes. Cases: a linear over 29 rows (two whole
// 14-row blocks' worth, the last 15 shared as 8 + 7) and a depth of 1030
// (one block of 1024 and 6 rows: one unrolled step and 2 single ones at
// kc 1024; 512, 512 and 6 at kc 512); the same rows at a depth of 3
// (single steps only); a batched product with a run-time B read
// transposed; causal attention (the product with V stops each row
// block's depth at its key end, in single steps) and full attention over
// 13 queries; an MoE layer, whose expert GEMMs stop at their row counts
// (blocks of exactly the 1-13 rows left past the last whole block).
func.func @gemm_blockings(%arg0: tensor<29x1030xf32> {kiln.name = "x"}, %arg1: tensor<2x20x67xf32> {kiln.name = "y"}, %arg2: tensor<2x45x128xf32> {kiln.name = "q"}, %arg3: tensor<2x45x128xf32> {kiln.name = "kv"}, %arg4: tensor<1x37x48xf32> {kiln.name = "t"}) -> (tensor<29x40xf32> {kiln.name = "a"}, tensor<29x33xf32> {kiln.name = "b"}, tensor<2x20x20xf32> {kiln.name = "c"}, tensor<2x45x128xf32> {kiln.name = "causal"}, tensor<2x13x128xf32> {kiln.name = "full"}, tensor<1x37x48xf32> {kiln.name = "e"})
    attributes {kiln.target_cpu = ["skylake-avx512", "x86-64-v4"]} {
  %0 = kiln.param "moe.experts.3.down_proj.weight" : tensor<48x24xf32>
  %1 = kiln.param "moe.experts.3.up_proj.weight" : tensor<24x48xf32>
  %2 = kiln.param "moe.experts.3.gate_proj.weight" : tensor<24x48xf32>
  %3 = kiln.param "moe.experts.2.down_proj.weight" : tensor<48x24xf32>
  %4 = kiln.param "moe.experts.2.up_proj.weight" : tensor<24x48xf32>
  %5 = kiln.param "moe.experts.2.gate_proj.weight" : tensor<24x48xf32>
  %6 = kiln.param "moe.experts.1.down_proj.weight" : tensor<48x24xf32>
  %7 = kiln.param "moe.experts.1.up_proj.weight" : tensor<24x48xf32>
  %8 = kiln.param "moe.experts.1.gate_proj.weight" : tensor<24x48xf32>
  %9 = kiln.param "moe.experts.0.down_proj.weight" : tensor<48x24xf32>
  %10 = kiln.param "moe.experts.0.up_proj.weight" : tensor<24x48xf32>
  %11 = kiln.param "moe.experts.0.gate_proj.weight" : tensor<24x48xf32>
  %12 = kiln.param "moe.gate.weight" : tensor<4x48xf32>
  %13 = kiln.param "shallow.bias" : tensor<33xf32>
  %14 = kiln.param "shallow.weight" : tensor<33x3xf32>
  %15 = kiln.param "deep.bias" : tensor<40xf32>
  %16 = kiln.param "deep.weight" : tensor<40x1030xf32>
  %17 = kiln.linear %arg0, %16, %15 : (tensor<29x1030xf32>, tensor<40x1030xf32>, tensor<40xf32>) -> tensor<29x40xf32>
  %18 = kiln.slice %arg0 {offsets = array<i64: 0, 0>, sizes = array<i64: 29, 3>, strides = array<i64: 1, 1>} : tensor<29x1030xf32> -> tensor<29x3xf32>
  %19 = kiln.linear %18, %14, %13 : (tensor<29x3xf32>, tensor<33x3xf32>, tensor<33xf32>) -> tensor<29x33xf32>
  %20 = kiln.matmul %arg1, %arg1 {transpose_rhs} : (tensor<2x20x67xf32>, tensor<2x20x67xf32>) -> tensor<2x20x20xf32>
  %21 = kiln.attention %arg2, %arg3, %arg3 {heads = 2 : i64, mask = #kiln.mask_kind<causal>} : (tensor<2x45x128xf32>, tensor<2x45x128xf32>, tensor<2x45x128xf32>) -> tensor<2x45x128xf32>
  %22 = kiln.slice %arg2 {offsets = array<i64: 0, 0, 0>, sizes = array<i64: 2, 13, 128>, strides = array<i64: 1, 1, 1>} : tensor<2x45x128xf32> -> tensor<2x13x128xf32>
  %23 = kiln.attention %22, %arg3, %arg3 {heads = 2 : i64} : (tensor<2x13x128xf32>, tensor<2x45x128xf32>, tensor<2x45x128xf32>) -> tensor<2x13x128xf32>
  %result, %counts, %aux = kiln.moe %arg4, %12 experts(%11, %10, %9, %8, %7, %6, %5, %4, %3, %2, %1, %0) {top_k = 2 : i64} : (tensor<1x37x48xf32>, tensor<4x48xf32>, tensor<24x48xf32>, tensor<24x48xf32>, tensor<48x24xf32>, tensor<24x48xf32>, tensor<24x48xf32>, tensor<48x24xf32>, tensor<24x48xf32>, tensor<24x48xf32>, tensor<48x24xf32>, tensor<24x48xf32>, tensor<24x48xf32>, tensor<48x24xf32>) -> (tensor<1x37x48xf32>, tensor<4xi64>, tensor<f32>)
  return %17, %19, %20, %21, %23, %result : tensor<29x40xf32>, tensor<29x33xf32>, tensor<2x20x20xf32>, tensor<2x45x128xf32>, tensor<2x13x128xf32>, tensor<1x37x48xf32>
}
