//===- ScheduleRegions.cpp - Assign dispatches to barrier regions ---------===//

#include "dialects/Exec/IR/ExecOps.h"
#include "passes/Passes.h"
#include "passes/StorageRoots.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace kiln {
#define GEN_PASS_DEF_SCHEDULEREGIONSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct ScheduleRegionsPass
    : kiln::impl::ScheduleRegionsPassBase<ScheduleRegionsPass> {
  void runOnOperation() override {
    Builder b(&getContext());
    // Program order is a topological order, so producers come first.
    getOperation().walk([&](exec::DispatchOp dispatch) {
      int64_t region = 0;
      for (Value arg : dispatch.getArgs()) {
        if (auto producer =
                storageRoot(arg).getDefiningOp<exec::DispatchOp>()) {
          region = std::max<int64_t>(region, *producer.getScheduleRegion() + 1);
        }
      }
      dispatch.setScheduleRegionAttr(b.getI64IntegerAttr(region));
    });
  }
};

} // namespace
