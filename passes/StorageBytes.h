//===- StorageBytes.h - Bytes a shaped value's elements take ----*- C++ -*-===//
//
// One rule for how many bytes a tensor or a buffer of static shape takes, as
// the artifact stores it and the kernels address it: elements narrower than a
// byte (i1) take a whole byte each. The arena, the kernels' scratch, the
// artifact's constants and the compiler's weight total all size by it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_STORAGEBYTES_H
#define KILN_PASSES_STORAGEBYTES_H

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cstdint>

namespace kiln {

/// Bytes of one element of `type` as stored: its bit width rounded up to
/// whole bytes, at least one (i1, and i0 should one reach here).
inline int64_t storageElementBytes(mlir::ShapedType type) {
  return std::max<int64_t>(1,
                           llvm::divideCeil(type.getElementTypeBitWidth(), 8));
}

/// Bytes the elements of `type`, which has a static shape, take as stored.
inline int64_t storageBytes(mlir::ShapedType type) {
  return type.getNumElements() * storageElementBytes(type);
}

} // namespace kiln

#endif // KILN_PASSES_STORAGEBYTES_H
