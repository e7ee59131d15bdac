//===- ScheduleRegions.cpp - Assign dispatches to barrier regions ---------===//
//
// As soon as possible: a dispatch runs in the region after the latest of
// its producers'. That exposes the most independent work to the workers,
// and also starts every independent chain at once: the experts of a MoE
// layer each hold their T-row intermediates in the same regions, so none of
// them can share memory. When the intermediates live at once (counted as
// the memory plan counts them, by region) would pass the budget, and
// program order keeps fewer live, a dispatch also never runs before the
// one before it in program order. Consecutive independent dispatches still
// share a region; a chain that program order puts after another starts
// once the other has finished, and reuses its memory.
//
//===----------------------------------------------------------------------===//

#include "dialects/Exec/IR/ExecOps.h"
#include "passes/ArenaBuffers.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <map>

namespace kiln {
#define GEN_PASS_DEF_SCHEDULEREGIONSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

using Schedule = DenseMap<Operation *, int64_t>;

/// Regions of `dispatches` (in program order, a topological order): after
/// their producers', and with `inOrder` no earlier than the previous one's.
Schedule schedule(ArrayRef<exec::DispatchOp> dispatches, bool inOrder) {
  Schedule regions;
  int64_t previous = 0;
  for (exec::DispatchOp dispatch : dispatches) {
    int64_t region = inOrder ? previous : 0;
    for (Value arg : dispatch.getArgs()) {
      if (auto producer = storageRoot(arg).getDefiningOp<exec::DispatchOp>()) {
        region = std::max(region, regions.lookup(producer) + 1);
      }
    }
    regions[dispatch] = region;
    previous = region;
  }
  return regions;
}

/// The most bytes of arena buffers live in one region under `regions`.
int64_t peakLiveBytes(ArrayRef<exec::DispatchOp> dispatches,
                      const Schedule &regions, Operation *terminator) {
  std::map<int64_t, int64_t> delta;
  for (exec::DispatchOp dispatch : dispatches) {
    for (Value result : dispatch.getResults()) {
      std::optional<ArenaBuffer> buffer = arenaBuffer(
          result, regions.lookup(dispatch), terminator,
          [&](exec::DispatchOp reader) { return regions.lookup(reader); });
      if (buffer) {
        delta[buffer->firstRegion] += buffer->size;
        delta[buffer->lastRegion + 1] -= buffer->size;
      }
    }
  }
  int64_t live = 0, peak = 0;
  for (auto [region, change] : delta) {
    live += change;
    peak = std::max(peak, live);
  }
  return peak;
}

struct ScheduleRegionsPass
    : kiln::impl::ScheduleRegionsPassBase<ScheduleRegionsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal()) {
      return;
    }
    SmallVector<exec::DispatchOp> dispatches;
    func.walk(
        [&](exec::DispatchOp dispatch) { dispatches.push_back(dispatch); });
    Schedule regions = schedule(dispatches, /*inOrder=*/false);
    if (memoryBudgetKib > 0) {
      Operation *terminator = func.getBody().front().getTerminator();
      int64_t peak = peakLiveBytes(dispatches, regions, terminator);
      // Compared in KiB: the budget in bytes could overflow.
      if (llvm::divideCeilSigned(peak, int64_t(1024)) > memoryBudgetKib) {
        Schedule ordered = schedule(dispatches, /*inOrder=*/true);
        if (peakLiveBytes(dispatches, ordered, terminator) < peak) {
          regions = std::move(ordered);
        }
      }
    }
    Builder b(&getContext());
    for (exec::DispatchOp dispatch : dispatches) {
      dispatch.setScheduleRegionAttr(
          b.getI64IntegerAttr(regions.lookup(dispatch)));
    }
  }
};

} // namespace
