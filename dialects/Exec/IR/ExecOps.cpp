//===- ExecOps.cpp - Verifiers of the schedule dialect --------------------===//

#include "dialects/Exec/IR/ExecOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace kiln::exec;

//===----------------------------------------------------------------------===//
// DispatchRegionOp
//===----------------------------------------------------------------------===//

LogicalResult DispatchRegionOp::verify() {
  auto yield = cast<YieldOp>(getBody().front().getTerminator());
  if (TypeRange(yield.getValues().getTypes()) != TypeRange(getResultTypes())) {
    return emitOpError("expects the yielded types to match the result types");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ExecutableOp
//===----------------------------------------------------------------------===//

RegionKind ExecutableOp::getRegionKind(unsigned) { return RegionKind::Graph; }

func::FuncOp ExecutableOp::getFunction() {
  return dyn_cast_or_null<func::FuncOp>(lookupSymbol(getSymName()));
}

LogicalResult ExecutableOp::verify() {
  if (!getFunction()) {
    return emitOpError("expects a func.func named @") << getSymName();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// DispatchOp
//===----------------------------------------------------------------------===//

LogicalResult DispatchOp::verify() {
  if (std::optional<ArrayRef<int64_t>> grid = getGrid()) {
    if (grid->size() != 3 ||
        llvm::any_of(*grid, [](int64_t n) { return n < 1; })) {
      return emitOpError("expects a grid of three sizes >= 1");
    }
  }
  if (std::optional<ArrayRef<int64_t>> offsets = getResultOffsets()) {
    if (offsets->size() != getNumResults()) {
      return emitOpError("expects one result offset per result, got ")
             << offsets->size() << " for " << getNumResults() << " results";
    }
  }
  return success();
}

LogicalResult DispatchOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto executable =
      symbolTable.lookupNearestSymbolFrom<ExecutableOp>(*this, getCalleeAttr());
  if (!executable) {
    return emitOpError("expects @")
           << getCallee() << " to name an exec.executable";
  }
  func::FuncOp function = executable.getFunction();
  if (!function) {
    return success(); // The executable's own verifier reports this.
  }
  FunctionType type = function.getFunctionType();
  if (TypeRange(type.getInputs()) != TypeRange(getArgs().getTypes()) ||
      TypeRange(type.getResults()) != TypeRange(getResultTypes())) {
    return emitOpError("expects operand and result types to match @")
           << getCallee() << " of type " << type;
  }
  return success();
}

#define GET_OP_CLASSES
#include "dialects/Exec/IR/ExecOps.cpp.inc"
