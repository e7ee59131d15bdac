//===- ReductionPatterns.cpp - Norms, softmax and reductions
//---------------===//
//
// Norms and softmax along the last axis are chains of row reductions and one
// elementwise op reading the per-row values, which dispatch formation fuses
// into one dispatch (and into the GEMM before them). Reductions put their
// reduced dims last in the loop order.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/GenericBuilder.h"
#include "passes/KilnToLinalg/KilnToLinalgPatterns.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;

namespace kiln {
namespace {

/// The loops of a reduction over one tensor dim: the tensor's dims in
/// their order, `axis` a reduction. When `axis` is the last dim this is a
/// row reduction, which kiln-cpu-lower-row-reductions vectorizes along the
/// row; otherwise the innermost loop runs along memory and each step adds
/// a whole vector of results. With the reduced dim moved last instead, a
/// reduction over the rows of a [4096, 1024] tensor walked its columns at
/// a 4 KiB stride: 30.4 ms on one Zen 4 core, 0.48 ms in tensor order.
/// Reductions over several dims run one dim at a time (LowerReduce).
struct ReductionLoops {
  /// The input's map: the identity.
  SmallVector<unsigned> position;
  /// The result's map: every loop but `axis`.
  SmallVector<unsigned> kept;
  SmallVector<utils::IteratorType> iterators;
};

ReductionLoops reductionLoops(unsigned rank, unsigned axis) {
  ReductionLoops loops;
  loops.iterators.assign(rank, utils::IteratorType::parallel);
  loops.iterators[axis] = utils::IteratorType::reduction;
  for (unsigned d = 0; d < rank; ++d) {
    loops.position.push_back(d);
    if (d != axis) {
      loops.kept.push_back(d);
    }
  }
  return loops;
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

/// A sum over `axis` (not the last dim) runs along it one row at a time,
/// each result accumulating sequentially: the rounding error grows with the
/// axis length (a sum of 65536 rows: 1e-5 relative, against 2e-7 for a row
/// reduction's vector partial sums). When the length R has a divisor B with
/// 8 <= B <= sqrt(R), this sums blocks of B rows first, `[.., R / B, ..]`,
/// so that each result adds R / B + B terms in sequence; otherwise it
/// returns a null value. The terms are `x`, or `exp(x - shift)` when
/// `shift` (x's shape without `axis`) is given: softmax's sum.
Value blockPartialSums(GenericBuilder &g, Value x, unsigned axis,
                       Value shift = {}) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  int64_t length = type.getDimSize(axis), block = 0;
  for (int64_t b = 8; b * b <= length; ++b) {
    if (length % b == 0) {
      block = b;
    }
  }
  if (!block) {
    return {};
  }
  // x viewed as [.., R / B, B, ..] (a reshape, no copy), summed over the B.
  SmallVector<int64_t> expanded(type.getShape());
  expanded[axis] = length / block;
  expanded.insert(expanded.begin() + axis + 1, block);
  Value view = ReshapeOp::create(
      g.builder(), g.location(),
      RankedTensorType::get(expanded, type.getElementType()), x);
  SmallVector<unsigned> write, kept;
  SmallVector<utils::IteratorType> iterators(rank + 1,
                                             utils::IteratorType::parallel);
  iterators[axis + 1] = utils::IteratorType::reduction;
  for (unsigned d = 0; d <= rank; ++d) {
    if (d != axis + 1) {
      write.push_back(d);
    }
    if (d != axis && d != axis + 1) {
      kept.push_back(d);
    }
  }
  SmallVector<Value> inputs = {view};
  SmallVector<AffineMap> maps = {g.identity(rank + 1)};
  if (shift) {
    inputs.push_back(shift);
    maps.push_back(g.dims(rank + 1, kept));
  }
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = length / block;
  return g.generic(
      inputs, maps, g.filled(shape, 0.0), g.dims(rank + 1, write), iterators,
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value term = a[0];
        if (shift) {
          term = math::ExpOp::create(nb, l,
                                     arith::SubFOp::create(nb, l, a[0], a[1]));
        }
        return arith::AddFOp::create(nb, l, a.back(), term).getResult();
      });
}

/// `x` reduced over its dim `axis` by `kind` (Sum, Max or Min), in one
/// pass along it.
Value reduceAlong(GenericBuilder &g, Value x, unsigned axis, ReduceKind kind) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  SmallVector<int64_t> keptShape = without(type.getShape(), axis);
  ReductionLoops loops = reductionLoops(rank, axis);
  double init =
      kind == ReduceKind::Max   ? -std::numeric_limits<double>::infinity()
      : kind == ReduceKind::Min ? std::numeric_limits<double>::infinity()
                                : 0.0;
  return g.generic(x, {g.dims(rank, loops.position)}, g.filled(keptShape, init),
                   g.dims(rank, loops.kept), loops.iterators,
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
}

/// `x` reduced over its dim `axis` by `kind`, a sum along an earlier axis
/// by blocks of rows first (blockPartialSums).
Value reduceAxis(GenericBuilder &g, Value x, unsigned axis, ReduceKind kind) {
  unsigned rank = cast<RankedTensorType>(x.getType()).getRank();
  if (kind == ReduceKind::Sum && axis + 1 < rank) {
    if (Value partial = blockPartialSums(g, x, axis)) {
      x = partial;
    }
  }
  return reduceAlong(g, x, axis, kind);
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
    ReductionLoops loops = reductionLoops(rank, axis);
    AffineMap full = g.dims(rank, loops.position);
    AffineMap row = g.dims(rank, loops.kept);
    SmallVector<int64_t> rowShape = without(type.getShape(), axis);
    // The output is x's shape, read in the reductions' loop order.
    Value max = g.generic(
        x, {full}, g.filled(rowShape, -std::numeric_limits<double>::infinity()),
        row, loops.iterators, [](OpBuilder &b, Location l, ValueRange a) {
          return arith::MaximumFOp::create(b, l, a[0], a[1]).getResult();
        });
    // Along an earlier axis the sum of exp(x - max) goes by blocks of rows
    // like a reduce's (blockPartialSums); along the last, the row
    // reduction's vector lanes are its partial sums.
    Value partial =
        axis + 1 < rank ? blockPartialSums(g, x, axis, max) : Value();
    Value sum =
        partial
            ? reduceAlong(g, partial, axis, ReduceKind::Sum)
            : g.generic(
                  {x, max}, {full, row}, g.filled(rowShape, 0.0), row,
                  loops.iterators, [](OpBuilder &b, Location l, ValueRange a) {
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
    SmallVector<unsigned> axes;
    int64_t count = 1;
    for (int64_t axis : op.getAxes()) {
      axes.push_back(axis < 0 ? axis + rank : axis);
      count *= type.getDimSize(axes.back());
    }
    // One axis at a time, the highest first (the lower ones keep their
    // numbers): each step is a row reduction or a reduction in tensor
    // order, with partial sums. Over several axes at once, the loops had
    // two reduction dims: no row reduction, one accumulator in memory for
    // the whole sum. A sum over all of [4096, 1024] took 3.5 ms on one Zen 4
    // core and was off by 1.8e-3 (exp of uniform [-1, 1)); 0.2 ms and
    // 1e-7 in two steps.
    llvm::sort(axes, std::greater<unsigned>());
    ReduceKind kind = op.getKind();
    ReduceKind step = kind == ReduceKind::Mean ? ReduceKind::Sum : kind;
    Value result = x;
    for (unsigned axis : axes) {
      result = reduceAxis(g, result, axis, step);
    }
    if (kind == ReduceKind::Mean) {
      double inv = 1.0 / static_cast<double>(count);
      result = g.elementwise(
          result, cast<RankedTensorType>(result.getType()).getShape(),
          rewriter.getF32Type(), [&](OpBuilder &b, Location l, ValueRange a) {
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

} // namespace

void populateReductionLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerSoftmax, LowerLayerNorm, LowerRmsNorm, LowerReduce>(
      patterns.getContext());
}

} // namespace kiln
