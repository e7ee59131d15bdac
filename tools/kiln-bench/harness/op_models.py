"""The op models of `kiln-bench ops` (tools/kiln-bench/models/NAME.kiln):
single ops whose lowering once left the vector path. No imports, so that
the command line can check names before numpy or torch are looked for."""

OPS = ("matmul_at", "scores", "top_k", "column_sum", "column_softmax",
       "decode_attention")
