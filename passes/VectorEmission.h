//===- VectorEmission.h - Shared by the vector-emitting passes -*- C++ -*-===//
//
// kiln-cpu-lower-contractions, kiln-cpu-lower-dot-products,
// kiln-cpu-lower-transposes and kiln-cpu-lower-copies emit vector code over
// memref views in loop nests: a cache line's f32 lanes, the check that a
// view's innermost dim is contiguous (so that vector loads and stores
// apply) and that its other dims are 1 but some, the match of a plain f32
// copy, an scf.for whose body is built with the caller's builder, and the
// lowering of 16 x 16 transposes to shuffles.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_VECTOREMISSION_H
#define KILN_PASSES_VECTOREMISSION_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace kiln {

/// f32 lanes per 64-byte cache line: the step of the prefetches.
inline constexpr int64_t kCacheLineLanes = 16;

/// True when the innermost dim of a memref view is contiguous.
inline bool hasUnitInnerStride(mlir::Value view) {
  auto type = mlir::cast<mlir::MemRefType>(view.getType());
  llvm::SmallVector<int64_t> strides;
  int64_t offset;
  return mlir::succeeded(type.getStridesAndOffset(strides, offset)) &&
         !strides.empty() && strides.back() == 1;
}

/// True when every dim of a memref view but those at `keep` is 1.
inline bool hasUnitDimsExcept(mlir::Value view, llvm::ArrayRef<unsigned> keep) {
  llvm::ArrayRef<int64_t> shape =
      mlir::cast<mlir::MemRefType>(view.getType()).getShape();
  for (auto [pos, size] : llvm::enumerate(shape)) {
    if (size != 1 && !llvm::is_contained(keep, pos)) {
      return false;
    }
  }
  return true;
}

/// Indices of the element of a memref view at `first` in dim `firstPos`
/// and `second` in dim `secondPos`, its other (unit) dims at 0.
inline llvm::SmallVector<mlir::Value>
unitDimIndices(mlir::OpBuilder &b, mlir::Location loc, mlir::Value view,
               unsigned firstPos, mlir::Value first, unsigned secondPos,
               mlir::Value second) {
  int64_t rank = mlir::cast<mlir::MemRefType>(view.getType()).getRank();
  llvm::SmallVector<mlir::Value> idx(
      rank, mlir::arith::ConstantIndexOp::create(b, loc, 0));
  idx[firstPos] = first;
  idx[secondPos] = second;
  return idx;
}

/// True when `op` copies its one input into its one output on static f32
/// memrefs with contiguous innermost dims, every loop parallel (two or
/// more): the body yields the input element.
inline bool isContiguousF32Copy(mlir::linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 ||
      op.getNumParallelLoops() != op.getNumLoops() || op.getNumLoops() < 2) {
    return false;
  }
  mlir::Block &body = op.getRegion().front();
  auto yield = mlir::cast<mlir::linalg::YieldOp>(body.getTerminator());
  if (body.getOperations().size() != 1 ||
      yield.getOperand(0) != body.getArgument(0)) {
    return false;
  }
  for (mlir::Value view :
       {op.getDpsInputOperand(0)->get(), op.getDpsInitOperand(0)->get()}) {
    auto type = mlir::cast<mlir::MemRefType>(view.getType());
    if (!type.getElementType().isF32() || !type.hasStaticShape() ||
        !hasUnitInnerStride(view)) {
      return false;
    }
  }
  return true;
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

/// Lowers the vector.transpose ops under `root` to the 16 x 16 shuffle
/// network (about 64 shuffles for 16 x 16 f32) rather than
/// convert-vector-to-llvm's element-wise default; nothing else is
/// rewritten or folded.
void lowerTransposesToShuffles(mlir::Operation *root);

} // namespace kiln

#endif // KILN_PASSES_VECTOREMISSION_H
