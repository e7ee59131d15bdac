//===- CpuLowerCopies.cpp - Copies along the innermost dim to vectors -----===//
//
// A copy whose innermost loop walks the innermost dim of both its input and
// its output, out[.., j] = in[.., f(..) + j], is a run of vector loads and
// stores. The run-time packing of a GEMM operand into panels is one:
//
//   out[i, k, j] = in[k, i * p + j]       (a workgroup: one panel, 32 rows)
//
// Lowered by convert-linalg-to-loops, its p element moves stayed scalar: LLVM
// may not hoist a load above a store that could alias it, so neither SLP nor
// the loop vectorizer combined them, and packing a 1024 x 1024 B took 2.3 ms
// (7% of the GEMM on a Zen 3 core). Here each row of the copy is
// `width`-lane vector loads and stores, the last masked: 1.1 ms. What
// remains is the reading order: each row of a panel is one 64-byte line of B
// a whole row of B apart, in a page of its own, and software prefetches 16
// to 96 rows ahead made no measurable difference.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/VectorEmission.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace kiln {
#define GEN_PASS_DEF_CPULOWERCOPIESPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// True when `expr` is `d(dim)` or `d(dim) + e` with `e` free of `dim`.
bool isUnitStepIn(AffineExpr expr, unsigned dim) {
  if (auto d = dyn_cast<AffineDimExpr>(expr)) {
    return d.getPosition() == dim;
  }
  auto sum = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!sum || sum.getKind() != AffineExprKind::Add) {
    return false;
  }
  AffineExpr lhs = sum.getLHS(), rhs = sum.getRHS();
  if (!lhs.isFunctionOfDim(dim)) {
    std::swap(lhs, rhs);
  }
  return !rhs.isFunctionOfDim(dim) && isUnitStepIn(lhs, dim);
}

/// A copy out[.., j] = in[.., f(..) + j] on static f32 memrefs with
/// contiguous innermost dims: the output indexed by the loops in order, the
/// innermost loop stepping only the input's innermost index, by one.
bool isInnermostCopy(linalg::GenericOp op) {
  if (!isContiguousF32Copy(op)) {
    return false;
  }
  AffineMap inMap = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  unsigned last = op.getNumLoops() - 1;
  if (!outMap.isIdentity() || inMap.getNumSymbols() != 0 ||
      inMap.getNumResults() == 0 ||
      !isUnitStepIn(inMap.getResults().back(), last)) {
    return false;
  }
  return llvm::none_of(inMap.getResults().drop_back(),
                       [&](AffineExpr e) { return e.isFunctionOfDim(last); });
}

class CopyEmitter {
public:
  CopyEmitter(OpBuilder &b, linalg::GenericOp op, int64_t width)
      : b(b), loc(op.getLoc()), in(op.getDpsInputOperand(0)->get()),
        out(op.getDpsInitOperand(0)->get()),
        inMap(op.getMatchingIndexingMap(op.getDpsInputOperand(0))),
        extents(op.getStaticLoopRanges()), width(width) {}

  void emit() {
    SmallVector<Value> ivs(extents.size(), Value());
    loops(0, ivs);
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  /// Loops over every dim but the innermost, then one row.
  void loops(unsigned dim, SmallVector<Value> &ivs) {
    if (dim + 1 == extents.size()) {
      row(ivs);
      return;
    }
    emitForLoop(b, loc, index(0), index(extents[dim]), 1, [&](Value iv) {
      ivs[dim] = iv;
      loops(dim + 1, ivs);
    });
  }

  /// The input's indices with the loops at `ivs`.
  SmallVector<Value> inputIndices(ArrayRef<Value> ivs) {
    SmallVector<Value> idx;
    for (AffineExpr expr : inMap.getResults()) {
      AffineMap single = AffineMap::get(inMap.getNumDims(), 0, expr);
      idx.push_back(affine::AffineApplyOp::create(b, loc, single, ivs));
    }
    return idx;
  }

  /// out[ivs.., j] = in[f(ivs..) + j] for the whole innermost extent: a
  /// loop over whole vectors of `width` lanes (LLVM unrolls short ones),
  /// then one masked vector for the rest.
  void row(SmallVector<Value> &ivs) {
    auto vectorType = VectorType::get({width}, b.getF32Type());
    auto maskType = VectorType::get({width}, b.getI1Type());
    int64_t extent = extents.back();
    int64_t whole = extent - extent % width;
    if (whole > 0) {
      emitForLoop(b, loc, index(0), index(whole), width, [&](Value j) {
        ivs.back() = j;
        Value v =
            vector::LoadOp::create(b, loc, vectorType, in, inputIndices(ivs));
        vector::StoreOp::create(b, loc, v, out, ivs);
      });
    }
    if (extent % width == 0) {
      return;
    }
    ivs.back() = index(whole);
    Value mask =
        vector::ConstantMaskOp::create(b, loc, maskType, extent % width);
    Value zero = arith::ConstantOp::create(
        b, loc, vectorType, DenseElementsAttr::get(vectorType, 0.0f));
    Value v = vector::MaskedLoadOp::create(b, loc, vectorType, in,
                                           inputIndices(ivs), mask, zero);
    vector::MaskedStoreOp::create(b, loc, out, ivs, mask, v);
  }

  OpBuilder &b;
  Location loc;
  Value in, out;
  AffineMap inMap;
  SmallVector<int64_t> extents;
  int64_t width;
};

struct CpuLowerCopiesPass
    : kiln::impl::CpuLowerCopiesPassBase<CpuLowerCopiesPass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorWidth < 1) {
      getOperation().emitError()
          << "kiln-cpu-lower-copies: needs vector-width >= 1; got "
          << vectorWidth.getValue();
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> copies;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isInnermostCopy(op)) {
        copies.push_back(op);
      }
    });
    for (linalg::GenericOp op : copies) {
      OpBuilder b(op);
      CopyEmitter(b, op, vectorWidth).emit();
      op.erase();
    }
  }
};

} // namespace
