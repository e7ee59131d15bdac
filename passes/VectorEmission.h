//===- VectorEmission.h - Shared by the vector-emitting passes -*- C++ -*-===//
//
// kiln-cpu-lower-contractions and kiln-cpu-lower-transposes both emit
// vector code over memref views in loop nests: the check that a view's
// innermost dim is contiguous (so that vector loads and stores apply), and
// an scf.for whose body is built with the caller's builder.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_VECTOREMISSION_H
#define KILN_PASSES_VECTOREMISSION_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace kiln {

/// True when the innermost dim of a memref view is contiguous.
inline bool hasUnitInnerStride(mlir::Value view) {
  auto type = mlir::cast<mlir::MemRefType>(view.getType());
  llvm::SmallVector<int64_t> strides;
  int64_t offset;
  return mlir::succeeded(type.getStridesAndOffset(strides, offset)) &&
         !strides.empty() && strides.back() == 1;
}

/// Emits `scf.for iv = lb to ub step step` at `b`'s insertion point and
/// calls `body(iv)` with `b` inside the loop; `b` is back after the loop on
/// return.
inline void emitForLoop(mlir::OpBuilder &b, mlir::Location loc, mlir::Value lb,
                        mlir::Value ub, int64_t step,
                        llvm::function_ref<void(mlir::Value)> body) {
  mlir::Value stepValue = mlir::arith::ConstantIndexOp::create(b, loc, step);
  mlir::scf::ForOp::create(b, loc, lb, ub, stepValue, mlir::ValueRange{},
                           [&](mlir::OpBuilder &nested, mlir::Location,
                               mlir::Value iv, mlir::ValueRange) {
                             mlir::OpBuilder::InsertionGuard guard(b);
                             b.setInsertionPoint(nested.getInsertionBlock(),
                                                 nested.getInsertionPoint());
                             body(iv);
                             mlir::scf::YieldOp::create(b, loc);
                           });
}

} // namespace kiln

#endif // KILN_PASSES_VECTOREMISSION_H
