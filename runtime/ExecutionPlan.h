//===- ExecutionPlan.h - The schedule, resolved for execution ---*- C++ -*-===//
//
// Internal to the runtime. A Program builds this once at load time from its
// verified ArtifactInfo: kernel function pointers, binding descriptions with
// constant addresses already resolved into the mapping, and per-region tile
// tables. Sessions read it concurrently and never modify it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_EXECUTIONPLAN_H
#define KILN_RUNTIME_EXECUTIONPLAN_H

#include "runtime/ArtifactInfo.h"
#include "runtime/abi/KernelAbi.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::rt {

/// One binding: where its bytes come from at run time.
struct BindingPlan {
  BindingKind kind = BindingKind::Input;
  /// Input or output index for Input/Output bindings.
  uint32_t index = 0;
  /// Byte offset into the input, output or arena.
  uint64_t offset = 0;
  uint64_t size = 0;
  /// For Constant bindings: the bound bytes inside the file mapping.
  const uint8_t *constant = nullptr;
};

/// One dispatch, ready to launch.
struct DispatchPlan {
  const std::string *name = nullptr;
  kiln_dispatch_fn_t function = nullptr;
  uint32_t grid[3] = {1, 1, 1};
  uint64_t workgroupCount = 1;
  uint64_t scratchSize = 0;
  /// The dispatch's bindings are ExecutionPlan::bindings[firstBinding,
  /// firstBinding + bindingCount).
  uint32_t firstBinding = 0;
  uint32_t bindingCount = 0;
};

/// The tiles of one region, flattened: tile t belongs to dispatch
/// dispatches[i] for the first i with t < tileEnds[i], and is workgroup
/// t - tileEnds[i-1] of it (x fastest).
struct RegionPlan {
  std::vector<uint32_t> dispatches;
  std::vector<uint64_t> tileEnds;
  uint64_t tileCount = 0;
};

/// Everything a Session needs to run the program.
struct ExecutionPlan {
  std::vector<DispatchPlan> dispatches;
  std::vector<BindingPlan> bindings;
  std::vector<RegionPlan> regions;
  uint64_t arenaSize = 0;
  /// The largest scratch_size of any dispatch.
  uint64_t maxScratchSize = 0;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_EXECUTIONPLAN_H
