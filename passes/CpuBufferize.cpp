//===- CpuBufferize.cpp - Bufferize workgroup kernels in place ------------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace kiln {
#define GEN_PASS_DEF_CPUBUFFERIZEPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Gives every destination-style op its own init when the init is a
/// `tensor.empty`, or a `linalg.fill` of one, that other ops also write
/// into. CSE merges identical fills, so two reductions of one tile (a
/// layer norm's sum and sum of squares, both results of the dispatch)
/// accumulate into one init; empty-tensor elimination then turned that
/// init into the first result's binding for both, and the copies one-shot
/// bufferization added to untangle them wrote the first result over the
/// second (two layer norms of one input, their statistics shared).
void unshareInits(Operation *module) {
  SmallVector<OpOperand *> shared;
  module->walk([&](DestinationStyleOpInterface op) {
    for (OpOperand &init : op.getDpsInitsMutable()) {
      Operation *producer = init.get().getDefiningOp();
      auto fill = dyn_cast_or_null<linalg::FillOp>(producer);
      bool fresh = isa_and_nonnull<tensor::EmptyOp>(producer) ||
                   (fill && fill.hasPureTensorSemantics() &&
                    fill.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>());
      if (fresh && !init.get().hasOneUse()) {
        shared.push_back(&init);
      }
    }
  });
  for (OpOperand *init : shared) {
    if (init->get().hasOneUse()) {
      continue; // the last user keeps the original
    }
    OpBuilder b(init->getOwner());
    Operation *producer = init->get().getDefiningOp();
    IRMapping mapping;
    if (auto fill = dyn_cast<linalg::FillOp>(producer)) {
      Value empty = fill.getDpsInits()[0];
      mapping.map(empty, b.clone(*empty.getDefiningOp())->getResult(0));
    }
    init->set(b.clone(*producer, mapping)->getResult(0));
  }
}

struct CpuBufferizePass : kiln::impl::CpuBufferizePassBase<CpuBufferizePass> {
  void runOnOperation() override {
    Operation *module = getOperation();
    IRRewriter rewriter(&getContext());
    unshareInits(module);
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
