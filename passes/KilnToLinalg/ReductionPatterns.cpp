//===- ReductionPatterns.cpp - Norms, softmax, reductions, top-k ----------===//
//
// Norms and softmax along the last axis are chains of row reductions and one
// elementwise op reading the per-row values, which dispatch formation fuses
// into one dispatch (and into the GEMM before them). Reductions put their
// reduced dims last in the loop order.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/BodyScalars.h"
#include "passes/KilnToLinalg/GenericBuilder.h"
#include "passes/KilnToLinalg/KilnToLinalgPatterns.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;

namespace kiln {
namespace {

/// Loops over a tensor of `rank` dims with `axis` moved last: loop position
/// of each tensor dim.
SmallVector<unsigned> axisLastPositions(unsigned rank, unsigned axis) {
  SmallVector<unsigned> position(rank);
  unsigned next = 0;
  for (unsigned d = 0; d < rank; ++d) {
    if (d != axis) {
      position[d] = next++;
    }
  }
  position[axis] = rank - 1;
  return position;
}

SmallVector<utils::IteratorType> reduceLast(unsigned rank) {
  SmallVector<utils::IteratorType> it(rank, utils::IteratorType::parallel);
  it.back() = utils::IteratorType::reduction;
  return it;
}

/// Shape of `shape` without dim `axis`.
SmallVector<int64_t> without(ArrayRef<int64_t> shape, unsigned axis) {
  SmallVector<int64_t> rest;
  for (auto [d, size] : llvm::enumerate(shape)) {
    if (d != axis) {
      rest.push_back(size);
    }
  }
  return rest;
}

struct LowerSoftmax : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    unsigned rank = type.getRank();
    int64_t rawAxis = static_cast<int64_t>(op.getAxis());
    unsigned axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
    SmallVector<unsigned> position = axisLastPositions(rank, axis);
    AffineMap full = g.dims(rank, position);
    SmallVector<unsigned> rowDims;
    for (unsigned d = 0; d + 1 < rank; ++d) {
      rowDims.push_back(d);
    }
    AffineMap row = g.dims(rank, rowDims);
    SmallVector<int64_t> rowShape = without(type.getShape(), axis);
    // The loop order puts `axis` last, so the output map is `full` too.
    Value max = g.generic(
        x, {full}, g.filled(rowShape, -std::numeric_limits<double>::infinity()),
        row, reduceLast(rank), [](OpBuilder &b, Location l, ValueRange a) {
          return arith::MaximumFOp::create(b, l, a[0], a[1]).getResult();
        });
    Value sum =
        g.generic({x, max}, {full, row}, g.filled(rowShape, 0.0), row,
                  reduceLast(rank), [](OpBuilder &b, Location l, ValueRange a) {
                    Value e = math::ExpOp::create(
                        b, l, arith::SubFOp::create(b, l, a[0], a[1]));
                    return arith::AddFOp::create(b, l, a[2], e).getResult();
                  });
    Value result =
        g.generic({x, max, sum}, {full, row, row},
                  g.empty(type.getShape(), type.getElementType()), full,
                  GenericBuilder::parallel(rank),
                  [](OpBuilder &b, Location l, ValueRange a) {
                    Value e = math::ExpOp::create(
                        b, l, arith::SubFOp::create(b, l, a[0], a[1]));
                    return arith::DivFOp::create(b, l, e, a[2]).getResult();
                  });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Shared by layer_norm and rms_norm: the per-row statistics over the last
/// dim, then the normalisation.
struct NormParts {
  Value x;
  RankedTensorType type;
  AffineMap id, row, last;
  SmallVector<int64_t> rowShape;
  double invDim;
};

NormParts normParts(GenericBuilder &g, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  // The rows' map drops the last loop; a rank-1 input is one row, read
  // through `(d0) -> ()` (getMajorSubMap(0) would be a null map).
  SmallVector<unsigned> rowDims;
  for (unsigned d = 0; d + 1 < rank; ++d) {
    rowDims.push_back(d);
  }
  NormParts parts{x,
                  type,
                  g.identity(rank),
                  g.dims(rank, rowDims),
                  g.dims(rank, {rank - 1}),
                  SmallVector<int64_t>(type.getShape().drop_back()),
                  1.0 / static_cast<double>(type.getShape().back())};
  return parts;
}

struct LowerLayerNorm : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    NormParts n = normParts(g, adaptor.getInput());
    unsigned rank = n.type.getRank();
    double invDim = n.invDim;
    // Two passes, as torch: the mean first, then the centred sum of squares.
    // The mean is shifted by the row's first element, x0 + sum(x - x0) / D,
    // so that a row of equal values has exactly its value as mean and
    // normalises to exactly 0 as in torch (whose Welford mean is exact
    // there); sum(x) / D rounded, and eps = 1e-12 turned a rounding error of
    // 6e-8 into outputs of 0.06. x0 is read through (d.., dn) -> (d.., 0).
    SmallVector<AffineExpr> firstExprs(n.id.getResults().drop_back());
    firstExprs.push_back(rewriter.getAffineConstantExpr(0));
    AffineMap first = AffineMap::get(rank, 0, firstExprs, op.getContext());
    Value sum =
        g.generic({n.x, n.x}, {n.id, first}, g.filled(n.rowShape, 0.0), n.row,
                  reduceLast(rank), [](OpBuilder &b, Location l, ValueRange a) {
                    Value d = arith::SubFOp::create(b, l, a[0], a[1]);
                    return arith::AddFOp::create(b, l, a[2], d).getResult();
                  });
    // x0 + sum / D, from the operands (x0, sum).
    auto mean = [&](OpBuilder &b, Location l, Value x0, Value s) -> Value {
      return arith::AddFOp::create(
          b, l, x0, arith::MulFOp::create(b, l, s, g.f32(invDim)));
    };
    Value sumSq = g.generic(
        {n.x, n.x, sum}, {n.id, first, n.row}, g.filled(n.rowShape, 0.0), n.row,
        reduceLast(rank), [&](OpBuilder &b, Location l, ValueRange a) {
          Value d = arith::SubFOp::create(b, l, a[0], mean(b, l, a[1], a[2]));
          return arith::AddFOp::create(b, l, a[3],
                                       arith::MulFOp::create(b, l, d, d))
              .getResult();
        });
    SmallVector<Value> inputs = {n.x, n.x, sum, sumSq};
    SmallVector<AffineMap> maps = {n.id, first, n.row, n.row};
    Value scale = adaptor.getScale(), bias = adaptor.getBias();
    for (Value affine : {scale, bias}) {
      if (affine) {
        inputs.push_back(affine);
        maps.push_back(n.last);
      }
    }
    double eps = op.getEpsilon().convertToDouble();
    Value result = g.generic(
        inputs, maps, g.empty(n.type.getShape(), n.type.getElementType()), n.id,
        GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value var = arith::MulFOp::create(b, l, a[3], g.f32(invDim));
          Value rstd = math::RsqrtOp::create(
              b, l, arith::AddFOp::create(b, l, var, g.f32(eps)));
          Value y = arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, a[0], mean(b, l, a[1], a[2])),
              rstd);
          unsigned next = 4;
          if (scale) {
            y = arith::MulFOp::create(b, l, y, a[next++]);
          }
          if (bias) {
            y = arith::AddFOp::create(b, l, y, a[next++]);
          }
          return y;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerRmsNorm : OpConversionPattern<RmsNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RmsNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    NormParts n = normParts(g, adaptor.getInput());
    unsigned rank = n.type.getRank();
    double invDim = n.invDim, eps = op.getEpsilon().convertToDouble();
    Value sumSq =
        g.generic(n.x, {n.id}, g.filled(n.rowShape, 0.0), n.row,
                  reduceLast(rank), [](OpBuilder &b, Location l, ValueRange a) {
                    Value sq = arith::MulFOp::create(b, l, a[0], a[0]);
                    return arith::AddFOp::create(b, l, a[1], sq).getResult();
                  });
    SmallVector<Value> inputs = {n.x, sumSq};
    SmallVector<AffineMap> maps = {n.id, n.row};
    Value scale = adaptor.getScale();
    if (scale) {
      inputs.push_back(scale);
      maps.push_back(n.last);
    }
    Value result = g.generic(
        inputs, maps, g.empty(n.type.getShape(), n.type.getElementType()), n.id,
        GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value meanSq = arith::MulFOp::create(b, l, a[1], g.f32(invDim));
          Value rstd = math::RsqrtOp::create(
              b, l, arith::AddFOp::create(b, l, meanSq, g.f32(eps)));
          Value y = arith::MulFOp::create(b, l, a[0], rstd);
          return scale ? arith::MulFOp::create(b, l, y, a[2]).getResult() : y;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerReduce : OpConversionPattern<ReduceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    unsigned rank = type.getRank();
    SmallVector<bool> reduced(rank, false);
    for (int64_t axis : op.getAxes()) {
      reduced[axis < 0 ? axis + rank : axis] = true;
    }
    // Loops: kept dims in order, then reduced dims.
    SmallVector<unsigned> position(rank);
    SmallVector<int64_t> keptShape;
    unsigned next = 0;
    int64_t count = 1;
    for (unsigned d = 0; d < rank; ++d) {
      if (!reduced[d]) {
        position[d] = next++;
        keptShape.push_back(type.getDimSize(d));
      }
    }
    unsigned kept = next;
    for (unsigned d = 0; d < rank; ++d) {
      if (reduced[d]) {
        position[d] = next++;
        count *= type.getDimSize(d);
      }
    }
    SmallVector<utils::IteratorType> iterators(kept,
                                               utils::IteratorType::parallel);
    iterators.append(rank - kept, utils::IteratorType::reduction);
    ReduceKind kind = op.getKind();
    double init =
        kind == ReduceKind::Max   ? -std::numeric_limits<double>::infinity()
        : kind == ReduceKind::Min ? std::numeric_limits<double>::infinity()
                                  : 0.0;
    Value result = g.generic(
        x, {g.dims(rank, position)}, g.filled(keptShape, init),
        g.dims(rank, llvm::to_vector(llvm::seq<unsigned>(0, kept))), iterators,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          switch (kind) {
          case ReduceKind::Max:
            return arith::MaximumFOp::create(b, l, a[0], a[1]);
          case ReduceKind::Min:
            return arith::MinimumFOp::create(b, l, a[0], a[1]);
          default:
            return arith::AddFOp::create(b, l, a[1], a[0]);
          }
        });
    if (kind == ReduceKind::Mean) {
      double inv = 1.0 / static_cast<double>(count);
      result = g.elementwise(
          result, keptShape, rewriter.getF32Type(),
          [&](OpBuilder &b, Location l, ValueRange a) {
            return arith::MulFOp::create(b, l, a[0], g.f32(inv)).getResult();
          });
    }
    if (op.getKeepDims()) {
      result = ReshapeOp::create(rewriter, op.getLoc(), op.getType(), result);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// top_k: output slot j of a row holds the element of rank j, where the
/// rank of element i counts the elements that are larger, or equal with a
/// lower index. NaN ranks above every number and equal to NaN, as in
/// torch.topk and the reference interpreter. Quadratic in the row length:
/// top_k outside MoE routing is rare and rows are short.
struct LowerTopK : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    auto values = cast<RankedTensorType>(op.getValues().getType());
    unsigned rank = type.getRank();
    int64_t n = type.getShape().back();
    SmallVector<Value> results = g.generic(
        {}, {},
        {g.empty(values.getShape(), rewriter.getF32Type()),
         g.empty(values.getShape(), rewriter.getI64Type())},
        {g.identity(rank), g.identity(rank)}, GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange) -> SmallVector<Value> {
          SmallVector<Value> at;
          for (unsigned d = 0; d + 1 < rank; ++d) {
            at.push_back(linalg::IndexOp::create(b, l, d));
          }
          Value slot = linalg::IndexOp::create(b, l, rank - 1);
          Value zero = arith::ConstantIndexOp::create(b, l, 0);
          Value one = arith::ConstantIndexOp::create(b, l, 1);
          Value end = arith::ConstantIndexOp::create(b, l, n);
          auto element = [&](OpBuilder &nb, Value i) {
            SmallVector<Value> idx(at);
            idx.push_back(i);
            return tensor::ExtractOp::create(nb, l, x, idx).getResult();
          };
          auto outer = scf::ForOp::create(
              b, l, zero, end, one, ValueRange{g.f32(0.0), zero},
              [&](OpBuilder &ob, Location, Value i, ValueRange found) {
                Value xi = element(ob, i);
                auto inner = scf::ForOp::create(
                    ob, l, zero, end, one, ValueRange{zero},
                    [&](OpBuilder &ib, Location, Value i2, ValueRange rank) {
                      Value xo = element(ib, i2);
                      Value before = BodyScalars{ib, l}.before(xo, i2, xi, i);
                      Value bumped = arith::AddIOp::create(ib, l, rank[0], one);
                      scf::YieldOp::create(
                          ib, l,
                          ValueRange{arith::SelectOp::create(ib, l, before,
                                                             bumped, rank[0])});
                    });
                Value hit = arith::CmpIOp::create(
                    ob, l, arith::CmpIPredicate::eq, inner.getResult(0), slot);
                scf::YieldOp::create(
                    ob, l,
                    ValueRange{
                        arith::SelectOp::create(ob, l, hit, xi, found[0]),
                        arith::SelectOp::create(ob, l, hit, i, found[1])});
              });
          Value index = arith::IndexCastOp::create(b, l, b.getI64Type(),
                                                   outer.getResult(1));
          return {outer.getResult(0), index};
        });
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void populateReductionLoweringPatterns(RewritePatternSet &patterns) {
  patterns
      .add<LowerSoftmax, LowerLayerNorm, LowerRmsNorm, LowerReduce, LowerTopK>(
          patterns.getContext());
}

} // namespace kiln
