//===- MappedFile.h - A read-only memory mapping of a file ------*- C++ -*-===//

#ifndef KILN_RUNTIME_MAPPEDFILE_H
#define KILN_RUNTIME_MAPPEDFILE_H

#include "runtime/Status.h"

#include <cstdint>
#include <string>

namespace kiln::rt {

/// A whole file mapped read-only and private; unmapped on destruction. An
/// empty file has a null data pointer and size 0.
class MappedFile {
public:
  /// Maps the regular file at `path`.
  static StatusOr<MappedFile> open(const std::string &path);

  MappedFile() = default;
  MappedFile(MappedFile &&other) noexcept { *this = std::move(other); }
  MappedFile &operator=(MappedFile &&other) noexcept;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  const uint8_t *data() const { return base; }
  uint64_t size() const { return length; }

private:
  const uint8_t *base = nullptr;
  uint64_t length = 0;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_MAPPEDFILE_H
