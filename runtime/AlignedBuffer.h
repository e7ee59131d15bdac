//===- AlignedBuffer.h - Owned, 64-byte aligned host memory -----*- C++ -*-===//

#ifndef KILN_RUNTIME_ALIGNEDBUFFER_H
#define KILN_RUNTIME_ALIGNEDBUFFER_H

#include "runtime/Status.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <sys/mman.h>

namespace kiln::rt {

/// Alignment of every buffer the runtime allocates (tensors, arena, scratch).
inline constexpr uint64_t kBufferAlignment = 64;

/// Size (and alignment) of a transparent huge page on x86-64 Linux. Buffers
/// of at least this size are aligned to it, rounded up to a multiple of it
/// and advised with MADV_HUGEPAGE before their first touch, so that on the
/// usual `madvise` THP setting the kernel backs them with 2 MiB pages: a
/// GEMM's operand rows and C rows lie pages apart, and with 4 KiB pages a
/// 2048 x 2048 operand alone spans twice the L2 TLB. The advice is a hint;
/// where THP is off the buffer is ordinary memory.
inline constexpr uint64_t kHugePageSize = uint64_t(2) << 20;

/// A zero-initialised heap block aligned to kBufferAlignment (to
/// kHugePageSize from that size on). An empty buffer has a null data
/// pointer.
class AlignedBuffer {
public:
  /// An empty buffer.
  AlignedBuffer() = default;

  /// Allocates `size` zeroed bytes; `what` names the buffer in the error.
  static StatusOr<AlignedBuffer> allocate(uint64_t size, const char *what) {
    AlignedBuffer buffer;
    if (size == 0) {
      return buffer;
    }
    uint64_t alignment =
        size >= kHugePageSize ? kHugePageSize : kBufferAlignment;
    uint64_t rounded = (size + alignment - 1) & ~(alignment - 1);
    if (rounded < size) {
      return makeError(StatusCode::Internal, "cannot allocate ", what, " of ",
                       size, " bytes: size overflows");
    }
    void *ptr = std::aligned_alloc(alignment, rounded);
    if (!ptr) {
      return makeError(StatusCode::Internal, "cannot allocate ", what, " of ",
                       size, " bytes: out of memory");
    }
    if (alignment == kHugePageSize) {
      // A hint: an error (THP compiled out) leaves ordinary pages.
      (void)::madvise(ptr, rounded, MADV_HUGEPAGE);
    }
    std::memset(ptr, 0, rounded);
    buffer.ptr.reset(static_cast<uint8_t *>(ptr));
    buffer.length = size;
    return buffer;
  }

  /// The first byte, or null when empty.
  uint8_t *data() const { return ptr.get(); }
  /// The usable size in bytes.
  uint64_t size() const { return length; }

private:
  struct FreeDeleter {
    void operator()(uint8_t *p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, FreeDeleter> ptr;
  uint64_t length = 0;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_ALIGNEDBUFFER_H
