// GEMMs with odd sizes (register-block remainders in rows and columns),
// batched matmuls with broadcasting and transposes, biases; weights stored
// in panels (N a multiple of the panel, or padded: fc.weight's N = 45) and
// run-time operands packed into panels (B[k, n] with 64 rows or more, and
// B[n, k]; N = 45 in padded panels); elementwise producers of A fused into
// the GEMM's dispatch (a partial row tile, batch dimensions).
func.func @matmul(%x: tensor<37x70xf32>, %a: tensor<2x3x9x16xf32>, %b: tensor<3x16x11xf32>, %c: tensor<2x3x11x16xf32>,
                  %p: tensor<67x29xf32>, %q: tensor<29x64xf32>, %r: tensor<5x24xf32>, %s: tensor<96x24xf32>,
                  %q45: tensor<29x45xf32>, %s45: tensor<45x24xf32>)
    -> (tensor<37x45xf32>, tensor<2x3x9x11xf32>, tensor<2x3x9x11xf32>, tensor<37x96xf32>, tensor<67x64xf32>, tensor<5x96xf32>,
        tensor<37x96xf32>, tensor<2x3x9x11xf32>, tensor<67x45xf32>, tensor<5x45xf32>) {
  %w = kiln.param "fc.weight" : tensor<45x70xf32>
  %bias = kiln.param "fc.bias" : tensor<45xf32>
  %y = kiln.linear %x, %w, %bias : (tensor<37x70xf32>, tensor<45x70xf32>, tensor<45xf32>) -> tensor<37x45xf32>
  %m = kiln.matmul %a, %b : (tensor<2x3x9x16xf32>, tensor<3x16x11xf32>) -> tensor<2x3x9x11xf32>
  %t = kiln.matmul %a, %c {transpose_rhs} : (tensor<2x3x9x16xf32>, tensor<2x3x11x16xf32>) -> tensor<2x3x9x11xf32>
  %w2 = kiln.param "up.weight" : tensor<96x70xf32>
  %u = kiln.linear %x, %w2 : (tensor<37x70xf32>, tensor<96x70xf32>) -> tensor<37x96xf32>
  %pq = kiln.matmul %p, %q : (tensor<67x29xf32>, tensor<29x64xf32>) -> tensor<67x64xf32>
  %rs = kiln.matmul %r, %s {transpose_rhs} : (tensor<5x24xf32>, tensor<96x24xf32>) -> tensor<5x96xf32>
  %gx = kiln.gelu %x : tensor<37x70xf32>
  %sx = kiln.mul %gx, %x : tensor<37x70xf32>, tensor<37x70xf32> -> tensor<37x70xf32>
  %fused = kiln.linear %sx, %w2 : (tensor<37x70xf32>, tensor<96x70xf32>) -> tensor<37x96xf32>
  %ea = kiln.exp %a : tensor<2x3x9x16xf32>
  %fusedBatch = kiln.matmul %ea, %b : (tensor<2x3x9x16xf32>, tensor<3x16x11xf32>) -> tensor<2x3x9x11xf32>
  %pq45 = kiln.matmul %p, %q45 : (tensor<67x29xf32>, tensor<29x45xf32>) -> tensor<67x45xf32>
  %rs45 = kiln.matmul %r, %s45 {transpose_rhs} : (tensor<5x24xf32>, tensor<45x24xf32>) -> tensor<5x45xf32>
  return %y, %m, %t, %u, %pq, %rs, %fused, %fusedBatch, %pq45, %rs45 : tensor<37x45xf32>, tensor<2x3x9x11xf32>, tensor<2x3x9x11xf32>, tensor<37x96xf32>, tensor<67x64xf32>, tensor<5x96xf32>,
      tensor<37x96xf32>, tensor<2x3x9x11xf32>, tensor<67x45xf32>, tensor<5x45xf32>
}
