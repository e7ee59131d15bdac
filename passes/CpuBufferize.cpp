//===- CpuBufferize.cpp - Bufferize workgroup kernels in place ------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_CPUBUFFERIZEPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct CpuBufferizePass : kiln::impl::CpuBufferizePassBase<CpuBufferizePass> {
  void runOnOperation() override {
    Operation *module = getOperation();
    IRRewriter rewriter(&getContext());
    // The last op of a tile then writes straight into the result binding.
    if (failed(bufferization::eliminateEmptyTensors(rewriter, module))) {
      return signalPassFailure();
    }
    bufferization::OneShotBufferizationOptions options;
    options.bufferizeFunctionBoundaries = false;
    options.setFunctionBoundaryTypeConversion(
        bufferization::LayoutMapOption::IdentityLayoutMap);
    options.memCpyFn = [](OpBuilder &b, Location loc, Value from, Value to) {
      linalg::CopyOp::create(b, loc, from, to);
      return success();
    };
    bufferization::BufferizationState state;
    if (failed(bufferization::runOneShotBufferize(module, options, state))) {
      return signalPassFailure();
    }
  }
};

} // namespace
