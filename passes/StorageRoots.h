//===- StorageRoots.h - Which value owns a buffer ---------------*- C++ -*-===//
//
// After dispatch formation the only ops left between dispatches are views:
// `kiln.reshape` reinterprets its input's bytes. A value's storage root is
// the value that owns its bytes (a model input, a parameter, a constant or a
// dispatch result); scheduling, memory planning and the artifact writer all
// reason about roots.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_STORAGEROOTS_H
#define KILN_PASSES_STORAGEROOTS_H

#include "dialects/Kiln/IR/KilnOps.h"

namespace kiln {

/// The value owning the bytes of `value`, looking through reshapes.
inline mlir::Value storageRoot(mlir::Value value) {
  while (auto reshape = value.getDefiningOp<ReshapeOp>()) {
    value = reshape.getInput();
  }
  return value;
}

/// Calls `fn` with every op reading the bytes of `root` (through any chain
/// of reshapes).
inline void forEachReader(mlir::Value root,
                          llvm::function_ref<void(mlir::Operation *)> fn) {
  for (mlir::Operation *user : root.getUsers()) {
    if (auto reshape = llvm::dyn_cast<ReshapeOp>(user)) {
      forEachReader(reshape.getResult(), fn);
    } else {
      fn(user);
    }
  }
}

} // namespace kiln

#endif // KILN_PASSES_STORAGEROOTS_H
