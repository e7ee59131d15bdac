//===- CpuLimitKeyLoops.cpp - Elementwise ops stop at their rows' key ends ===//
//
// An elementwise op with a key limit (OpClassification.h) computes its key
// loop only as far as the largest key end of the tile's rows. Its operands
// become views with that many keys (a dynamic size) and
// convert-linalg-to-loops does the rest. The bound is per tile, not per
// row: attention's probabilities are read by the product with V in blocks
// of 8 rows, each block as far as its own largest key end, so every row of
// a tile must be written as far as the tile's largest (with exact zeros
// where masked). Row blocks of 8 never straddle two tiles of the softmax
// dispatch, whose row tiles are multiples of 8.
//
// GEMMs and row reductions with a key limit are lowered by their own
// passes, which run before this one; any other op left with a key limit is
// an error, since computing it whole would read values nothing wrote.
//
//===----------------------------------------------------------------------===//

#include "passes/OpClassification.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace kiln {
#define GEN_PASS_DEF_CPULIMITKEYLOOPSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The largest element of the (statically shaped) integer memref `ends`,
/// as an index; 0 when it is empty.
Value largest(OpBuilder &b, Location loc, Value ends) {
  auto type = cast<MemRefType>(ends.getType());
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> ivs;
  std::function<Value(unsigned, Value)> nest = [&](unsigned dim,
                                                   Value best) -> Value {
    if (dim == type.getRank()) {
      Value end = arith::IndexCastOp::create(
          b, loc, b.getIndexType(), memref::LoadOp::create(b, loc, ends, ivs));
      return arith::MaxSIOp::create(b, loc, best, end);
    }
    Value size = arith::ConstantIndexOp::create(b, loc, type.getDimSize(dim));
    auto loop = scf::ForOp::create(
        b, loc, zero, size, one, ValueRange{best},
        [&](OpBuilder &nb, Location, Value iv, ValueRange carried) {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
          ivs.push_back(iv);
          Value next = nest(dim + 1, carried[0]);
          ivs.pop_back();
          scf::YieldOp::create(b, loc, next);
        });
    return loop.getResult(0);
  };
  return nest(0, zero);
}

/// Rewrites `op` to run its key loop over [0, the tile's largest end).
void limit(linalg::GenericOp op, const KeyLimit &key) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  Value bound = arith::MinSIOp::create(
      b, loc, largest(b, loc, key.ends->get()),
      arith::ConstantIndexOp::create(b, loc, ranges[key.keyLoop]));
  boundLoop(op, key.keyLoop, bound, kKeyEndAttr);
}

struct CpuLimitKeyLoopsPass
    : kiln::impl::CpuLimitKeyLoopsPassBase<CpuLimitKeyLoopsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, KeyLimit>> ops;
    WalkResult walk = getOperation().walk([&](linalg::GenericOp op) {
      if (!op->hasAttr(kKeyEndAttr)) {
        return WalkResult::advance();
      }
      std::optional<KeyLimit> key = keyLimit(op);
      if (!key || !isElementwise(op) || !op.hasPureBufferSemantics() ||
          op.hasDynamicShape()) {
        op.emitError("no lowering for this op under a key limit");
        return WalkResult::interrupt();
      }
      ops.push_back({op, *key});
      return WalkResult::advance();
    });
    if (walk.wasInterrupted()) {
      return signalPassFailure();
    }
    for (auto [op, key] : ops) {
      limit(op, key);
    }
  }
};

} // namespace
