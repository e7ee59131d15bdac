//===- ArenaBuffers.h - Dispatch results that live in the arena -*- C++ -*-===//
//
// Every dispatch result that is not a model output is a buffer of the
// invocation's arena, live from the region of the dispatch that writes it
// to the last region that reads it, both inclusive (readers see it directly
// or through reshapes). kiln-schedule-regions estimates with this rule how
// much a schedule keeps live; kiln-plan-memory places the buffers by it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_ARENABUFFERS_H
#define KILN_PASSES_ARENABUFFERS_H

#include "dialects/Exec/IR/ExecOps.h"
#include "passes/StorageBytes.h"
#include "passes/StorageRoots.h"

#include <optional>

namespace kiln {

/// An arena buffer: its size and the regions it is live in.
struct ArenaBuffer {
  mlir::Value value;
  int64_t size;
  int64_t firstRegion, lastRegion;
};

/// The bytes a buffer for `value` (a ranked tensor) takes in the arena:
/// its size rounded up to 64 bytes, at least 64.
inline int64_t arenaBytes(mlir::Value value) {
  int64_t bytes =
      storageBytes(llvm::cast<mlir::RankedTensorType>(value.getType()));
  return llvm::alignTo(std::max<int64_t>(bytes, 1), 64);
}

/// The arena buffer of `result`, a result of a dispatch in `region`, or
/// nothing when it is a model output (read by `terminator`). `regionOf`
/// gives the region of a reading dispatch.
inline std::optional<ArenaBuffer>
arenaBuffer(mlir::Value result, int64_t region, mlir::Operation *terminator,
            llvm::function_ref<int64_t(exec::DispatchOp)> regionOf) {
  bool isOutput = false;
  int64_t last = region;
  forEachReader(result, [&](mlir::Operation *user) {
    isOutput |= user == terminator;
    if (auto reader = llvm::dyn_cast<exec::DispatchOp>(user)) {
      last = std::max(last, regionOf(reader));
    }
  });
  if (isOutput) {
    return std::nullopt;
  }
  return ArenaBuffer{result, arenaBytes(result), region, last};
}

} // namespace kiln

#endif // KILN_PASSES_ARENABUFFERS_H
