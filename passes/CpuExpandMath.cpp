//===- CpuExpandMath.cpp - Math without libm ------------------------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace kiln {
#define GEN_PASS_DEF_CPUEXPANDMATHPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// floor(x) = -ceil(-x), exact for every x (signed zeros and NaN
/// included); MLIR expands ceil but not floor.
struct FloorAsNegatedCeil : OpRewritePattern<math::FloorOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::FloorOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value negated = arith::NegFOp::create(rewriter, loc, op.getOperand());
    Value ceil = math::CeilOp::create(rewriter, loc, negated);
    rewriter.replaceOpWithNewOp<arith::NegFOp>(op, ceil);
    return success();
  }
};

struct CpuExpandMathPass
    : kiln::impl::CpuExpandMathPassBase<CpuExpandMathPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // rsqrt and sqrt have instructions; the approximated rsqrt would cost
    // accuracy for nothing.
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) { return name != "rsqrt"; });
    if (!roundingInstructions) {
      // Without SSE4.1's roundps, LLVM would call libm's floorf and
      // friends (the polynomial approximations round their range
      // reduction): round through integer conversions instead.
      patterns.add<FloorAsNegatedCeil>(&getContext());
      math::populateExpansionPatterns(patterns, {"ceil", "round", "roundeven"});
    }
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      return signalPassFailure();
    }
    getOperation()->walk([](Operation *op) {
      if (isa<arith::FPToSIOp, arith::FPToUIOp>(op)) {
        convertNaNToZero(op);
      }
    });
  }

  /// A float to integer conversion of NaN is poison in LLVM. The
  /// approximations convert their range reduction, which their clamps
  /// (unordered compares) keep NaN for a NaN argument; the polynomial
  /// carries the NaN to the result, but where the argument is known to be
  /// NaN (a constant) LLVM folds the conversion, and with it the result,
  /// to poison, and may drop its store: exp of a constant NaN read 0.
  /// Converting 0 instead costs a compare and a blend per conversion.
  static void convertNaNToZero(Operation *op) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    Value in = op->getOperand(0);
    Value isNaN =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, in, in);
    Value zero = arith::ConstantOp::create(
        b, loc, cast<TypedAttr>(b.getZeroAttr(in.getType())));
    op->setOperand(0, arith::SelectOp::create(b, loc, isNaN, zero, in));
  }
};

} // namespace
