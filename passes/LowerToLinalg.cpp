//===- LowerToLinalg.cpp - Lower kiln ops to linalg on tensors ------------===//
//
// Applies the kiln-to-linalg patterns of passes/KilnToLinalg/. Every kiln op
// but `kiln.param` (a constant of the artifact) and `kiln.reshape` (a view)
// must be lowered; an op without a lowering is an error at its location.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/KilnToLinalgPatterns.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace kiln {
#define GEN_PASS_DEF_LOWERTOLINALGPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct LowerToLinalgPass
    : kiln::impl::LowerToLinalgPassBase<LowerToLinalgPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.addIllegalDialect<KilnDialect>();
    target.addLegalOp<ParamOp, ReshapeOp>();
    RewritePatternSet patterns(ctx);
    populateElementwiseLoweringPatterns(patterns);
    populateContractionLoweringPatterns(patterns);
    populateReductionLoweringPatterns(patterns);
    populateTopKLoweringPatterns(patterns);
    populateRopeLoweringPatterns(patterns);
    populateAttentionLoweringPatterns(patterns, keysInPlaceRows);
    populateMoeLoweringPatterns(patterns, memoryBudgetKib);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns)))) {
      signalPassFailure();
    }
  }
};

} // namespace
