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

struct CpuExpandMathPass
    : kiln::impl::CpuExpandMathPassBase<CpuExpandMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // rsqrt and sqrt have instructions; the approximated rsqrt would cost
    // accuracy for nothing.
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) { return name != "rsqrt"; });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      return signalPassFailure();
    }
  }
};

} // namespace
