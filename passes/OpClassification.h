//===- OpClassification.h - What kind of computation a linalg op is -*- C++
//-*-//
//
// Dispatch formation, tiling and code generation agree on three kinds of
// linalg op, all with the leading loops of their operands as the leading
// parallel loops (see LowerToLinalg.cpp):
//  - GEMM contractions  C[lead.., n] += A[lead.., k] * B[k, n] (or B[n, k]),
//  - row reductions     r[lead..] = reduce over the last loop,
//  - elementwise ops    all loops parallel.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_OPCLASSIFICATION_H
#define KILN_PASSES_OPCLASSIFICATION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include <optional>

namespace kiln {

/// How a GEMM contraction reads its operands.
struct GemmOperands {
  /// Operand numbers of A (rows x K) and B.
  unsigned lhs = 0, rhs = 1;
  /// True when B is read as B[n, k] (the checkpoint [out, in] layout).
  bool rhsTransposed = false;
  /// Non-zero when B is read from panels of this width (kiln.param's
  /// `panel` layout): B[n floordiv p, k, n mod p].
  int64_t rhsPanel = 0;
};

/// Matches `C[lead.., n] += A[lead.., k] * B[k, n]` (or `B[n, k]`, or B in
/// panels) with a `mulf` + `addf` body and the reduction as the last loop.
std::optional<GemmOperands> matchGemm(mlir::linalg::LinalgOp op);

/// True for an op whose only reduction loop is the last one and whose
/// result is indexed by all other loops in order.
bool isRowReduction(mlir::linalg::LinalgOp op);

/// True for an op whose loops are all parallel.
bool isElementwise(mlir::linalg::LinalgOp op);

} // namespace kiln

#endif // KILN_PASSES_OPCLASSIFICATION_H
