//===- MaterializeWeightLayouts.cpp - Store GEMM weights as GEMMs read ----===//
//
// Checkpoints store linear weights as [out, in] = [N, K]; a GEMM kernel
// computing `panel` output columns at a time wants, for each k, those
// columns' weights side by side, and the K of one group of columns in one
// contiguous run. Weights are constants, so re-laying them out is free at
// run time: the parameter is re-declared with a layout that the artifact
// writer applies once.
//  - panels: [ceil(N / p), K, p], read as B[n floordiv p, k, n mod p], when
//    every use of the parameter is such a GEMM and N is at least p; when p
//    does not divide N the last panel is padded with zeros (a transposed
//    [K, N] weight with N = 779, a Show-o vocabulary, has rows 3,116 bytes
//    apart, and a 16-column block of it touched a new page every depth
//    step: the GEMM ran at half the speed of N = 784 in panels);
//  - otherwise a transpose to [K, N], read as B[k, n] (N < p: a row of B
//    is less than a panel wide, so its rows are close together already).
// A batched weight [G.., N, K] that a batched GEMM reads as B[g.., n, k]
// (per-head projections) gets the same choice per matrix: [G.., ceil(N /
// p), K, p] or [G.., K, N]. The kernels read one group's panels per workgroup.
// A weight [G.., K, N] that every use reads as B[g.., k, n] (the absorbed
// attention's per-head query-side weight) is stored in panels too when N
// is at least p, permuted first (`permutation` and `panel` on one kiln.param);
// otherwise it stays as it is, its rows of B contiguous already.
// A GEMM may read a reshaped parameter, e.g. a patch embedding's [D, C, P,
// P] convolution weight as [D, C P P]. A reshape leaves row-major data as it
// is, so the pass first folds it into a parameter of the new shape that
// keeps the checkpoint's shape in `checkpoint_shape`, and lays that out.
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

/// How a GEMM reads a weight: as B[g.., n, k] (the checkpoint's [out, in])
/// or as B[g.., k, n].
enum class Orientation { Transposed, Natural };

/// Whether `use` is the B operand of a GEMM that reads it (a parameter, or
/// a reshape of one) as B[g.., n, k] or B[g.., k, n] with the batch dims
/// leading, and which of the two. A GEMM may read the weight as A too (W
/// W^T): that use is not one.
std::optional<Orientation> weightUse(OpOperand &use) {
  auto op = dyn_cast<linalg::GenericOp>(use.getOwner());
  std::optional<GemmOperands> gemm = op ? matchGemm(op) : std::nullopt;
  if (!gemm || gemm->rhsPanel ||
      use.getOperandNumber() !=
          op.getDpsInputOperand(gemm->rhs)->getOperandNumber()) {
    return std::nullopt;
  }
  unsigned rank = op.getMatchingIndexingMap(&use).getNumResults();
  unsigned n = gemm->rhsTransposed ? rank - 2 : rank - 1;
  unsigned k = gemm->rhsTransposed ? rank - 1 : rank - 2;
  if (gemm->rhsNPos != n || gemm->rhsKPos != k) {
    return std::nullopt;
  }
  return gemm->rhsTransposed ? Orientation::Transposed : Orientation::Natural;
}

struct MaterializeWeightLayoutsPass
    : kiln::impl::MaterializeWeightLayoutsPassBase<
          MaterializeWeightLayoutsPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation().walk(foldReshapedWeight);
    SmallVector<ParamOp> params;
    getOperation().walk([&](ParamOp param) {
      if (!param.getPermutation() && !param.getPanel() &&
          param.getType().getRank() >= 2) {
        params.push_back(param);
      }
    });
    for (ParamOp param : params) {
      SmallVector<OpOperand *> transposed, natural;
      bool allGemm = true;
      for (OpOperand &use : param->getUses()) {
        std::optional<Orientation> orientation = weightUse(use);
        allGemm &= orientation.has_value();
        if (orientation) {
          (*orientation == Orientation::Transposed ? transposed : natural)
              .push_back(&use);
        }
      }
      int64_t rank = param.getType().getRank();
      if (!transposed.empty()) {
        // [G.., N, K] read as B[g.., n, k].
        int64_t n = param.getType().getDimSize(rank - 2);
        if (allGemm && natural.empty() && panel > 0 && n >= panel) {
          storeAsPanels(param, transposed, Orientation::Transposed);
        } else {
          storeTransposed(param, transposed);
        }
      } else if (!natural.empty() && allGemm && panel > 0 &&
                 param.getType().getDimSize(rank - 1) >= panel) {
        // [G.., K, N] read as B[g.., k, n]: the rows of B are N apart.
        storeAsPanels(param, natural, Orientation::Natural);
      }
      if (param->use_empty()) {
        param->erase();
      }
    }
  }

  /// Replaces a reshape of a parameter that a GEMM reads as B[g.., n, k]
  /// or B[g.., k, n] by a parameter of that shape.
  static void foldReshapedWeight(ReshapeOp reshape) {
    auto param = reshape.getInput().getDefiningOp<ParamOp>();
    if (!param || param.getPermutation() || param.getPanel() ||
        param.getCheckpointShape() || reshape.getType().getRank() < 2 ||
        llvm::none_of(reshape->getUses(), [](OpOperand &use) {
          return weightUse(use).has_value();
        })) {
      return;
    }
    OpBuilder b(reshape);
    auto folded = ParamOp::create(
        b, param.getLoc(), reshape.getType(), param.getNameAttr(),
        /*permutation=*/nullptr, /*panel=*/nullptr,
        b.getDenseI64ArrayAttr(param.getDeclaredShape()),
        /*panel_columns=*/nullptr);
    reshape.replaceAllUsesWith(folded.getResult());
    reshape->erase();
    if (param->use_empty()) {
      param->erase();
    }
  }

  /// [G.., N, K] -> [G.., ceil(N / p), K, p], read with (g.., n floordiv p,
  /// k, n mod p); a [G.., K, N] weight read as B[g.., k, n] is permuted to
  /// [G.., N, K] first (kiln.param applies the permutation, then the
  /// panels).
  void storeAsPanels(ParamOp param, ArrayRef<OpOperand *> uses,
                     Orientation orientation) {
    OpBuilder b(param);
    auto type = param.getType();
    int64_t rank = type.getRank();
    bool natural = orientation == Orientation::Natural;
    int64_t n = type.getDimSize(natural ? rank - 1 : rank - 2);
    int64_t k = type.getDimSize(natural ? rank - 2 : rank - 1);
    SmallVector<int64_t> shape(type.getShape().drop_back(2));
    llvm::append_range(
        shape,
        ArrayRef<int64_t>{llvm::divideCeilSigned(n, int64_t(panel)), k, panel});
    auto stored = ParamOp::create(
        b, param.getLoc(), RankedTensorType::get(shape, type.getElementType()),
        param.getNameAttr(),
        natural ? b.getDenseI64ArrayAttr(swapLastTwo(rank)) : nullptr,
        b.getI64IntegerAttr(panel), param.getCheckpointShapeAttr(),
        n % panel ? b.getI64IntegerAttr(n) : nullptr);
    for (OpOperand *use : uses) {
      rewriteMap(use, stored, [&](AffineExpr first, AffineExpr second) {
        AffineExpr col = natural ? second : first;
        AffineExpr depth = natural ? first : second;
        return SmallVector<AffineExpr>{col.floorDiv(panel), depth, col % panel};
      });
    }
  }

  /// [0, 1, .., rank - 1, rank - 2].
  static SmallVector<int64_t> swapLastTwo(int64_t rank) {
    SmallVector<int64_t> permutation =
        llvm::to_vector(llvm::seq<int64_t>(0, rank));
    std::swap(permutation[rank - 2], permutation[rank - 1]);
    return permutation;
  }

  /// [G.., N, K] -> [G.., K, N], read with (g.., k, n).
  void storeTransposed(ParamOp param, ArrayRef<OpOperand *> uses) {
    OpBuilder b(param);
    auto type = param.getType();
    int64_t rank = type.getRank();
    SmallVector<int64_t> permutation = swapLastTwo(rank);
    SmallVector<int64_t> shape(type.getShape());
    std::swap(shape[rank - 2], shape[rank - 1]);
    auto stored = ParamOp::create(
        b, param.getLoc(), RankedTensorType::get(shape, type.getElementType()),
        param.getNameAttr(), b.getDenseI64ArrayAttr(permutation),
        /*panel=*/nullptr, param.getCheckpointShapeAttr(),
        /*panel_columns=*/nullptr);
    for (OpOperand *use : uses) {
      rewriteMap(use, stored, [](AffineExpr n, AffineExpr k) {
        return SmallVector<AffineExpr>{k, n};
      });
    }
  }

  /// Makes `use` read `stored` with the old map's batch results followed by
  /// `results(first, second)`, the old map's last two results.
  static void rewriteMap(
      OpOperand *use, Value stored,
      function_ref<SmallVector<AffineExpr>(AffineExpr, AffineExpr)> results) {
    auto op = cast<linalg::GenericOp>(use->getOwner());
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    AffineMap old = maps[use->getOperandNumber()];
    unsigned rank = old.getNumResults();
    SmallVector<AffineExpr> exprs(old.getResults().drop_back(2));
    llvm::append_range(
        exprs, results(old.getResult(rank - 2), old.getResult(rank - 1)));
    maps[use->getOperandNumber()] =
        AffineMap::get(old.getNumDims(), 0, exprs, op.getContext());
    use->set(stored);
    op.setIndexingMapsAttr(
        Builder(op.getContext()).getAffineMapArrayAttr(maps));
  }
};

} // namespace
