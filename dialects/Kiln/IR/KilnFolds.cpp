//===- KilnFolds.cpp - Folds of kiln ops ----------------------------------===//
//
// Only rewrites that never lose information: identities and chains of
// shape ops collapse; nothing is constant-folded except literals and
// reshapes of them.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace kiln;

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType()) {
    return getInput();
  }
  // reshape(reshape(x)) = reshape(x): both are row-major reinterpretations.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

// reshape(constant) = the constant in the new shape, made by an op of the
// constant's own kind: kiln.constant on the graph, arith.constant once it
// is lowered (an MoE layer's aux loss without a loss). A reshape is a view
// of its input's buffer, and a constant has none: kept, it reached the
// artifact writer outside any dispatch.
LogicalResult ReshapeOp::canonicalize(ReshapeOp op, PatternRewriter &rewriter) {
  DenseElementsAttr value;
  if (!matchPattern(op.getInput(), m_Constant(&value))) {
    return failure();
  }
  DenseElementsAttr reshaped = value.reshape(op.getType());
  Operation *producer = op.getInput().getDefiningOp();
  if (isa<ConstantOp>(producer)) {
    rewriter.replaceOpWithNewOp<ConstantOp>(op, reshaped);
  } else if (isa<arith::ConstantOp>(producer)) {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, reshaped);
  } else {
    return failure();
  }
  return success();
}

OpFoldResult BroadcastOp::fold(FoldAdaptor) {
  return getInput().getType() == getType() ? getInput() : OpFoldResult();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> permutation = getPermutation();
  if (llvm::equal(permutation, llvm::seq<int64_t>(0, permutation.size()))) {
    return getInput();
  }
  // transpose(transpose(x, p), q) = transpose(x, p o q).
  if (auto producer = getInput().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> inner = producer.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t d : permutation) {
      composed.push_back(inner[d]);
    }
    getInputMutable().assign(producer.getInput());
    setPermutation(composed);
    return getResult();
  }
  return {};
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  return getInputs().size() == 1 ? getInputs()[0] : OpFoldResult();
}

OpFoldResult SliceOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(getType()).getShape();
  bool whole = getInput().getType() == getType() &&
               llvm::all_of(getOffsets(), [](int64_t o) { return o == 0; }) &&
               llvm::all_of(getStrides(), [](int64_t s) { return s == 1; });
  (void)shape;
  return whole ? getInput() : OpFoldResult();
}
