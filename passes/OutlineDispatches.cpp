//===- OutlineDispatches.cpp - Dispatch regions to executables ------------===//
//
// Each exec.dispatch_region becomes an exec.dispatch of an exec.executable
// whose function computes the region from the values it used from above.
// Identical functions (same ops on the same types; names and locations
// aside) share one executable: the layers of a model usually produce only a
// handful of distinct dispatches, each compiled once.
//
//===----------------------------------------------------------------------===//

#include "dialects/Exec/IR/ExecOps.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringMap.h"

namespace kiln {
#define GEN_PASS_DEF_OUTLINEDISPATCHESPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Values used in `region` but defined above it, in order of first use.
SmallVector<Value> capturedValues(Region &region) {
  SetVector<Value> captured;
  region.walk([&](Operation *op) {
    for (Value operand : op->getOperands()) {
      if (!region.isAncestor(operand.getParentRegion())) {
        captured.insert(operand);
      }
    }
  });
  return captured.takeVector();
}

/// Text identifying a function's computation, independent of its name and
/// of locations (the default printing omits them). The printer numbers
/// values within the function only: numbering from the module for every
/// op made outlining quadratic (17 s for a 64-expert MoE layer).
std::string structuralKey(func::FuncOp func) {
  std::string key;
  llvm::raw_string_ostream os(key);
  func.getFunctionType().print(os);
  AsmState state(func, OpPrintingFlags().useLocalScope());
  for (Operation &op : func.getBody().front()) {
    op.print(os, state);
  }
  return key;
}

struct OutlineDispatchesPass
    : kiln::impl::OutlineDispatchesPassBase<OutlineDispatchesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    llvm::StringMap<StringAttr> executableOf;
    for (auto func :
         llvm::to_vector(module.getBody()->getOps<func::FuncOp>())) {
      unsigned counter = 0;
      SmallVector<exec::DispatchRegionOp> regions;
      func.walk([&](exec::DispatchRegionOp op) { regions.push_back(op); });
      for (exec::DispatchRegionOp region : regions) {
        outline(region, func, symbols, executableOf, counter);
      }
    }
  }

  void outline(exec::DispatchRegionOp region, func::FuncOp parent,
               SymbolTable &symbols, llvm::StringMap<StringAttr> &executableOf,
               unsigned &counter) {
    SmallVector<Value> captured = capturedValues(region.getBody());
    OpBuilder b(parent);
    Location loc = region.getLoc();
    auto type = b.getFunctionType(ValueRange(captured).getTypes(),
                                  region.getResultTypes());
    std::string name =
        (parent.getSymName() + "_dispatch_" + Twine(counter++)).str();
    auto executable = exec::ExecutableOp::create(b, loc, name);
    b.setInsertionPointToStart(&executable.getBody().emplaceBlock());
    auto func = func::FuncOp::create(b, loc, name, type);
    Block *entry = func.addEntryBlock();
    IRMapping mapping;
    mapping.map(captured, entry->getArguments());
    b.setInsertionPointToEnd(entry);
    for (Operation &op : region.getBody().front().without_terminator()) {
      b.clone(op, mapping);
    }
    auto yield = cast<exec::YieldOp>(region.getBody().front().getTerminator());
    SmallVector<Value> results;
    for (Value value : yield.getValues()) {
      results.push_back(mapping.lookup(value));
    }
    func::ReturnOp::create(b, loc, results);

    // Share an identical executable when there is one.
    std::string key = structuralKey(func);
    StringAttr callee;
    auto it = executableOf.find(key);
    if (it != executableOf.end()) {
      callee = it->second;
      executable->erase();
    } else {
      callee = symbols.insert(executable);
      if (callee.getValue() != name) {
        func.setSymName(callee.getValue());
      }
      executableOf[key] = callee;
    }

    b.setInsertionPoint(region);
    auto dispatch = exec::DispatchOp::create(
        b, loc, region.getResultTypes(), FlatSymbolRefAttr::get(callee),
        captured, region.getRootAttr(), /*grid=*/nullptr,
        /*schedule_region=*/nullptr, /*result_offsets=*/nullptr);
    region->replaceAllUsesWith(dispatch);
    region->erase();
  }
};

} // namespace
