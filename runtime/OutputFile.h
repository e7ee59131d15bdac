//===- OutputFile.h - Files that appear whole or not at all ----*- C++ -*-===//
//
// Every file Kiln writes (artifacts, .npy outputs, traces) goes through
// OutputFile: a regular file (or a new one) is written as a temporary next
// to it and renamed onto it once complete, so a reader sees the old file or
// the whole new one, never a prefix, and a failed write leaves the old file
// as it was. Symbolic links, devices and pipes are handled as
// docs/artifact.md section 1 describes.
//
// Header-only and free of dependencies beyond POSIX: the artifact writer
// (in the compiler), the runtime and the tools all include it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_OUTPUTFILE_H
#define KILN_RUNTIME_OUTPUTFILE_H

#include "runtime/Checksum.h"
#include "runtime/Status.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace kiln::rt {

/// Formats a byte count for messages, e.g. "180.3 GiB".
inline std::string formatBytes(uint64_t bytes) {
  static const char *const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), unit == 0 ? "%.0f %s" : "%.1f %s", value,
                kUnits[unit]);
  return text;
}

/// The path a dangling symbolic link names, relative to the link's
/// directory when the link is relative.
inline std::string danglingLinkTarget(const std::string &link) {
  char buffer[PATH_MAX];
  ssize_t length = ::readlink(link.c_str(), buffer, sizeof(buffer) - 1);
  if (length <= 0) {
    return link;
  }
  std::string named(buffer, static_cast<size_t>(length));
  size_t slash = link.find_last_of('/');
  if (named.front() == '/' || slash == std::string::npos) {
    return named;
  }
  return link.substr(0, slash + 1) + named;
}

/// Where the artifact's bytes go. A regular file (or a new one) is written
/// as a temporary next to it, renamed onto it once complete and removed
/// otherwise; through a symbolic link, that is the file the link names, so
/// the link stays. Anything else at the path (/dev/null, a pipe) is written
/// in place: renaming onto it would replace the device node.
class OutputFile {
public:
  /// Called with the temporary file's path when it is created (true) and
  /// when it is renamed or removed (false).
  using TemporaryHook = std::function<void(const std::string &, bool)>;

  explicit OutputFile(TemporaryHook hook = {}) : hook(std::move(hook)) {}

  ~OutputFile() {
    if (fd >= 0) {
      // A regular file written in place holds nothing half-written.
      if (regular && temporary.empty()) {
        (void)::ftruncate(fd, 0);
      }
      ::close(fd);
    }
    if (!temporary.empty()) {
      ::unlink(temporary.c_str());
      if (hook) {
        hook(temporary, false);
      }
    }
  }

  Status open(const std::string &target) {
    destination = target;
    bool inPlace = false;
    struct stat info;
    if (::lstat(target.c_str(), &info) == 0 && S_ISLNK(info.st_mode)) {
      if (char *real = ::realpath(target.c_str(), nullptr)) {
        // /dev/stdout redirected to a file is such a link.
        destination = real;
        std::free(real);
      } else if (::stat(target.c_str(), &info) == 0) {
        // It opens but names no path (a deleted file, a memfd): write
        // through it.
        inPlace = true;
      } else {
        destination = danglingLinkTarget(target);
      }
    }
    if (::stat(destination.c_str(), &info) == 0 &&
        (inPlace || !S_ISREG(info.st_mode))) {
      if (S_ISDIR(info.st_mode)) {
        return makeError(StatusCode::IoError, "'", target, "' is a directory");
      }
      regular = S_ISREG(info.st_mode);
      fd = ::open(destination.c_str(),
                  O_WRONLY | O_CLOEXEC | (regular ? O_TRUNC : 0));
      if (fd < 0) {
        return ioError("cannot open", target);
      }
      return Status();
    }
    // "<destination>.tmp.XXXXXX" in the same directory, hence on the same
    // file system, so that the rename is atomic.
    std::string templ = destination + ".tmp.XXXXXX";
    int newFd = ::mkstemp(templ.data());
    if (newFd < 0) {
      return makeError(StatusCode::IoError,
                       "cannot create a temporary file "
                       "for '",
                       target, "': ", std::strerror(errno));
    }
    fd = newFd;
    temporary = templ;
    regular = true;
    if (hook) {
      hook(temporary, true);
    }
    // mkstemp creates 0600; an artifact is meant to be shared.
    ::fchmod(fd, 0644);
    return Status();
  }

  /// True for a regular file, which can be written out of order.
  bool seekable() const { return regular; }

  /// Fails early when the file system cannot hold `size` bytes, rather
  /// than after writing most of them. The message does not name the file:
  /// the caller's context does.
  Status reserve(uint64_t size) {
    struct statvfs fs;
    // Some file systems (FUSE, 9p) report no blocks at all.
    if (!regular || ::fstatvfs(fd, &fs) != 0 || fs.f_blocks == 0) {
      return Status();
    }
    // The blocks available to unprivileged writers, for root too: the free
    // count can overstate what a write gets (on this project's CI VMs it
    // counts about 150 GB that the disk image cannot hold, and filling the
    // disk took the tests' room with it), and a root compile that needs
    // the blocks reserved for root would leave the system without them.
    uint64_t available = fs.f_bavail * fs.f_frsize;
    if (available < size) {
      return makeError(StatusCode::IoError, "the artifact takes ",
                       formatBytes(size), " but its file system has ",
                       formatBytes(available), " free");
    }
    return Status();
  }

  /// Sends every byte written from now on through `crc` too (null: none).
  void checksumInto(Crc32c *crc) { running = crc; }

  /// Writes `size` bytes from `data`, or zeros when `data` is null.
  bool write(const void *data, uint64_t size) {
    static const uint8_t kZeros[4096] = {};
    const auto *bytes = static_cast<const uint8_t *>(data);
    while (size > 0) {
      uint64_t chunk = size;
      if (!bytes && chunk > sizeof(kZeros)) {
        chunk = sizeof(kZeros);
      }
      ssize_t put = ::write(fd, bytes ? bytes : kZeros, chunk);
      if (put < 0 && errno == EINTR) {
        continue;
      }
      if (put <= 0) {
        return false;
      }
      if (running) {
        running->update(bytes ? bytes : kZeros, static_cast<size_t>(put));
      }
      if (bytes) {
        bytes += put;
      }
      size -= static_cast<uint64_t>(put);
      position += static_cast<uint64_t>(put);
    }
    return true;
  }

  /// Pads with zeros up to absolute file offset `offset`.
  bool padTo(uint64_t offset) { return write(nullptr, offset - position); }

  /// Writes `size` bytes at absolute offset `offset` (seekable files only).
  bool writeAt(const void *data, uint64_t size, uint64_t offset) {
    const auto *bytes = static_cast<const uint8_t *>(data);
    while (size > 0) {
      ssize_t put = ::pwrite(fd, bytes, size, static_cast<off_t>(offset));
      if (put < 0 && errno == EINTR) {
        continue;
      }
      if (put <= 0) {
        return false;
      }
      bytes += put;
      offset += static_cast<uint64_t>(put);
      size -= static_cast<uint64_t>(put);
    }
    return true;
  }

  /// Flushes, closes and (for a temporary) renames onto the destination;
  /// errors name `target`.
  Status commit(const std::string &target) {
    if (regular && ::fsync(fd) != 0) {
      return ioError("cannot sync", target);
    }
    int oldFd = fd;
    fd = -1;
    if (::close(oldFd) != 0) {
      return ioError("cannot close", target);
    }
    if (temporary.empty()) {
      return Status();
    }
    if (::rename(temporary.c_str(), destination.c_str()) != 0) {
      return ioError("cannot rename the temporary file onto", target);
    }
    if (hook) {
      hook(temporary, false);
    }
    temporary.clear();
    // Make the rename itself durable; failure here loses nothing written.
    std::string dir = destination.substr(0, destination.find_last_of('/') + 1);
    int dirFd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_CLOEXEC);
    if (dirFd >= 0) {
      ::fsync(dirFd);
      ::close(dirFd);
    }
    return Status();
  }

  /// Builds an I/O error from errno naming `target`.
  static Status ioError(const char *what, const std::string &target) {
    return makeError(StatusCode::IoError, what, " '", target,
                     "': ", std::strerror(errno));
  }

private:
  int fd = -1;
  /// The file written: the target, or the file its symbolic link names.
  std::string destination;
  /// The temporary's path; empty when writing the destination in place.
  std::string temporary;
  TemporaryHook hook;
  /// Whether the file written is a regular file.
  bool regular = false;
  uint64_t position = 0;
  Crc32c *running = nullptr;
};

/// One piece of a file's contents.
struct FilePart {
  const void *data;
  uint64_t size;
};

/// Writes `parts` one after another as the file `path`, through an
/// OutputFile: the old file stays as it was unless the whole new one was
/// written.
inline Status writeWholeFile(const std::string &path,
                             std::initializer_list<FilePart> parts) {
  OutputFile file;
  KILN_RETURN_IF_ERROR(file.open(path));
  for (const FilePart &part : parts) {
    if (!file.write(part.data, part.size)) {
      return OutputFile::ioError("cannot write", path);
    }
  }
  return file.commit(path);
}

} // namespace kiln::rt

#endif // KILN_RUNTIME_OUTPUTFILE_H
