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
// When p does not divide N (and N >= p), the panels are `[ceil(N / p), K,
// p]` and the last one is padded with zeros, as weights are
// (kiln-materialize-weight-layouts): the copy then has no input operand
// and reads B with tensor.extract under `i * p + j < N`, since a map
// cannot stop at N. That copy is scalar code; unpacked, the GEMM read a
// row of B N floats from the next at every depth step (1024 x 1000 x 1024:
// 30% slower than N = 1008 in panels), or, for B[n, k], had no vector code.
//
// A batched B (attention scores written as `q @ k^T` per head, a B shared
// by a broadcast batch dim) keeps its leading dims in front of the panels,
// `[..., N / p, K, p]`, and the GEMM reads them through B's own batch
// results. Unpacked, a batched B[n, k] ran as scalar loops (16 heads of
// 1024 x 1024 x 64: 535 ms on one Zen 4 core, 23 ms in panels).
//
// The copy costs K * N loads and stores per slice of B against K * N FMAs
// per row of C that reads the slice, so it is done when at least `min-rows`
// rows do, or at any row count when B is read transposed (the unpacked
// fallback there is scalar code). K and N must be B's last two dims.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/OpClassification.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
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
    unsigned rank = type.getRank();
    if (rhs.getDefiningOp<ParamOp>() || !type.getElementType().isF32()) {
      return false; // Weights already have their layout.
    }
    // K and N must be B's two last dims (in either order), so that the
    // panels keep B's leading (batch) dims in front: [..., N / p, K, p].
    if (std::max(gemm->rhsKPos, gemm->rhsNPos) != rank - 1 ||
        std::min(gemm->rhsKPos, gemm->rhsNPos) != rank - 2) {
      return false;
    }
    SmallVector<int64_t> loops = op.getStaticLoopRanges();
    int64_t n = loops[loops.size() - 2];
    if (n < panel) {
      return false; // Narrower than a panel: rows of B are close already.
    }
    // The copy costs K * N per slice of B against K * N FMAs per row of C
    // that reads the slice.
    int64_t rows = 1;
    for (int64_t extent : ArrayRef<int64_t>(loops).drop_back(2)) {
      rows *= extent;
    }
    for (int64_t extent : type.getShape().drop_back(2)) {
      rows /= extent;
    }
    return gemm->rhsTransposed || rows >= minRows;
  }

  /// packed[..., i, k, j] inside a copy's body: B[..., k, i * p + j] (or
  /// B[..., i * p + j, k]) for columns below `columns`, zero past them.
  Value paddedRead(OpBuilder &b, Location loc, Value source, int64_t columns,
                   bool transposed) {
    int64_t lead = cast<RankedTensorType>(source.getType()).getRank() - 2;
    SmallVector<Value> at;
    for (int64_t d = 0; d < lead; ++d) {
      at.push_back(linalg::IndexOp::create(b, loc, d));
    }
    Value i = linalg::IndexOp::create(b, loc, lead);
    Value k = linalg::IndexOp::create(b, loc, lead + 1);
    Value j = linalg::IndexOp::create(b, loc, lead + 2);
    Value column = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, i,
                              arith::ConstantIndexOp::create(b, loc, panel)),
        j);
    Value inside =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, column,
                              arith::ConstantIndexOp::create(b, loc, columns));
    Type element = cast<RankedTensorType>(source.getType()).getElementType();
    auto branch = scf::IfOp::create(b, loc, element, inside,
                                    /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(branch.thenBlock());
    at.append(transposed ? SmallVector<Value>{column, k}
                         : SmallVector<Value>{k, column});
    scf::YieldOp::create(
        b, loc, tensor::ExtractOp::create(b, loc, source, at).getResult());
    b.setInsertionPointToStart(branch.elseBlock());
    scf::YieldOp::create(
        b, loc,
        arith::ConstantOp::create(b, loc, b.getZeroAttr(element)).getResult());
    return branch.getResult(0);
  }

  /// Panels made so far, by operand and orientation.
  DenseMap<std::pair<Value, unsigned>, Value> packs;

  void pack(linalg::GenericOp op) {
    std::optional<GemmOperands> gemm = matchGemm(op);
    OpOperand *rhs = op.getDpsInputOperand(gemm->rhs);
    auto type = cast<RankedTensorType>(rhs->get().getType());
    unsigned lead = type.getRank() - 2;
    int64_t kExtent = type.getDimSize(gemm->rhsKPos);
    int64_t nExtent = type.getDimSize(gemm->rhsNPos);
    MLIRContext *ctx = op.getContext();
    OpBuilder b(op);
    Location loc = rhs->get().getLoc();

    // GEMMs sharing a B (one activation read by several products) share
    // its panels: the first one's pack dominates the later ones.
    Value &packed = packs[{rhs->get(), gemm->rhsTransposed ? 1u : 0u}];
    Operation *earlier = packed ? packed.getDefiningOp() : nullptr;
    if (!earlier || earlier->getBlock() != op->getBlock() ||
        !earlier->isBeforeInBlock(op)) {
      SmallVector<int64_t> shape(type.getShape().take_front(lead));
      shape.append(
          {llvm::divideCeilSigned(nExtent, int64_t(panel)), kExtent, panel});
      auto packedType = RankedTensorType::get(shape, type.getElementType());
      Value empty = tensor::EmptyOp::create(b, loc, packedType.getShape(),
                                            packedType.getElementType());
      unsigned rank = packedType.getRank();
      auto parallel =
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
      linalg::GenericOp packOp;
      if (nExtent % panel == 0) {
        // packed[..., i, k, j] = B[..., k, i * p + j] (or B[..., i * p + j,
        // k]).
        SmallVector<AffineExpr> read;
        for (unsigned d = 0; d < lead; ++d) {
          read.push_back(getAffineDimExpr(d, ctx));
        }
        AffineExpr i = getAffineDimExpr(lead, ctx),
                   k = getAffineDimExpr(lead + 1, ctx),
                   j = getAffineDimExpr(lead + 2, ctx);
        AffineExpr column = i * panel + j;
        read.append(gemm->rhsTransposed ? SmallVector<AffineExpr>{column, k}
                                        : SmallVector<AffineExpr>{k, column});
        packOp = linalg::GenericOp::create(
            b, loc, packedType, rhs->get(), empty,
            {AffineMap::get(rank, 0, read, ctx),
             b.getMultiDimIdentityMap(rank)},
            parallel, [](OpBuilder &nb, Location nloc, ValueRange args) {
              linalg::YieldOp::create(nb, nloc, args[0]);
            });
      } else {
        packOp = linalg::GenericOp::create(
            b, loc, packedType, ValueRange{}, empty,
            {b.getMultiDimIdentityMap(rank)}, parallel,
            [&](OpBuilder &nb, Location nloc, ValueRange) {
              linalg::YieldOp::create(nb, nloc,
                                      paddedRead(nb, nloc, rhs->get(), nExtent,
                                                 gemm->rhsTransposed));
            });
      }
      packOp->setAttr("kiln.op", b.getStringAttr("kiln.pack_panels"));
      packed = packOp.getResult(0);
    }

    // The GEMM reads the panels with (..., n floordiv p, k, n mod p), B's
    // leading results unchanged.
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    unsigned loops = op.getNumLoops();
    AffineExpr nDim = getAffineDimExpr(loops - 2, ctx);
    SmallVector<AffineExpr> read(
        maps[rhs->getOperandNumber()].getResults().take_front(lead));
    read.append(
        {nDim.floorDiv(panel), getAffineDimExpr(loops - 1, ctx), nDim % panel});
    maps[rhs->getOperandNumber()] = AffineMap::get(loops, 0, read, ctx);
    rhs->set(packed);
    op.setIndexingMapsAttr(b.getAffineMapArrayAttr(maps));
  }
};

} // namespace
