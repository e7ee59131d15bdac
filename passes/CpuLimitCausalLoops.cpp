//===- CpuLimitCausalLoops.cpp - Elementwise ops stop at the diagonal -----===//
//
// An elementwise op under a causal limit (OpClassification.h) computes its
// key loop only as far as the tile's last row sees: [0, rows + base). Its
// operands become views of that many keys (a dynamic size) and
// convert-linalg-to-loops does the rest. The bound is per tile, not per
// row: attention's probabilities are read by the product with V in blocks
// of 8 rows, each block as far as its last row sees, so every row of a
// tile must be written as far as the tile's last row sees (with exact
// zeros where masked). Row blocks of 8 never straddle two tiles of the
// softmax dispatch, whose row tiles are multiples of 8.
//
// GEMMs and row reductions under a causal limit are lowered by their own
// passes, which run before this one; a causal op left over is an error,
// since computing it whole would read values that nothing wrote.
//
//===----------------------------------------------------------------------===//

#include "passes/OpClassification.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace kiln {
#define GEN_PASS_DEF_CPULIMITCAUSALLOOPSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Rewrites `op` to run its key loop over [0, bound) only.
void limit(linalg::GenericOp op, const CausalLimit &causal) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  Value base = arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      memref::LoadOp::create(b, loc, causal.base->get()));
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  Value bound =
      arith::AddIOp::create(b, loc, base, index(ranges[causal.rowLoop]));
  bound = arith::MaxSIOp::create(
      b, loc, index(0),
      arith::MinSIOp::create(b, loc, bound, index(ranges[causal.keyLoop])));
  AffineExpr key = getAffineDimExpr(causal.keyLoop, op.getContext());
  auto shrink = [&](Value operand, AffineMap map) -> Value {
    auto type = cast<MemRefType>(operand.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
    bool touched = false;
    for (auto [pos, expr] : llvm::enumerate(map.getResults())) {
      if (expr == key) {
        sizes.push_back(bound);
        touched = true;
      } else {
        sizes.push_back(b.getIndexAttr(type.getDimSize(pos)));
      }
    }
    if (!touched) {
      return operand;
    }
    return memref::SubViewOp::create(b, loc, operand, offsets, sizes, strides);
  };
  SmallVector<Value> inputs, outputs;
  for (OpOperand *input : op.getDpsInputOperands()) {
    inputs.push_back(shrink(input->get(), op.getMatchingIndexingMap(input)));
  }
  for (OpOperand &init : op.getDpsInitsMutable()) {
    outputs.push_back(shrink(init.get(), op.getMatchingIndexingMap(&init)));
  }
  auto bounded = linalg::GenericOp::create(b, loc, TypeRange{}, inputs, outputs,
                                           op.getIndexingMapsArray(),
                                           op.getIteratorTypesArray());
  bounded.getRegion().takeBody(op.getRegion());
  for (NamedAttribute attr : op->getDiscardableAttrs()) {
    if (attr.getName() != kCausalAttr) {
      bounded->setAttr(attr.getName(), attr.getValue());
    }
  }
  op.erase();
}

struct CpuLimitCausalLoopsPass
    : kiln::impl::CpuLimitCausalLoopsPassBase<CpuLimitCausalLoopsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, CausalLimit>> ops;
    WalkResult walk = getOperation().walk([&](linalg::GenericOp op) {
      std::optional<CausalLimit> causal = causalLimit(op);
      if (!causal) {
        return WalkResult::advance();
      }
      if (!isElementwise(op) || !op.hasPureBufferSemantics() ||
          op.hasDynamicShape()) {
        op.emitError("no lowering for this op under a causal limit");
        return WalkResult::interrupt();
      }
      ops.push_back({op, *causal});
      return WalkResult::advance();
    });
    if (walk.wasInterrupted()) {
      return signalPassFailure();
    }
    for (auto [op, causal] : ops) {
      limit(op, causal);
    }
  }
};

} // namespace
