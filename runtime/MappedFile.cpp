//===- MappedFile.cpp - A read-only memory mapping of a file --------------===//
//
// The mapping is PROT_READ and MAP_PRIVATE: weights bound from it can never
// be written by a kernel, and pages are shared with the page cache, so many
// programs mapping one artifact cost its size in memory once.
//
//===----------------------------------------------------------------------===//

#include "runtime/MappedFile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kiln::rt {

StatusOr<MappedFile> MappedFile::open(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return makeError(StatusCode::IoError, "cannot open '", path,
                     "': ", std::strerror(errno));
  }
  struct stat info;
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return makeError(StatusCode::IoError, "'", path, "' is not a regular file");
  }
  MappedFile file;
  file.length = static_cast<uint64_t>(info.st_size);
  if (file.length > 0) {
    void *addr = ::mmap(nullptr, file.length, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) {
      int savedErrno = errno;
      ::close(fd);
      return makeError(StatusCode::IoError, "cannot map '", path,
                       "': ", std::strerror(savedErrno));
    }
    file.base = static_cast<const uint8_t *>(addr);
  }
  // The mapping keeps the file alive; the descriptor is no longer needed.
  ::close(fd);
  return file;
}

MappedFile &MappedFile::operator=(MappedFile &&other) noexcept {
  if (this != &other) {
    if (base) {
      ::munmap(const_cast<uint8_t *>(base), length);
    }
    base = other.base;
    length = other.length;
    other.base = nullptr;
    other.length = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (base) {
    ::munmap(const_cast<uint8_t *>(base), length);
  }
}

} // namespace kiln::rt
