//===- HostMemory.h - The machine's physical memory -------------*- C++ -*-===//
//
// The compiler makes each parameter's data in memory, and the reference
// interpreter holds every value: both refuse, with a located error, what
// the machine cannot hold, rather than abort on the allocation.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_HOSTMEMORY_H
#define KILN_COMPILER_HOSTMEMORY_H

#include <cstdint>
#include <unistd.h>

namespace kiln {

/// Bytes of physical memory; 0 when unknown.
inline uint64_t physicalMemoryBytes() {
  long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
}

} // namespace kiln

#endif // KILN_COMPILER_HOSTMEMORY_H
