//===- LowerToLinalg.cpp - Lower kiln ops to linalg on tensors ------------===//
//
// Each kiln op becomes one or more linalg.generic ops. All generics keep the
// leading dimensions of their operands as the leading parallel loops, so a
// row-wise chain (GEMM, bias, activation, residual, norm) shares its outer
// iteration space. Broadcast operands are read through maps with constant 0
// results for their size-1 dimensions.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace kiln {
#define GEN_PASS_DEF_LOWERTOLINALGPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// Creates `linalg.generic` producing `init`'s type; `body` receives the
/// block arguments (inputs, then the output) and returns the yielded value.
/// The generic remembers the kiln op it came from as `kiln.op`, so that
/// dispatches and traces can be named after model ops.
Value buildGeneric(OpBuilder &b, Location loc, StringRef origin,
                   ValueRange inputs, ArrayRef<AffineMap> inputMaps, Value init,
                   AffineMap outputMap, ArrayRef<utils::IteratorType> iterators,
                   BodyFn body) {
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(outputMap);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
      });
  generic->setAttr("kiln.op", b.getStringAttr(origin));
  return generic.getResult(0);
}

Value emptyLike(OpBuilder &b, Location loc, ArrayRef<int64_t> shape) {
  return tensor::EmptyOp::create(b, loc, shape, b.getF32Type());
}

Value zeroFilled(OpBuilder &b, Location loc, ArrayRef<int64_t> shape) {
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  return linalg::FillOp::create(b, loc, zero, emptyLike(b, loc, shape))
      .getResult(0);
}

Value f32Const(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

/// The map reading `operand` inside a loop nest over `resultShape` with
/// NumPy broadcasting: trailing dimensions align, size-1 dimensions that the
/// result expands read index 0.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape) {
  unsigned rank = resultShape.size();
  unsigned lead = rank - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [i, size] : llvm::enumerate(operandShape)) {
    unsigned dim = lead + i;
    exprs.push_back(size == 1 && resultShape[dim] != 1
                        ? getAffineConstantExpr(0, ctx)
                        : getAffineDimExpr(dim, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// Lowers a unary elementwise op given its scalar body.
Value lowerUnary(OpBuilder &b, Location loc, StringRef origin, Value input,
                 BodyFn scalar) {
  auto type = cast<RankedTensorType>(input.getType());
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return buildGeneric(b, loc, origin, input, {id},
                      emptyLike(b, loc, type.getShape()), id, iterators,
                      scalar);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct LowerLinear : OpConversionPattern<LinearOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto resultType = cast<RankedTensorType>(op.getType());
    // Loops: the input's leading dims, then n, then k.
    unsigned rank = resultType.getRank();
    unsigned nDim = rank - 1, kDim = rank;
    SmallVector<AffineExpr> inputExprs, outputExprs;
    for (unsigned d = 0; d < nDim; ++d) {
      inputExprs.push_back(getAffineDimExpr(d, ctx));
      outputExprs.push_back(getAffineDimExpr(d, ctx));
    }
    inputExprs.push_back(getAffineDimExpr(kDim, ctx));
    outputExprs.push_back(getAffineDimExpr(nDim, ctx));
    AffineMap inputMap = AffineMap::get(rank + 1, 0, inputExprs, ctx);
    AffineMap weightMap = AffineMap::get(
        rank + 1, 0, {getAffineDimExpr(nDim, ctx), getAffineDimExpr(kDim, ctx)},
        ctx);
    AffineMap outputMap = AffineMap::get(rank + 1, 0, outputExprs, ctx);
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    Value result = buildGeneric(
        rewriter, loc, op->getName().getStringRef(),
        {adaptor.getInput(), adaptor.getWeight()}, {inputMap, weightMap},
        zeroFilled(rewriter, loc, resultType.getShape()), outputMap, iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          Value product = arith::MulFOp::create(b, l, args[0], args[1]);
          return arith::AddFOp::create(b, l, args[2], product).getResult();
        });
    if (Value bias = adaptor.getBias()) {
      AffineMap id = rewriter.getMultiDimIdentityMap(rank);
      AffineMap biasMap = AffineMap::get(rank, 0, getAffineDimExpr(nDim, ctx));
      SmallVector<utils::IteratorType> parallel(rank,
                                                utils::IteratorType::parallel);
      result = buildGeneric(
          rewriter, loc, op->getName().getStringRef(), {result, bias},
          {id, biasMap}, emptyLike(rewriter, loc, resultType.getShape()), id,
          parallel, [](OpBuilder &b, Location l, ValueRange args) {
            return arith::AddFOp::create(b, l, args[0], args[1]).getResult();
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

template <typename KilnOp, typename ArithOp>
struct LowerBinary : OpConversionPattern<KilnOp> {
  using OpConversionPattern<KilnOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(KilnOp op, typename KilnOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> shape = type.getShape();
    auto operandShape = [](Value v) {
      return cast<RankedTensorType>(v.getType()).getShape();
    };
    MLIRContext *ctx = op.getContext();
    SmallVector<AffineMap> maps = {
        broadcastMap(ctx, operandShape(adaptor.getLhs()), shape),
        broadcastMap(ctx, operandShape(adaptor.getRhs()), shape)};
    SmallVector<utils::IteratorType> iterators(type.getRank(),
                                               utils::IteratorType::parallel);
    Value result = buildGeneric(
        rewriter, loc, op->getName().getStringRef(),
        {adaptor.getLhs(), adaptor.getRhs()}, maps,
        emptyLike(rewriter, loc, shape),
        rewriter.getMultiDimIdentityMap(type.getRank()), iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          return ArithOp::create(b, l, args[0], args[1]).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerGelu : OpConversionPattern<GeluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GeluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GeluApproximation kind = op.getApproximation();
    Value result = lowerUnary(
        rewriter, op.getLoc(), op->getName().getStringRef(), adaptor.getInput(),
        [kind](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value x = args[0];
          auto mul = [&](Value a, Value c) {
            return arith::MulFOp::create(b, l, a, c).getResult();
          };
          auto add = [&](Value a, Value c) {
            return arith::AddFOp::create(b, l, a, c).getResult();
          };
          Value one = f32Const(b, l, 1.0);
          switch (kind) {
          case GeluApproximation::None: {
            // 0.5 x (1 + erf(x / sqrt(2)))
            Value erf = math::ErfOp::create(
                b, l, mul(x, f32Const(b, l, 0.70710678118654752440)));
            return mul(mul(x, f32Const(b, l, 0.5)), add(one, erf));
          }
          case GeluApproximation::Tanh: {
            // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
            Value cube = mul(mul(x, x), x);
            Value inner = mul(add(x, mul(cube, f32Const(b, l, 0.044715))),
                              f32Const(b, l, 0.79788456080286535588));
            Value tanh = math::TanhOp::create(b, l, inner);
            return mul(mul(x, f32Const(b, l, 0.5)), add(one, tanh));
          }
          case GeluApproximation::Quick: {
            // x sigmoid(1.702 x) = x / (1 + exp(-1.702 x))
            Value e = math::ExpOp::create(b, l, mul(x, f32Const(b, l, -1.702)));
            return arith::DivFOp::create(b, l, x, add(one, e));
          }
          }
          llvm_unreachable("unknown GELU approximation");
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LowerLayerNorm : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    unsigned rank = type.getRank();
    ArrayRef<int64_t> shape = type.getShape();
    ArrayRef<int64_t> rowShape = shape.drop_back();
    double invDim = 1.0 / static_cast<double>(shape.back());

    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap rowMap = id.getMajorSubMap(rank - 1);
    AffineMap lastMap =
        AffineMap::get(rank, 0, getAffineDimExpr(rank - 1, ctx));
    SmallVector<utils::IteratorType> reduce(rank,
                                            utils::IteratorType::parallel);
    reduce.back() = utils::IteratorType::reduction;
    SmallVector<utils::IteratorType> parallel(rank,
                                              utils::IteratorType::parallel);

    // Two passes, as torch: the mean first, then the centred sum of squares.
    Value sum = buildGeneric(
        rewriter, loc, op->getName().getStringRef(), x, {id},
        zeroFilled(rewriter, loc, rowShape), rowMap, reduce,
        [](OpBuilder &b, Location l, ValueRange a) {
          return arith::AddFOp::create(b, l, a[1], a[0]).getResult();
        });
    Value sumSq =
        buildGeneric(rewriter, loc, op->getName().getStringRef(), {x, sum},
                     {id, rowMap}, zeroFilled(rewriter, loc, rowShape), rowMap,
                     reduce, [invDim](OpBuilder &b, Location l, ValueRange a) {
                       Value mean = arith::MulFOp::create(
                           b, l, a[1], f32Const(b, l, invDim));
                       Value d = arith::SubFOp::create(b, l, a[0], mean);
                       Value sq = arith::MulFOp::create(b, l, d, d);
                       return arith::AddFOp::create(b, l, a[2], sq).getResult();
                     });

    SmallVector<Value> inputs = {x, sum, sumSq};
    SmallVector<AffineMap> maps = {id, rowMap, rowMap};
    Value scale = adaptor.getScale(), bias = adaptor.getBias();
    for (Value affine : {scale, bias}) {
      if (affine) {
        inputs.push_back(affine);
        maps.push_back(lastMap);
      }
    }
    double eps = op.getEpsilon().convertToDouble();
    Value result = buildGeneric(
        rewriter, loc, op->getName().getStringRef(), inputs, maps,
        emptyLike(rewriter, loc, shape), id, parallel,
        [&](OpBuilder &b, Location l, ValueRange a) {
          Value inv = f32Const(b, l, invDim);
          Value mean = arith::MulFOp::create(b, l, a[1], inv);
          Value var = arith::MulFOp::create(b, l, a[2], inv);
          Value rstd = math::RsqrtOp::create(
              b, l, arith::AddFOp::create(b, l, var, f32Const(b, l, eps)));
          Value y = arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, a[0], mean), rstd);
          unsigned next = 3;
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

struct LowerToLinalgPass
    : kiln::impl::LowerToLinalgPassBase<LowerToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect>();
    target.addIllegalDialect<KilnDialect>();
    target.addLegalOp<ParamOp>();
    RewritePatternSet patterns(ctx);
    patterns.add<
        LowerLinear, LowerGelu, LowerLayerNorm,
        LowerBinary<AddOp, arith::AddFOp>, LowerBinary<SubOp, arith::SubFOp>,
        LowerBinary<MulOp, arith::MulFOp>, LowerBinary<DivOp, arith::DivFOp>>(
        ctx);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns)))) {
      signalPassFailure();
    }
  }
};

} // namespace
