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
/// `linalg.fill` of a `tensor.empty` that other ops also write into. CSE
/// merges identical fills, so two reductions of one tile (a layer norm's
/// sum and sum of squares, both results of the dispatch) accumulated into
/// one fill; empty-tensor elimination then made that fill write the first
/// result's binding, an alias one-shot bufferization did not see, and the
/// copies it added wrote the first result over the second (two layer norms
/// of one input, their statistics shared). A bare `tensor.empty` stays
/// shared: elimination replaces only the use it follows, and elementwise
/// ops sharing one run in place in one buffer (48 KiB of scratch instead
/// of 144 for BERT's output block).
void unshareFills(Operation *module) {
  SmallVector<OpOperand *> shared;
  module->walk([&](DestinationStyleOpInterface op) {
    for (OpOperand &init : op.getDpsInitsMutable()) {
      auto fill = init.get().getDefiningOp<linalg::FillOp>();
      if (fill && fill.hasPureTensorSemantics() &&
          fill.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>() &&
          !init.get().hasOneUse()) {
        shared.push_back(&init);
      }
    }
  });
  for (OpOperand *init : shared) {
    if (init->get().hasOneUse()) {
      continue; // the last user keeps the original
    }
    OpBuilder b(init->getOwner());
    auto fill = init->get().getDefiningOp<linalg::FillOp>();
    Value empty = fill.getDpsInits()[0];
    IRMapping mapping;
    mapping.map(empty, b.clone(*empty.getDefiningOp())->getResult(0));
    init->set(b.clone(*fill, mapping)->getResult(0));
  }
}

struct CpuBufferizePass : kiln::impl::CpuBufferizePassBase<CpuBufferizePass> {
  void runOnOperation() override {
    Operation *module = getOperation();
    IRRewriter rewriter(&getContext());
    unshareFills(module);
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
