//===- CpuLimitRowLoops.cpp - Elementwise ops stop at their row count -----===//
//
// An elementwise op with a row limit (OpClassification.h) computes the
// result rows below its count only: its row loop (the rows of its results)
// runs over [0, min(count, rows)), its operands become views with that many
// rows and convert-linalg-to-loops does the rest. The rows past the count
// may hold anything, so nothing is lost.
//
// kiln-cpu-tile-workgroups gives this limit to the elementwise ops of a
// row-limited workgroup, with the count of the tile's own rows. An MoE
// expert's tile takes twice the rows the expert expects, so that a typical
// expert is one tile: its GEMM epilogue (the gate's SiLU, the product of
// up and gate) ran over the whole tile, half of it rows past the count.
//
// GEMMs with a row limit are lowered by kiln-cpu-lower-contractions, which
// runs before this pass. Other ops left with one (a GEMM that pass did not
// take, a reduction) are computed whole, as before: correct, since the rows
// past the count may hold anything, only slower.
//
//===----------------------------------------------------------------------===//

#include "passes/OpClassification.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace kiln {
#define GEN_PASS_DEF_CPULIMITROWLOOPSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct CpuLimitRowLoopsPass
    : kiln::impl::CpuLimitRowLoopsPassBase<CpuLimitRowLoopsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, unsigned>> ops;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!rowLimitOperand(op) || !isElementwise(op) ||
          !op.hasPureBufferSemantics() || op.hasDynamicShape()) {
        return;
      }
      if (std::optional<unsigned> rows = resultRowLoop(op)) {
        ops.push_back({op, *rows});
      }
    });
    for (auto [op, rows] : ops) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      Value count = arith::IndexCastOp::create(
          b, loc, b.getIndexType(),
          memref::LoadOp::create(b, loc, rowLimitOperand(op)->get()));
      Value bound =
          arith::MinSIOp::create(b, loc, count,
                                 arith::ConstantIndexOp::create(
                                     b, loc, op.getStaticLoopRanges()[rows]));
      // A count below zero (no rows) makes an empty view, not a negative one.
      bound = arith::MaxSIOp::create(b, loc, bound,
                                     arith::ConstantIndexOp::create(b, loc, 0));
      boundLoop(op, rows, bound, kRowLimitAttr);
    }
  }
};

} // namespace
