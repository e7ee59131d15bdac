//===- ElementwisePatterns.cpp - Elementwise and data-movement lowerings --===//
//
// Elementwise ops become one all-parallel generic each. Broadcast and
// transpose are generics whose input map does the indexing; slice, concat
// and gather compute their source index in the body and read the source
// with tensor.extract, so their sources are whole tensors captured by the
// generic.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/GenericBuilder.h"
#include "passes/KilnToLinalg/KilnToLinalgPatterns.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;

namespace kiln {
namespace {

RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

template <typename KilnOp, typename ArithOp>
struct LowerBinary : OpConversionPattern<KilnOp> {
  using OpConversionPattern<KilnOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(KilnOp op, typename KilnOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOp(
        op,
        g.elementwise({adaptor.getLhs(), adaptor.getRhs()}, type.getShape(),
                      type.getElementType(),
                      [](OpBuilder &b, Location l, ValueRange a) {
                        return ArithOp::create(b, l, a[0], a[1]).getResult();
                      }));
    return success();
  }
};

/// The scalar body of each unary activation.
Value unaryBody(Operation *op, OpBuilder &b, Location l, Value x) {
  auto c = [&](double v) {
    return arith::ConstantOp::create(b, l, b.getF32FloatAttr(v)).getResult();
  };
  auto sigmoid = [&](Value v) -> Value {
    Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, v));
    return arith::DivFOp::create(b, l, c(1.0),
                                 arith::AddFOp::create(b, l, c(1.0), e));
  };
  if (isa<SiluOp>(op)) {
    return arith::MulFOp::create(b, l, x, sigmoid(x));
  }
  if (isa<SigmoidOp>(op)) {
    return sigmoid(x);
  }
  if (isa<TanhOp>(op)) {
    return math::TanhOp::create(b, l, x);
  }
  if (isa<ExpOp>(op)) {
    return math::ExpOp::create(b, l, x);
  }
  if (isa<RsqrtOp>(op)) {
    return math::RsqrtOp::create(b, l, x);
  }
  if (isa<SqrtOp>(op)) {
    return math::SqrtOp::create(b, l, x);
  }
  if (isa<NegOp>(op)) {
    return arith::NegFOp::create(b, l, x);
  }
  auto gelu = cast<GeluOp>(op);
  auto mul = [&](Value a, Value d) {
    return arith::MulFOp::create(b, l, a, d).getResult();
  };
  auto add = [&](Value a, Value d) {
    return arith::AddFOp::create(b, l, a, d).getResult();
  };
  switch (gelu.getApproximation()) {
  case GeluApproximation::None: // 0.5 x (1 + erf(x / sqrt(2)))
    return mul(mul(x, c(0.5)),
               add(c(1.0), math::ErfOp::create(
                               b, l, mul(x, c(0.70710678118654752440)))));
  case GeluApproximation::Tanh: { // 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715
                                  // x^3)))
    Value inner = mul(add(x, mul(mul(mul(x, x), x), c(0.044715))),
                      c(0.79788456080286535588));
    return mul(mul(x, c(0.5)), add(c(1.0), math::TanhOp::create(b, l, inner)));
  }
  case GeluApproximation::Quick: // x sigmoid(1.702 x)
    return mul(x, sigmoid(mul(x, c(1.702))));
  }
  llvm_unreachable("unknown GELU approximation");
}

template <typename KilnOp> struct LowerUnary : OpConversionPattern<KilnOp> {
  using OpConversionPattern<KilnOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(KilnOp op, typename KilnOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    auto type = cast<RankedTensorType>(op.getType());
    Operation *kilnOp = op;
    rewriter.replaceOp(
        op, g.elementwise({adaptor.getInput()}, type.getShape(),
                          type.getElementType(),
                          [&](OpBuilder &b, Location l, ValueRange a) {
                            return unaryBody(kilnOp, b, l, a[0]);
                          }));
    return success();
  }
};

struct LowerConstant : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, cast<TypedAttr>(op.getValue()));
    return success();
  }
};

struct LowerBroadcast : OpConversionPattern<BroadcastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BroadcastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOp(op, g.elementwise({adaptor.getInput()}, type.getShape(),
                                         type.getElementType(),
                                         [](OpBuilder &, Location,
                                            ValueRange a) { return a[0]; }));
    return success();
  }
};

struct LowerTranspose : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    ArrayRef<int64_t> permutation = op.getPermutation();
    unsigned rank = permutation.size();
    // Workgroups tile a result's last two dims, one index of the others:
    // when the input's innermost dim lands in an outer result dim, a tile
    // holds one index of it and kiln-cpu-lower-transposes' 16 x 16 blocks
    // degenerate to single lanes ([64, 1024, 64] by (2, 1, 0): 11.8 ms on
    // one Zen 4 core). The copy then goes in two steps: the input's
    // innermost dim to the second-to-last place (a block transpose), then
    // to its place by a copy that keeps the innermost dim (whole rows).
    auto at = llvm::find(permutation, int64_t(rank - 1));
    unsigned landing = at - permutation.begin();
    if (rank < 3 || landing + 2 >= rank) {
      rewriter.replaceOp(op, permute(g, adaptor.getInput(), permutation));
      return success();
    }
    SmallVector<int64_t> first;
    for (unsigned i = 0; i + 1 < rank; ++i) {
      if (i != landing) {
        first.push_back(permutation[i]);
      }
    }
    first.push_back(rank - 1);
    first.push_back(permutation.back());
    SmallVector<int64_t> second;
    for (int64_t dim : permutation) {
      second.push_back(llvm::find(first, dim) - first.begin());
    }
    Value middle = permute(g, adaptor.getInput(), first);
    rewriter.replaceOp(op, permute(g, middle, second));
    return success();
  }

  /// `input` with its dims permuted: result dim i is input dim
  /// permutation[i].
  static Value permute(GenericBuilder &g, Value input,
                       ArrayRef<int64_t> permutation) {
    auto type = cast<RankedTensorType>(input.getType());
    unsigned rank = type.getRank();
    // Input dim j is read by the loop i with permutation[i] == j.
    SmallVector<unsigned> inputDims(rank);
    SmallVector<int64_t> shape;
    for (auto [i, j] : llvm::enumerate(permutation)) {
      inputDims[j] = i;
      shape.push_back(type.getDimSize(j));
    }
    return g.generic(input, {g.dims(rank, inputDims)},
                     g.empty(shape, type.getElementType()), g.identity(rank),
                     GenericBuilder::parallel(rank),
                     [](OpBuilder &, Location, ValueRange a) { return a[0]; });
  }
};

/// A slice reads its source with tensor.extract at offset + i * stride: an
/// input map such as (d0, d1 + 3) would make linalg infer the loop range from
/// the source instead of the result.
struct LowerSlice : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    auto type = cast<RankedTensorType>(op.getType());
    unsigned rank = type.getRank();
    Value source = adaptor.getInput();
    SmallVector<int64_t> offsets(op.getOffsets()), strides(op.getStrides());
    rewriter.replaceOp(
        op,
        g.generic({}, {}, g.empty(type.getShape(), type.getElementType()),
                  g.identity(rank), GenericBuilder::parallel(rank),
                  [&](OpBuilder &b, Location l, ValueRange) -> Value {
                    SmallVector<Value> at;
                    for (unsigned d = 0; d < rank; ++d) {
                      Value i = linalg::IndexOp::create(b, l, d);
                      Value scaled = arith::MulIOp::create(
                          b, l, i,
                          arith::ConstantIndexOp::create(b, l, strides[d]));
                      at.push_back(arith::AddIOp::create(
                          b, l, scaled,
                          arith::ConstantIndexOp::create(b, l, offsets[d])));
                    }
                    return tensor::ExtractOp::create(b, l, source, at);
                  }));
    return success();
  }
};

struct LowerConcat : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    auto type = cast<RankedTensorType>(op.getType());
    unsigned rank = type.getRank();
    int64_t axis = *normalizeAxisOf(op.getAxis(), rank);
    SmallVector<Value> inputs(adaptor.getInputs());
    SmallVector<int64_t> starts;
    int64_t start = 0;
    for (Value input : inputs) {
      starts.push_back(start);
      start += tensorType(input).getDimSize(axis);
    }
    // Element i along `axis` comes from the last input starting at or
    // before i, at i - start: found by a binary search over the starts, so
    // that the body nests log2(inputs) ifs deep, not one per input (5000
    // inputs overflowed the stack of MLIR's region walks, and 1000 took
    // 16 s to compile).
    Value result =
        g.generic({}, {}, g.empty(type.getShape(), type.getElementType()),
                  g.identity(rank), GenericBuilder::parallel(rank),
                  [&](OpBuilder &b, Location l, ValueRange) -> Value {
                    SmallVector<Value> idx;
                    for (unsigned d = 0; d < rank; ++d) {
                      idx.push_back(linalg::IndexOp::create(b, l, d));
                    }
                    // The element of inputs [lo, hi), built at `nb`'s insertion
                    // point.
                    std::function<Value(OpBuilder &, size_t, size_t)> pick =
                        [&](OpBuilder &nb, size_t lo, size_t hi) -> Value {
                      if (hi - lo == 1) {
                        SmallVector<Value> at(idx);
                        at[axis] = arith::SubIOp::create(
                            nb, l, idx[axis],
                            arith::ConstantIndexOp::create(nb, l, starts[lo]));
                        return tensor::ExtractOp::create(nb, l, inputs[lo], at);
                      }
                      size_t mid = lo + (hi - lo) / 2;
                      Value before = arith::CmpIOp::create(
                          nb, l, arith::CmpIPredicate::slt, idx[axis],
                          arith::ConstantIndexOp::create(nb, l, starts[mid]));
                      auto branch =
                          scf::IfOp::create(nb, l, type.getElementType(),
                                            before, /*withElse=*/true);
                      OpBuilder::InsertionGuard guard(nb);
                      nb.setInsertionPointToStart(branch.thenBlock());
                      scf::YieldOp::create(nb, l, pick(nb, lo, mid));
                      nb.setInsertionPointToStart(branch.elseBlock());
                      scf::YieldOp::create(nb, l, pick(nb, mid, hi));
                      return branch.getResult(0);
                    };
                    return pick(b, 0, inputs.size());
                  });
    rewriter.replaceOp(op, result);
    return success();
  }

  static std::optional<int64_t> normalizeAxisOf(int64_t axis, int64_t rank) {
    return axis < 0 ? axis + rank : axis;
  }
};

struct LowerGather : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    auto type = cast<RankedTensorType>(op.getType());
    Value table = adaptor.getTable();
    int64_t tableRank = tensorType(table).getRank();
    int64_t rawAxis = static_cast<int64_t>(op.getAxis());
    int64_t axis = rawAxis < 0 ? rawAxis + tableRank : rawAxis;
    int64_t indexRank = tensorType(adaptor.getIndices()).getRank();
    int64_t extent = tensorType(table).getDimSize(axis);
    unsigned rank = type.getRank();
    SmallVector<unsigned> indexDims;
    for (int64_t d = 0; d < indexRank; ++d) {
      indexDims.push_back(axis + d);
    }
    Value result = g.generic(
        adaptor.getIndices(), {g.dims(rank, indexDims)},
        g.empty(type.getShape(), type.getElementType()), g.identity(rank),
        GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          // Out-of-range indices are clamped, as the op specifies.
          Value i = arith::IndexCastOp::create(b, l, b.getIndexType(), a[0]);
          i = arith::MaxSIOp::create(b, l, i,
                                     arith::ConstantIndexOp::create(b, l, 0));
          i = arith::MinSIOp::create(
              b, l, i, arith::ConstantIndexOp::create(b, l, extent - 1));
          SmallVector<Value> at;
          for (int64_t d = 0; d < axis; ++d) {
            at.push_back(linalg::IndexOp::create(b, l, d));
          }
          at.push_back(i);
          for (int64_t d = axis + indexRank; d < rank; ++d) {
            at.push_back(linalg::IndexOp::create(b, l, d));
          }
          return tensor::ExtractOp::create(b, l, table, at);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateElementwiseLoweringPatterns(RewritePatternSet &patterns) {
  MLIRContext *ctx = patterns.getContext();
  patterns
      .add<LowerBinary<AddOp, arith::AddFOp>, LowerBinary<SubOp, arith::SubFOp>,
           LowerBinary<MulOp, arith::MulFOp>, LowerBinary<DivOp, arith::DivFOp>,
           LowerBinary<MaximumOp, arith::MaximumFOp>>(ctx);
  patterns.add<LowerUnary<GeluOp>, LowerUnary<SiluOp>, LowerUnary<SigmoidOp>,
               LowerUnary<TanhOp>, LowerUnary<ExpOp>, LowerUnary<RsqrtOp>,
               LowerUnary<SqrtOp>, LowerUnary<NegOp>>(ctx);
  patterns.add<LowerConstant, LowerBroadcast, LowerTranspose, LowerSlice,
               LowerConcat, LowerGather>(ctx);
}

} // namespace kiln
