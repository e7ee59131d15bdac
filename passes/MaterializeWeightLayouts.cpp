//===- MaterializeWeightLayouts.cpp - Store GEMM weights as [K, N] --------===//
//
// Checkpoints store linear weights as [out, in] = [N, K]; a GEMM tile wants
// to load contiguous runs of N for one k. Weights are constants, so the
// transpose is free at run time: the parameter is re-declared with a
// permutation that the artifact writer applies once.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/OpClassification.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace kiln {
#define GEN_PASS_DEF_MATERIALIZEWEIGHTLAYOUTSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct MaterializeWeightLayoutsPass
    : kiln::impl::MaterializeWeightLayoutsPassBase<
          MaterializeWeightLayoutsPass> {
  void runOnOperation() override {
    getOperation().walk([](linalg::GenericOp op) {
      std::optional<GemmOperands> gemm = matchGemm(op);
      if (!gemm || !gemm->rhsTransposed) {
        return;
      }
      OpOperand *rhs = op.getDpsInputOperand(gemm->rhs);
      auto param = rhs->get().getDefiningOp<ParamOp>();
      if (!param || param.getPermutation() || param.getType().getRank() != 2) {
        return;
      }
      OpBuilder b(op);
      auto type = param.getType();
      auto transposed = RankedTensorType::get(
          {type.getDimSize(1), type.getDimSize(0)}, type.getElementType());
      auto stored =
          ParamOp::create(b, param.getLoc(), transposed, param.getNameAttr(),
                          b.getDenseI64ArrayAttr({1, 0}));
      rhs->set(stored);
      // Swap the map's results: (n, k) -> (k, n).
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      AffineMap old = maps[rhs->getOperandNumber()];
      maps[rhs->getOperandNumber()] =
          AffineMap::get(old.getNumDims(), 0,
                         {old.getResult(1), old.getResult(0)}, op.getContext());
      op.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
      if (param->use_empty()) {
        param->erase();
      }
    });
  }
};

} // namespace
