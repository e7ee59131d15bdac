//===- HostMemory.h - The machine's physical memory -------------*- C++ -*-===//
//
// The compiler makes each parameter's data in memory, and the reference
// interpreter holds every value: both refuse, with a located error, what
// the machine cannot hold, rather than abort on the allocation.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_HOSTMEMORY_H
#define KILN_COMPILER_HOSTMEMORY_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <unistd.h>

namespace kiln {

/// Bytes of physical memory; 0 when unknown.
inline uint64_t physicalMemoryBytes() {
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
}

/// Bytes of a tensor of `shape` with `elementBytes` per element, saturating
/// at UINT64_MAX (shapes come from models, so the product may overflow).
inline uint64_t tensorBytes(llvm::ArrayRef<int64_t> shape,
                            uint64_t elementBytes) {
  uint64_t bytes = elementBytes;
  for (int64_t dim : shape) {
    auto size = static_cast<uint64_t>(dim);
    if (size != 0 && bytes > UINT64_MAX / size) {
      return UINT64_MAX;
    }
    bytes *= size;
  }
  return bytes;
}

} // namespace kiln

#endif // KILN_COMPILER_HOSTMEMORY_H
