//===- FoldGemmTransposes.cpp - GEMMs read A through its transpose --------===//
//
// The GEMM kernels read A as A[.., m, .., k] with its batch dims in any
// order (OpClassification.h), so a transpose that only reorders A's batch
// and row dims, keeping k last, is work the GEMM can do by reading its
// input: the transpose's input map composes into the GEMM's map for A.
// Left in place, dispatch formation fuses such a transpose into the GEMM's
// dispatch as an elementwise producer, and every workgroup recomputes its
// rows of A for each of its column tiles: the absorbed attention's
// per-head query products ([B, Sq, heads, dh] -> [B, heads, Sq, dh], then
// times [heads, dh, 1408]) recomputed each 32 x 64 tile of A eleven times
// and ran at 74 GFLOP/s per worker; reading A in place, 94.
//
//   %t = linalg.generic {(b, h, i, d) -> (b, i, h, d), identity}
//       ins(%q) outs(%e)                         a copy that permutes dims
//   %c = linalg.generic {(b, h, i, j, d) -> (b, h, i, d), ..} ins(%t, %w)
// becomes
//   %c = linalg.generic {(b, h, i, j, d) -> (b, i, h, d), ..} ins(%q, %w)
//
//===----------------------------------------------------------------------===//

#include "passes/OpClassification.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace kiln {
#define GEN_PASS_DEF_FOLDGEMMTRANSPOSESPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The input of `op` when it is a copy whose output is its input with the
/// dims permuted: all loops parallel, one input read through a permutation,
/// the output through the identity, and a body that yields the input.
OpOperand *permutedCopyInput(linalg::GenericOp op) {
  if (!op || op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumParallelLoops() != op.getNumLoops()) {
    return nullptr;
  }
  OpOperand *input = op.getDpsInputOperand(0);
  if (!op.getMatchingIndexingMap(input).isPermutation() ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity()) {
    return nullptr;
  }
  auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
  if (yield.getNumOperands() != 1 ||
      yield.getOperand(0) != op.getMatchingBlockArgument(input)) {
    return nullptr;
  }
  return input;
}

struct FoldGemmTransposesPass
    : kiln::impl::FoldGemmTransposesPassBase<FoldGemmTransposesPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> gemms;
    getOperation().walk([&](linalg::GenericOp op) {
      if (matchGemm(op)) {
        gemms.push_back(op);
      }
    });
    for (linalg::GenericOp gemm : gemms) {
      fold(gemm);
    }
  }

  /// Makes `gemm` read its A through the transpose that produces it, when
  /// it still is a GEMM the kernels take that way.
  static void fold(linalg::GenericOp gemm) {
    unsigned lhsIndex = matchGemm(gemm)->lhs;
    OpOperand *lhs = gemm.getDpsInputOperand(lhsIndex);
    auto transpose = lhs->get().getDefiningOp<linalg::GenericOp>();
    OpOperand *source = permutedCopyInput(transpose);
    if (!source) {
      return;
    }
    SmallVector<AffineMap> maps = gemm.getIndexingMapsArray();
    unsigned number = lhs->getOperandNumber();
    AffineMap before = maps[number];
    // The transpose's output is indexed by its loops (identity), so A[x] =
    // input[sourceMap(x)] and the GEMM reads input[sourceMap(before(..))].
    maps[number] = transpose.getMatchingIndexingMap(source).compose(before);
    Value previous = lhs->get();
    lhs->set(source->get());
    gemm.setIndexingMapsAttr(
        Builder(gemm.getContext()).getAffineMapArrayAttr(maps));
    std::optional<GemmOperands> still = matchGemm(gemm);
    if (!still || still->lhs != lhsIndex) {
      lhs->set(previous);
      maps[number] = before;
      gemm.setIndexingMapsAttr(
          Builder(gemm.getContext()).getAffineMapArrayAttr(maps));
      return;
    }
    if (transpose->use_empty()) {
      transpose->erase();
    }
  }
};

} // namespace
