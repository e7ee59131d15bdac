//===- PlanMemory.cpp - Place intermediate results in the arena -----------===//
//
// Live ranges are counted in barrier regions: a buffer is live from the
// region of the dispatch that writes it to the last region that reads it,
// both inclusive, so no dispatch of a region can see its inputs overwritten
// by another dispatch of the same region. Placement is first fit over
// buffers sorted by size (largest first), then by definition order.
//
//===----------------------------------------------------------------------===//

#include "dialects/Exec/IR/ExecOps.h"
#include "passes/ArenaBuffers.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace kiln {
#define GEN_PASS_DEF_PLANMEMORYPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

struct Buffer : ArenaBuffer {
  int64_t offset = -1;
};

struct PlanMemoryPass : kiln::impl::PlanMemoryPassBase<PlanMemoryPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal()) {
      return;
    }
    Operation *terminator = func.getBody().front().getTerminator();
    std::vector<Buffer> buffers;
    bool invalid = false;
    func.walk([&](exec::DispatchOp dispatch) {
      if (!dispatch.getScheduleRegion()) {
        dispatch.emitOpError("expects a schedule region; run "
                             "kiln-schedule-regions first");
        invalid = true;
        return;
      }
      int64_t region = *dispatch.getScheduleRegion();
      for (Value result : dispatch.getResults()) {
        std::optional<ArenaBuffer> buffer =
            arenaBuffer(result, region, terminator, [](exec::DispatchOp op) {
              return *op.getScheduleRegion();
            });
        if (buffer) {
          buffers.push_back({*buffer});
        }
      }
    });
    if (invalid) {
      return signalPassFailure();
    }

    std::vector<Buffer *> bySize;
    for (Buffer &buffer : buffers) {
      bySize.push_back(&buffer);
    }
    llvm::stable_sort(bySize, [](const Buffer *a, const Buffer *b) {
      return a->size > b->size;
    });
    int64_t arenaSize = 0;
    std::vector<Buffer *> placed;
    for (Buffer *buffer : bySize) {
      // Byte ranges of placed buffers whose live ranges overlap this one.
      std::vector<std::pair<int64_t, int64_t>> busy;
      for (Buffer *other : placed) {
        if (other->firstRegion <= buffer->lastRegion &&
            buffer->firstRegion <= other->lastRegion) {
          busy.push_back({other->offset, other->offset + other->size});
        }
      }
      llvm::sort(busy);
      int64_t offset = 0;
      for (auto [begin, end] : busy) {
        if (offset + buffer->size <= begin) {
          break;
        }
        offset = std::max(offset, end);
      }
      buffer->offset = offset;
      arenaSize = std::max(arenaSize, offset + buffer->size);
      placed.push_back(buffer);
    }

    Builder b(&getContext());
    DenseMap<Value, int64_t> offsetOf;
    for (Buffer &buffer : buffers) {
      offsetOf[buffer.value] = buffer.offset;
    }
    func.walk([&](exec::DispatchOp dispatch) {
      SmallVector<int64_t> offsets;
      for (Value result : dispatch.getResults()) {
        offsets.push_back(offsetOf.lookup_or(result, -1));
      }
      dispatch.setResultOffsetsAttr(b.getDenseI64ArrayAttr(offsets));
    });
    func->setAttr("exec.arena_size", b.getI64IntegerAttr(arenaSize));
  }
};

} // namespace
