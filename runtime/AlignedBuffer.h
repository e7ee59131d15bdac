//===- AlignedBuffer.h - Owned, 64-byte aligned host memory -----*- C++ -*-===//

#ifndef KILN_RUNTIME_ALIGNEDBUFFER_H
#define KILN_RUNTIME_ALIGNEDBUFFER_H

#include "runtime/Status.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace kiln::rt {

/// Alignment of every buffer the runtime allocates (tensors, arena, scratch).
inline constexpr uint64_t kBufferAlignment = 64;

/// A zero-initialised heap block aligned to kBufferAlignment. An empty buffer
/// has a null data pointer.
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
    uint64_t rounded = (size + kBufferAlignment - 1) & ~(kBufferAlignment - 1);
    if (rounded < size) {
      return makeError(StatusCode::Internal, "cannot allocate ", what, " of ",
                       size, " bytes: size overflows");
    }
    void *ptr = std::aligned_alloc(kBufferAlignment, rounded);
    if (!ptr) {
      return makeError(StatusCode::Internal, "cannot allocate ", what, " of ",
                       size, " bytes: out of memory");
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
