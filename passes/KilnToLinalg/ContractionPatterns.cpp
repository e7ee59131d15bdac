//===- ContractionPatterns.cpp - linear, matmul and patch_embed lowering --===//
//
// Every contraction is one generic over (output dims.., reduction dims) that
// accumulates into a zero-filled init, followed by an elementwise bias when
// there is one. linear keeps the input's leading dims as the leading loops,
// which is the form the GEMM code generator recognises; matmul broadcasts
// batch dims through its maps; patch_embed gathers patches with an im2col
// map (floordiv/mod by the patch size) and is then a linear.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/GenericBuilder.h"
#include "passes/KilnToLinalg/KilnToLinalgPatterns.h"
#include "passes/OpClassification.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;

namespace kiln {
namespace {

/// A linear layer with at most this many outputs is rows of dot products
/// along K (kDotRowsAttr), not a GEMM: a GEMM pads N to its 32-column panel.
constexpr int64_t kDotRowsMaxColumns = 4;

/// `acc + a * b`, the body of every contraction.
Value multiplyAdd(OpBuilder &b, Location l, ValueRange a) {
  Value product = arith::MulFOp::create(b, l, a[0], a[1]);
  return arith::AddFOp::create(b, l, a[2], product);
}

SmallVector<utils::IteratorType> contractionIterators(unsigned parallel,
                                                      unsigned reduction) {
  SmallVector<utils::IteratorType> iterators(parallel,
                                             utils::IteratorType::parallel);
  iterators.append(reduction, utils::IteratorType::reduction);
  return iterators;
}

/// Adds `bias` ([N]) along the last dimension of `value`.
Value addBias(GenericBuilder &g, Value value, Value bias) {
  auto type = cast<RankedTensorType>(value.getType());
  return g.elementwise(
      {value, bias}, type.getShape(), type.getElementType(),
      [](OpBuilder &b, Location l, ValueRange a) {
        return arith::AddFOp::create(b, l, a[0], a[1]).getResult();
      });
}

struct LowerLinear : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    auto type = cast<RankedTensorType>(op.getType());
    // Loops: the input's leading dims, then n, then k.
    unsigned rank = type.getRank(), n = rank - 1, k = rank;
    SmallVector<unsigned> lead;
    for (unsigned d = 0; d < n; ++d) {
      lead.push_back(d);
    }
    SmallVector<unsigned> inputDims(lead), outputDims(lead);
    inputDims.push_back(k);
    outputDims.push_back(n);
    Value result =
        g.generic({adaptor.getInput(), adaptor.getWeight()},
                  {g.dims(rank + 1, inputDims), g.dims(rank + 1, {n, k})},
                  g.filled(type.getShape(), 0.0), g.dims(rank + 1, outputDims),
                  contractionIterators(rank, 1), multiplyAdd);
    if (type.getShape().back() <= kDotRowsMaxColumns) {
      result.getDefiningOp()->setAttr(kDotRowsAttr, rewriter.getUnitAttr());
    }
    if (Value bias = adaptor.getBias()) {
      result = addBias(g, result, bias);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerMatmul : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    MLIRContext *ctx = op.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    unsigned rank = type.getRank(), m = rank - 2, n = rank - 1, k = rank;
    ArrayRef<int64_t> batch = type.getShape().drop_back(2);
    // An operand's batch dims broadcast into the result's; its last two
    // dims are (m, k) or (n, k) in the order its transpose flag says.
    auto operandMap = [&](Value v, unsigned row, bool transposed) {
      ArrayRef<int64_t> shape = cast<RankedTensorType>(v.getType()).getShape();
      AffineMap batchMap = g.broadcastMap(shape.drop_back(2), batch);
      SmallVector<AffineExpr> exprs;
      for (AffineExpr e : batchMap.getResults()) {
        exprs.push_back(e);
      }
      AffineExpr r = getAffineDimExpr(row, ctx), c = getAffineDimExpr(k, ctx);
      exprs.push_back(transposed ? c : r);
      exprs.push_back(transposed ? r : c);
      return AffineMap::get(rank + 1, 0, exprs, ctx);
    };
    // The GEMM kernels read A with k last (OpClassification.h's matchGemm):
    // a transposed A is copied into [.., m, k] first, by a transpose that
    // kiln-cpu-lower-transposes turns into vector blocks. Read in place,
    // A[.., k, m] made no GEMM at all but scalar loops walking A's columns
    // (1024^3 on one Zen 4 core: 6.5 s; with the copy 20.6 ms).
    Value lhs = adaptor.getLhs();
    if (op.getTransposeLhs()) {
      auto lhsType = cast<RankedTensorType>(lhs.getType());
      unsigned lhsRank = lhsType.getRank();
      SmallVector<unsigned> swapped =
          llvm::to_vector(llvm::seq<unsigned>(0, lhsRank));
      std::swap(swapped[lhsRank - 2], swapped[lhsRank - 1]);
      SmallVector<int64_t> shape(lhsType.getShape());
      std::swap(shape[lhsRank - 2], shape[lhsRank - 1]);
      lhs = g.generic(lhs, {g.dims(lhsRank, swapped)},
                      g.empty(shape, lhsType.getElementType()),
                      g.identity(lhsRank), GenericBuilder::parallel(lhsRank),
                      [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    }
    // lhs is [.., m, k]; rhs is [.., k, n], i.e. (n, k) "transposed".
    AffineMap lhsMap = operandMap(lhs, m, /*transposed=*/false);
    AffineMap rhsMap = operandMap(adaptor.getRhs(), n, !op.getTransposeRhs());
    Value result = g.generic(
        {lhs, adaptor.getRhs()}, {lhsMap, rhsMap},
        g.filled(type.getShape(), 0.0),
        g.dims(rank + 1, llvm::to_vector(llvm::seq<unsigned>(0, rank))),
        contractionIterators(rank, 1), multiplyAdd);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerPatchEmbed : OpConversionPattern<PatchEmbedOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PatchEmbedOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> pixels =
        cast<RankedTensorType>(adaptor.getPixels().getType()).getShape();
    int64_t p = op.getPatchSize(), across = pixels[3] / p;
    int64_t batch = type.getDimSize(0), patches = type.getDimSize(1),
            width = type.getDimSize(2), depth = pixels[1] * p * p;
    // im2col: patch[b, n, k] = pixel[b, c, (n / across) p + y,
    // (n % across) p + x] with k = (c, y, x), PyTorch's conv weight order.
    AffineExpr b = getAffineDimExpr(0, ctx), n = getAffineDimExpr(1, ctx),
               k = getAffineDimExpr(2, ctx);
    AffineExpr c = k.floorDiv(p * p), y = (k % (p * p)).floorDiv(p), x = k % p;
    AffineMap pixelMap = AffineMap::get(
        3, 0, {b, c, n.floorDiv(across) * p + y, (n % across) * p + x}, ctx);
    Value columns =
        g.generic(adaptor.getPixels(), {pixelMap},
                  g.empty({batch, patches, depth}, rewriter.getF32Type()),
                  g.identity(3), GenericBuilder::parallel(3),
                  [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    // The conv weight [D, C, P, P] is the linear weight [D, C P P].
    Value weight = ReshapeOp::create(
        rewriter, loc,
        RankedTensorType::get({width, depth}, rewriter.getF32Type()),
        adaptor.getWeight());
    Value result = LinearOp::create(rewriter, loc, type, columns, weight,
                                    adaptor.getBias());
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateContractionLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerLinear, LowerMatmul, LowerPatchEmbed>(
      patterns.getContext());
}

} // namespace kiln
