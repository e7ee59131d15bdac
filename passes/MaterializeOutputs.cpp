//===- MaterializeOutputs.cpp - A computation for every model output ------===//

#include "passes/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace kiln {
#define GEN_PASS_DEF_MATERIALIZEOUTPUTSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct MaterializeOutputsPass
    : kiln::impl::MaterializeOutputsPassBase<MaterializeOutputsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal()) {
      return;
    }
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    OpBuilder b(ret);
    DenseSet<Value> returned;
    for (OpOperand &operand : ret->getOpOperands()) {
      Value value = operand.get();
      Operation *def = value.getDefiningOp();
      bool computed = def && isa<linalg::LinalgOp>(def);
      if (computed && returned.insert(value).second) {
        continue;
      }
      auto type = cast<RankedTensorType>(value.getType());
      Value empty = tensor::EmptyOp::create(b, value.getLoc(), type.getShape(),
                                            type.getElementType());
      auto copy = linalg::CopyOp::create(b, value.getLoc(), value, empty);
      copy->setAttr("kiln.op", b.getStringAttr("kiln.copy"));
      operand.set(copy.getResult(0));
      returned.insert(copy.getResult(0));
    }
  }
};

} // namespace
