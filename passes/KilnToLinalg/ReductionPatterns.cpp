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
#include "passes/OpClassification.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;

namespace kiln {
namespace {

/// The loops of a reduction over the tensor dims `reduced`.
struct ReductionLoops {
  /// Loop position of each tensor dim.
  SmallVector<unsigned> position;
  /// Loop positions of the kept dims, in tensor order (the result's map).
  SmallVector<unsigned> kept;
  SmallVector<utils::IteratorType> iterators;
};

/// When the last tensor dim is reduced, the kept dims come first and the
/// reduced ones last: the row reductions that kiln-cpu-lower-row-reductions
/// vectorizes along the row. When the last dim is kept, the loops stay in
/// tensor order, so that the innermost loop runs along memory and the
/// reduction accumulates whole vectors of results. Moved last, a reduction
/// over the rows of a [4096, 1024] tensor walked its columns at a 4 KiB
/// stride: 30.4 ms on one Zen 4 core, 0.48 ms in tensor order.
ReductionLoops reductionLoops(unsigned rank, ArrayRef<unsigned> axes) {
  SmallVector<bool> reduced(rank, false);
  for (unsigned axis : axes) {
    reduced[axis] = true;
  }
  ReductionLoops loops;
  loops.position.resize(rank);
  bool lastReduced = reduced.back();
  unsigned next = 0;
  for (unsigned d = 0; d < rank; ++d) {
    if (!lastReduced || !reduced[d]) {
      loops.position[d] = next++;
    }
  }
  for (unsigned d = 0; lastReduced && d < rank; ++d) {
    if (reduced[d]) {
      loops.position[d] = next++;
    }
  }
  loops.iterators.assign(rank, utils::IteratorType::parallel);
  for (unsigned d = 0; d < rank; ++d) {
    if (reduced[d]) {
      loops.iterators[loops.position[d]] = utils::IteratorType::reduction;
    } else {
      loops.kept.push_back(loops.position[d]);
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
    ReductionLoops loops = reductionLoops(rank, {axis});
    AffineMap full = g.dims(rank, loops.position);
    AffineMap row = g.dims(rank, loops.kept);
    SmallVector<int64_t> rowShape = without(type.getShape(), axis);
    // The output is x's shape, read in the reductions' loop order.
    Value max = g.generic(
        x, {full}, g.filled(rowShape, -std::numeric_limits<double>::infinity()),
        row, loops.iterators, [](OpBuilder &b, Location l, ValueRange a) {
          return arith::MaximumFOp::create(b, l, a[0], a[1]).getResult();
        });
    Value sum =
        g.generic({x, max}, {full, row}, g.filled(rowShape, 0.0), row,
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

/// A sum over `axis` (not the last dim) runs along it one row at a time,
/// each result accumulating sequentially: the rounding error grows with the
/// axis length (a sum of 65536 rows: 1e-5 relative, against 2e-7 for a row
/// reduction's vector partial sums). When the length R has a divisor B with
/// 8 <= B <= sqrt(R), this sums blocks of B rows first, `[.., R / B, ..]`,
/// so that each result adds R / B + B terms in sequence; otherwise it
/// returns `x` as it is.
Value blockPartialSums(GenericBuilder &g, Value x, unsigned axis) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned rank = type.getRank();
  int64_t length = type.getDimSize(axis), block = 0;
  for (int64_t b = 8; b * b <= length; ++b) {
    if (length % b == 0) {
      block = b;
    }
  }
  if (!block) {
    return x;
  }
  // x viewed as [.., R / B, B, ..] (a reshape, no copy), summed over the B.
  SmallVector<int64_t> expanded(type.getShape());
  expanded[axis] = length / block;
  expanded.insert(expanded.begin() + axis + 1, block);
  Value view = ReshapeOp::create(
      g.builder(), g.location(),
      RankedTensorType::get(expanded, type.getElementType()), x);
  SmallVector<unsigned> write;
  SmallVector<utils::IteratorType> iterators(rank + 1,
                                             utils::IteratorType::parallel);
  iterators[axis + 1] = utils::IteratorType::reduction;
  for (unsigned d = 0; d <= rank; ++d) {
    if (d != axis + 1) {
      write.push_back(d);
    }
  }
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = length / block;
  return g.generic(
      view, {g.identity(rank + 1)}, g.filled(shape, 0.0),
      g.dims(rank + 1, write), iterators,
      [](OpBuilder &nb, Location l, ValueRange a) {
        return arith::AddFOp::create(nb, l, a[1], a[0]).getResult();
      });
}

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
    SmallVector<int64_t> keptShape;
    int64_t count = 1;
    for (int64_t axis : op.getAxes()) {
      axes.push_back(axis < 0 ? axis + rank : axis);
      count *= type.getDimSize(axes.back());
    }
    for (unsigned d = 0; d < rank; ++d) {
      if (!llvm::is_contained(axes, d)) {
        keptShape.push_back(type.getDimSize(d));
      }
    }
    ReduceKind kind = op.getKind();
    bool sum = kind == ReduceKind::Sum || kind == ReduceKind::Mean;
    if (sum && axes.size() == 1 && axes[0] + 1 < rank) {
      x = blockPartialSums(g, x, axes[0]);
    }
    ReductionLoops loops = reductionLoops(rank, axes);
    double init =
        kind == ReduceKind::Max   ? -std::numeric_limits<double>::infinity()
        : kind == ReduceKind::Min ? std::numeric_limits<double>::infinity()
                                  : 0.0;
    Value result =
        g.generic(x, {g.dims(rank, loops.position)}, g.filled(keptShape, init),
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

/// top_k through integer keys that order the row as top_k does (larger
/// first, NaN above every number and tied with NaN, ties to the lower
/// index), unique within a row, so that an unsigned comparison is the
/// whole order:
///
///   key[r, i]    (monotone bits of x, NaN highest, -0 as +0) << 32
///                | (0xfffffffe - i)                          elementwise
///   max[r, b]    the largest key of block b of 64 elements         n
///   floor[r]     the k-th largest block maximum (when there are at
///                least k blocks)                           k * n / 64
///   last[r]      the k-th largest key: k passes, each the largest key
///                below the last one, over the k blocks whose
///                maximum reaches `floor`            k * (n / 64 + 64 k)
///   count[r, b]  keys >= last in block b of 256 elements           n
///   member[r, c] the c-th index (in index order) whose key >= last:
///                a walk over the blocks' counts, then one block
///   rank[r, c]   the members with a larger key than member c    k * k
///   out[r, j]    the member whose rank is j                     k * k
///
/// Slot j recomputing its own rank over the row, as the op was lowered
/// first, took k n^2 comparisons: a top-50 of 64 rows of a 32000-word
/// vocabulary ran for minutes.
struct LowerTopK : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;

  static constexpr int64_t kBlock = 256;
  static constexpr int64_t kPruneBlock = 64;

  /// Marks `value`'s generic with its scalar steps per element, which size
  /// its workgroups (kiln-cpu-select-workgroup-tiles).
  static void setCost(Value value, int64_t steps) {
    Operation *op = value.getDefiningOp();
    op->setAttr(kElementCostAttr,
                IntegerAttr::get(IntegerType::get(op->getContext(), 64),
                                 std::max<int64_t>(steps, 1)));
  }

  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    auto values = cast<RankedTensorType>(op.getValues().getType());
    unsigned rank = type.getRank();
    int64_t n = type.getShape().back(), k = op.getK();
    int64_t blocks = llvm::divideCeil(n, kBlock);
    Type i64 = rewriter.getI64Type();
    ArrayRef<int64_t> rows = type.getShape().drop_back();
    AffineMap perRow =
        g.dims(rank, llvm::to_vector(llvm::seq<unsigned>(0, rank - 1)));
    // The row of the current point, read at the body's top level (a
    // linalg.index must be directly in the generic's body).
    SmallVector<Value> row;
    auto readRow = [&](OpBuilder &b, Location l) {
      row.clear();
      for (unsigned d = 0; d + 1 < rank; ++d) {
        row.push_back(linalg::IndexOp::create(b, l, d));
      }
    };
    auto rowAt = [&](Value i) {
      SmallVector<Value> at(row);
      at.push_back(i);
      return at;
    };
    auto constant = [](OpBuilder &b, Location l, Type t, int64_t v) {
      return arith::ConstantOp::create(b, l, b.getIntegerAttr(t, v))
          .getResult();
    };

    Value key = g.generic(
        x, {g.identity(rank)}, g.empty(type.getShape(), i64), g.identity(rank),
        GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          BodyScalars s{b, l};
          Type i32 = b.getI32Type();
          Value zero = s.f32(0.0);
          Value v = arith::SelectOp::create(
              b, l, s.cmpf(arith::CmpFPredicate::OEQ, args[0], zero), zero,
              args[0]);
          Value bits = arith::BitcastOp::create(b, l, i32, v);
          // Negative floats order reversed (all bits flipped), the others
          // above them (sign bit set).
          Value negative =
              s.cmpi(arith::CmpIPredicate::slt, bits, constant(b, l, i32, 0));
          Value flipped =
              arith::XOrIOp::create(b, l, bits, constant(b, l, i32, -1));
          Value raised = arith::OrIOp::create(
              b, l, bits, constant(b, l, i32, int64_t(INT32_MIN)));
          Value ordered = arith::SelectOp::create(
              b, l, s.cmpf(arith::CmpFPredicate::UNO, args[0], args[0]),
              constant(b, l, i32, -1),
              arith::SelectOp::create(b, l, negative, flipped, raised));
          Value high = arith::ShLIOp::create(
              b, l, arith::ExtUIOp::create(b, l, i64, ordered), s.i64(32));
          Value index = s.toI64(linalg::IndexOp::create(b, l, rank - 1));
          return arith::OrIOp::create(
                     b, l, high,
                     arith::SubIOp::create(b, l, s.i64(0xfffffffe), index))
              .getResult();
        });
    auto keyAt = [&](BodyScalars &s, Value i) { return s.at(key, rowAt(i)); };

    // Keys are never 0 (the lowest, -inf's, has high bits 0x007fffff) nor
    // all ones (the low bits stop at 0xfffffffe). `kth` runs k passes, each
    // the largest key below the last one, `pass(below, best)` folding one
    // pass's keys into `best`.
    auto kth = [&](BodyScalars &s,
                   function_ref<Value(Value below, Value best)> pass) {
      return s.forEach(k, ValueRange{s.i64(-1)},
                       [&](Value, ValueRange previous) -> SmallVector<Value> {
                         return {pass(previous[0], s.i64(0))};
                       })[0];
    };
    auto foldBelow = [&](BodyScalars &s, Value key, Value below, Value best) {
      Value in = s.cmpi(arith::CmpIPredicate::ult, key, below);
      return arith::MaxUIOp::create(
                 s.b, s.l, best,
                 arith::SelectOp::create(s.b, s.l, in, key, s.i64(0)))
          .getResult();
    };
    auto foldRange = [&](BodyScalars &s, Value lb, Value ub, Value below,
                         Value best) {
      return s.loop(lb, ub, ValueRange{best},
                    [&](Value i, ValueRange acc) -> SmallVector<Value> {
                      return {foldBelow(s, keyAt(s, i), below, acc[0])};
                    })[0];
    };
    // With at least k blocks of `kPruneBlock` keys, the k-th largest block
    // maximum `floor` bounds the k-th key from below (k keys reach it), and
    // exactly k blocks reach `floor`: each pass reads those blocks' keys and
    // every block's maximum, k (n / B + k B) steps instead of k n.
    int64_t pruneBlocks = llvm::divideCeil(n, kPruneBlock);
    bool prune = pruneBlocks >= k && pruneBlocks > 1;
    Value blockMax, floor;
    if (prune) {
      SmallVector<int64_t> shape(rows);
      shape.push_back(pruneBlocks);
      blockMax = g.generic(
          {}, {}, g.empty(shape, i64), g.identity(rank),
          GenericBuilder::parallel(rank),
          [&](OpBuilder &b, Location l, ValueRange) {
            readRow(b, l);
            BodyScalars s{b, l};
            Value lb = arith::MulIOp::create(
                b, l, linalg::IndexOp::create(b, l, rank - 1),
                s.idx(kPruneBlock));
            Value ub = arith::MinSIOp::create(
                b, l, arith::AddIOp::create(b, l, lb, s.idx(kPruneBlock)),
                s.idx(n));
            // Below all ones: every key.
            return foldRange(s, lb, ub, s.i64(-1), s.i64(0));
          });
      setCost(blockMax, kPruneBlock);
      floor = g.generic(
          {}, {}, g.empty(rows, i64), g.identity(rank - 1),
          GenericBuilder::parallel(rank - 1),
          [&](OpBuilder &b, Location l, ValueRange) {
            readRow(b, l);
            BodyScalars s{b, l};
            return kth(s, [&](Value below, Value best) {
              return s.forEach(
                  pruneBlocks, ValueRange{best},
                  [&](Value blk, ValueRange acc) -> SmallVector<Value> {
                    return {foldBelow(s, s.at(blockMax, rowAt(blk)), below,
                                      acc[0])};
                  })[0];
            });
          });
      setCost(floor, k * pruneBlocks);
    }
    Value last = g.generic(
        prune ? ValueRange{floor} : ValueRange{},
        prune ? SmallVector<AffineMap>{g.identity(rank - 1)}
              : SmallVector<AffineMap>{},
        g.empty(rows, i64), g.identity(rank - 1),
        GenericBuilder::parallel(rank - 1),
        [&](OpBuilder &b, Location l, ValueRange args) {
          readRow(b, l);
          BodyScalars s{b, l};
          if (!prune) {
            return kth(s, [&](Value below, Value best) {
              return foldRange(s, s.idx(0), s.idx(n), below, best);
            });
          }
          return kth(s, [&](Value below, Value best) {
            return s.forEach(
                pruneBlocks, ValueRange{best},
                [&](Value blk, ValueRange acc) -> SmallVector<Value> {
                  Value reaches = s.cmpi(arith::CmpIPredicate::uge,
                                         s.at(blockMax, rowAt(blk)), args[0]);
                  auto branch = scf::IfOp::create(b, l, i64, reaches,
                                                  /*withElseRegion=*/true);
                  OpBuilder::InsertionGuard guard(b);
                  b.setInsertionPointToStart(branch.thenBlock());
                  Value lb =
                      arith::MulIOp::create(b, l, blk, s.idx(kPruneBlock));
                  Value ub = arith::MinSIOp::create(
                      b, l, arith::AddIOp::create(b, l, lb, s.idx(kPruneBlock)),
                      s.idx(n));
                  scf::YieldOp::create(b, l,
                                       foldRange(s, lb, ub, below, acc[0]));
                  b.setInsertionPointToStart(branch.elseBlock());
                  scf::YieldOp::create(b, l, acc[0]);
                  return {branch.getResult(0)};
                })[0];
          });
        });
    setCost(last, prune ? k * (pruneBlocks + k * kPruneBlock) : k * n);

    // Members of the element range [lb, ub) of the current row, given the
    // row's last key.
    auto isMember = [&](BodyScalars &s, Value i, Value lastKey) {
      return s.cmpi(arith::CmpIPredicate::uge, keyAt(s, i), lastKey);
    };
    SmallVector<int64_t> blockShape(rows);
    blockShape.push_back(blocks);
    Value count = g.generic(
        last, {perRow}, g.empty(blockShape, i64), g.identity(rank),
        GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          readRow(b, l);
          BodyScalars s{b, l};
          Value block = linalg::IndexOp::create(b, l, rank - 1);
          Value lb = arith::MulIOp::create(b, l, block, s.idx(kBlock));
          Value ub = arith::MinSIOp::create(
              b, l, arith::AddIOp::create(b, l, lb, s.idx(kBlock)), s.idx(n));
          return s.sum(lb, ub, [&](Value i) {
            return arith::ExtUIOp::create(b, l, i64, isMember(s, i, args[0]))
                .getResult();
          });
        });

    setCost(count, kBlock);
    SmallVector<int64_t> slots(rows);
    slots.push_back(k);
    Value member = g.generic(
        last, {perRow}, g.empty(slots, i64), g.identity(rank),
        GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          readRow(b, l);
          BodyScalars s{b, l};
          Value c = s.toI64(linalg::IndexOp::create(b, l, rank - 1));
          // The block holding member c: the first whose running count
          // passes c. `before` counts the members of the blocks before it.
          ValueRange walk = s.forEach(
              blocks, ValueRange{s.i64(0), s.idx(0), s.i64(0)},
              [&](Value block, ValueRange carried) -> SmallVector<Value> {
                Value through = arith::AddIOp::create(
                    b, l, carried[0], s.at(count, rowAt(block)));
                Value here = arith::AndIOp::create(
                    b, l, s.cmpi(arith::CmpIPredicate::sle, carried[0], c),
                    s.cmpi(arith::CmpIPredicate::sgt, through, c));
                return {through,
                        arith::SelectOp::create(b, l, here, block, carried[1]),
                        arith::SelectOp::create(b, l, here, carried[0],
                                                carried[2])};
              });
          Value lb = arith::MulIOp::create(b, l, walk[1], s.idx(kBlock));
          Value ub = arith::MinSIOp::create(
              b, l, arith::AddIOp::create(b, l, lb, s.idx(kBlock)), s.idx(n));
          Value wanted = arith::SubIOp::create(b, l, c, walk[2]);
          ValueRange found = s.loop(
              lb, ub, ValueRange{s.i64(0), s.idx(0)},
              [&](Value i, ValueRange carried) -> SmallVector<Value> {
                Value in = isMember(s, i, args[0]);
                Value hit = arith::AndIOp::create(
                    b, l, in,
                    s.cmpi(arith::CmpIPredicate::eq, carried[0], wanted));
                return {
                    s.add(carried[0], arith::ExtUIOp::create(b, l, i64, in)),
                    arith::SelectOp::create(b, l, hit, i, carried[1])};
              });
          return s.toI64(found[1]);
        });

    setCost(member, blocks + kBlock);
    auto memberKey = [&](BodyScalars &s, Value c) {
      return keyAt(s, s.toIndex(s.at(member, rowAt(c))));
    };
    Value memberRank = g.generic(
        {}, {}, g.empty(slots, i64), g.identity(rank),
        GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange) {
          readRow(b, l);
          BodyScalars s{b, l};
          Value mine = memberKey(s, linalg::IndexOp::create(b, l, rank - 1));
          return s.sum(s.idx(0), s.idx(k), [&](Value c) {
            Value above =
                s.cmpi(arith::CmpIPredicate::ugt, memberKey(s, c), mine);
            return arith::ExtUIOp::create(b, l, i64, above).getResult();
          });
        });

    setCost(memberRank, k);
    SmallVector<Value> results = g.generic(
        {}, {},
        {g.empty(values.getShape(), rewriter.getF32Type()),
         g.empty(values.getShape(), i64)},
        {g.identity(rank), g.identity(rank)}, GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange) -> SmallVector<Value> {
          readRow(b, l);
          BodyScalars s{b, l};
          Value slot = s.toI64(linalg::IndexOp::create(b, l, rank - 1));
          ValueRange found = s.forEach(
              k, ValueRange{s.idx(0)},
              [&](Value c, ValueRange carried) -> SmallVector<Value> {
                Value hit = s.cmpi(arith::CmpIPredicate::eq,
                                   s.at(memberRank, rowAt(c)), slot);
                return {arith::SelectOp::create(b, l, hit, c, carried[0])};
              });
          Value index = s.at(member, rowAt(found[0]));
          return {s.at(x, rowAt(s.toIndex(index))), index};
        });
    setCost(results[0], k);
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
