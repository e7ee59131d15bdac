//===- PackGemmOperands.cpp - Pack run-time GEMM operands into panels -----===//
//
// MaterializeWeightLayouts re-lays weights out at compile time. A GEMM whose
// B is computed at run time (an input, an activation) has no such luck: read
// as it is, `B[k, n]` with a long row stride walks K cache lines of B for
// every register block (power-of-two strides thrash cache sets), and
// `B[n, k]` has no vector code at all. Like BLAS libraries do, this pass
// copies such a B into the panel layout `[N / p, K, p]` first, in an
// elementwise op of its own (dispatch formation never fuses it into the
// GEMM, so B is packed once, not once per workgroup):
//
//   %packed = linalg.generic {(i, k, j) -> (k, i * p + j), identity}
//       ins(%b : tensor<KxN>) outs(%empty : tensor<N/p x K x p>)
//   GEMM reading %packed with (.., n, k) -> (n floordiv p, k, n mod p)
//
// The copy costs K * N loads and stores against M * N * K FMAs, so it is
// done when the GEMM has at least `min-rows` rows, or whatever M is when B is
// read transposed (the unpacked fallback there is scalar code).
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/OpClassification.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace kiln {
#define GEN_PASS_DEF_PACKGEMMOPERANDSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct PackGemmOperandsPass
    : kiln::impl::PackGemmOperandsPassBase<PackGemmOperandsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (panel <= 0) {
      return;
    }
    packs.clear();
    SmallVector<linalg::GenericOp> gemms;
    getOperation().walk([&](linalg::GenericOp op) {
      if (shouldPack(op)) {
        gemms.push_back(op);
      }
    });
    for (linalg::GenericOp op : gemms) {
      pack(op);
    }
  }

  bool shouldPack(linalg::GenericOp op) {
    std::optional<GemmOperands> gemm = matchGemm(op);
    if (!gemm || gemm->rhsPanel || !op.hasPureTensorSemantics()) {
      return false;
    }
    Value rhs = op.getDpsInputOperand(gemm->rhs)->get();
    auto type = cast<RankedTensorType>(rhs.getType());
    if (rhs.getDefiningOp<ParamOp>() || !type.getElementType().isF32() ||
        type.getRank() != 2) {
      return false; // Weights already have their layout.
    }
    SmallVector<int64_t> loops = op.getStaticLoopRanges();
    int64_t n = loops[loops.size() - 2];
    if (n % panel != 0) {
      return false;
    }
    int64_t rows = 1;
    for (int64_t extent : ArrayRef<int64_t>(loops).drop_back(2)) {
      rows *= extent;
    }
    return gemm->rhsTransposed || rows >= minRows;
  }

  /// Panels made so far, by operand and orientation.
  DenseMap<std::pair<Value, unsigned>, Value> packs;

  void pack(linalg::GenericOp op) {
    std::optional<GemmOperands> gemm = matchGemm(op);
    OpOperand *rhs = op.getDpsInputOperand(gemm->rhs);
    auto type = cast<RankedTensorType>(rhs->get().getType());
    int64_t kExtent = type.getDimSize(gemm->rhsTransposed ? 1 : 0);
    int64_t nExtent = type.getDimSize(gemm->rhsTransposed ? 0 : 1);
    MLIRContext *ctx = op.getContext();
    OpBuilder b(op);
    Location loc = rhs->get().getLoc();

    // packed[i, k, j] = B[k, i * p + j] (or B[i * p + j, k]).
    AffineExpr i = getAffineDimExpr(0, ctx), k = getAffineDimExpr(1, ctx),
               j = getAffineDimExpr(2, ctx);
    AffineExpr column = i * panel + j;
    AffineMap read =
        AffineMap::get(3, 0,
                       gemm->rhsTransposed ? ArrayRef<AffineExpr>{column, k}
                                           : ArrayRef<AffineExpr>{k, column},
                       ctx);
    // GEMMs sharing a B (one activation read by several products) share
    // its panels: the first one's pack dominates the later ones.
    Value &packed = packs[{rhs->get(), gemm->rhsTransposed ? 1u : 0u}];
    Operation *earlier = packed ? packed.getDefiningOp() : nullptr;
    if (!earlier || earlier->getBlock() != op->getBlock() ||
        !earlier->isBeforeInBlock(op)) {
      auto packedType = RankedTensorType::get({nExtent / panel, kExtent, panel},
                                              type.getElementType());
      Value empty = tensor::EmptyOp::create(b, loc, packedType.getShape(),
                                            packedType.getElementType());
      auto packOp = linalg::GenericOp::create(
          b, loc, packedType, rhs->get(), empty,
          {read, b.getMultiDimIdentityMap(3)},
          SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
          [](OpBuilder &nb, Location nloc, ValueRange args) {
            linalg::YieldOp::create(nb, nloc, args[0]);
          });
      packOp->setAttr("kiln.op", b.getStringAttr("kiln.pack_panels"));
      packed = packOp.getResult(0);
    }

    // The GEMM reads the panels with (n floordiv p, k, n mod p).
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    unsigned loops = op.getNumLoops();
    AffineExpr nDim = getAffineDimExpr(loops - 2, ctx);
    maps[rhs->getOperandNumber()] = AffineMap::get(
        loops, 0,
        {nDim.floorDiv(panel), getAffineDimExpr(loops - 1, ctx), nDim % panel},
        ctx);
    rhs->set(packed);
    op.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
  }
};

} // namespace
