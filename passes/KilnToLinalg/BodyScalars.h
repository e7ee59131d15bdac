//===- BodyScalars.h - Scalar code inside linalg.generic bodies -*- C++ -*-===//
//
// Routing-style lowerings (MoE, top_k) compute some elements with scalar
// loops and reads of whole tensors inside a generic's body; this is the
// small builder they share.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_KILNTOLINALG_BODYSCALARS_H
#define KILN_PASSES_KILNTOLINALG_BODYSCALARS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace kiln {

/// Builds scalar ops at `b`'s insertion point.
struct BodyScalars {
  mlir::OpBuilder &b;
  mlir::Location l;

  mlir::Value idx(int64_t v) {
    return mlir::arith::ConstantIndexOp::create(b, l, v);
  }
  mlir::Value i64(int64_t v) {
    return mlir::arith::ConstantOp::create(b, l, b.getI64IntegerAttr(v));
  }
  mlir::Value f32(double v) {
    return mlir::arith::ConstantOp::create(b, l, b.getF32FloatAttr(v));
  }
  mlir::Value toIndex(mlir::Value v) {
    return mlir::arith::IndexCastOp::create(b, l, b.getIndexType(), v);
  }
  mlir::Value toI64(mlir::Value v) {
    return mlir::arith::IndexCastOp::create(b, l, b.getI64Type(), v);
  }
  /// tensor[indices], a read of a whole tensor captured by the body.
  mlir::Value at(mlir::Value tensor, mlir::ValueRange indices) {
    return mlir::tensor::ExtractOp::create(b, l, tensor, indices);
  }
  mlir::Value add(mlir::Value x, mlir::Value y) {
    return mlir::arith::AddIOp::create(b, l, x, y);
  }
  mlir::Value cmpi(mlir::arith::CmpIPredicate p, mlir::Value x, mlir::Value y) {
    return mlir::arith::CmpIOp::create(b, l, p, x, y);
  }
  mlir::Value cmpf(mlir::arith::CmpFPredicate p, mlir::Value x, mlir::Value y) {
    return mlir::arith::CmpFOp::create(b, l, p, x, y);
  }

  // The order of top_k and MoE routing, as torch.topk's and the reference
  // interpreter's: larger first, NaN above every number, NaN tied with NaN.

  /// x ranks above y: it is larger, or NaN over a number.
  mlir::Value ranksAbove(mlir::Value x, mlir::Value y) {
    using mlir::arith::CmpFPredicate;
    mlir::Value nanOverNumber = mlir::arith::AndIOp::create(
        b, l, cmpf(CmpFPredicate::UNO, x, x), cmpf(CmpFPredicate::ORD, y, y));
    return mlir::arith::OrIOp::create(b, l, cmpf(CmpFPredicate::OGT, x, y),
                                      nanOverNumber);
  }
  /// (x, i) comes before (y, j): x ranks above y, or they tie (equal, or
  /// both NaN) and i < j.
  mlir::Value before(mlir::Value x, mlir::Value i, mlir::Value y,
                     mlir::Value j) {
    using mlir::arith::CmpFPredicate;
    mlir::Value bothNaN = mlir::arith::AndIOp::create(
        b, l, cmpf(CmpFPredicate::UNO, x, x), cmpf(CmpFPredicate::UNO, y, y));
    mlir::Value tie = mlir::arith::OrIOp::create(
        b, l, cmpf(CmpFPredicate::OEQ, x, y), bothNaN);
    mlir::Value tieBefore = mlir::arith::AndIOp::create(
        b, l, tie, cmpi(mlir::arith::CmpIPredicate::slt, i, j));
    return mlir::arith::OrIOp::create(b, l, ranksAbove(x, y), tieBefore);
  }

  /// `body(i, carried) -> next` over i in [lb, ub), starting from `init`.
  mlir::ValueRange
  loop(mlir::Value lb, mlir::Value ub, mlir::ValueRange init,
       llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value,
                                                         mlir::ValueRange)>
           body) {
    auto op = mlir::scf::ForOp::create(
        b, l, lb, ub, idx(1), init,
        [&](mlir::OpBuilder &nb, mlir::Location, mlir::Value i,
            mlir::ValueRange carried) {
          mlir::OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          mlir::scf::YieldOp::create(b, l, body(i, carried));
        });
    return op.getResults();
  }
  /// The same over [0, count).
  mlir::ValueRange
  forEach(int64_t count, mlir::ValueRange init,
          llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value,
                                                            mlir::ValueRange)>
              body) {
    return loop(idx(0), idx(count), init, body);
  }
  /// The sum of `term(i)` (i64) over i in [lb, ub).
  mlir::Value sum(mlir::Value lb, mlir::Value ub,
                  llvm::function_ref<mlir::Value(mlir::Value)> term) {
    return loop(lb, ub, mlir::ValueRange{i64(0)},
                [&](mlir::Value i, mlir::ValueRange carried)
                    -> llvm::SmallVector<mlir::Value> {
                  return {add(carried[0], term(i))};
                })[0];
  }
};

} // namespace kiln

#endif // KILN_PASSES_KILNTOLINALG_BODYSCALARS_H
