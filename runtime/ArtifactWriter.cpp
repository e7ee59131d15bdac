//===- ArtifactWriter.cpp - Laying out and writing .kbin files ------------===//
//
// The file is streamed sequentially into a temporary next to the target
// (same directory, hence same file system, so rename is atomic), padding
// with zeros between blobs, then fsync'ed and renamed over the target. A
// reader therefore sees either the old file or the complete new one, never a
// prefix; and a program that still maps the old file keeps its inode.
//
//===----------------------------------------------------------------------===//

#include "runtime/ArtifactWriter.h"

#include "runtime/ArtifactFormat.h"
#include "runtime/abi/KernelAbi.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the artifact header is written in host byte order");

namespace kiln::rt {

namespace {

/// Adds `size` to `offset` unless the sum overflows.
bool checkedAdd(uint64_t offset, uint64_t size, uint64_t &sum) {
  sum = offset + size;
  return sum >= offset;
}

/// Rounds up, reporting overflow instead of wrapping.
bool checkedAlign(uint64_t value, uint64_t alignment, uint64_t &aligned) {
  if (value > UINT64_MAX - (alignment - 1)) {
    return false;
  }
  aligned = alignTo(value, alignment);
  return true;
}

/// The temporary file being written; removed unless committed.
class TemporaryFile {
public:
  ~TemporaryFile() {
    if (fd >= 0) {
      ::close(fd);
    }
    if (!path.empty()) {
      ::unlink(path.c_str());
    }
  }

  /// Creates "<target>.tmp.XXXXXX" next to `target`.
  Status create(const std::string &target) {
    std::string templ = target + ".tmp.XXXXXX";
    int newFd = ::mkstemp(templ.data());
    if (newFd < 0) {
      return makeError(StatusCode::IoError,
                       "cannot create a temporary file "
                       "for '",
                       target, "': ", std::strerror(errno));
    }
    fd = newFd;
    path = templ;
    // mkstemp creates 0600; an artifact is meant to be shared.
    ::fchmod(fd, 0644);
    return Status();
  }

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

  /// Flushes, closes and renames onto `target`.
  Status commit(const std::string &target) {
    if (::fsync(fd) != 0) {
      return ioError("cannot sync", target);
    }
    int oldFd = fd;
    fd = -1;
    if (::close(oldFd) != 0) {
      return ioError("cannot close", target);
    }
    if (::rename(path.c_str(), target.c_str()) != 0) {
      return ioError("cannot rename the temporary file onto", target);
    }
    path.clear();
    // Make the rename itself durable; failure here loses nothing written.
    std::string dir = target.substr(0, target.find_last_of('/') + 1);
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
  std::string path;
  uint64_t position = 0;
};

/// Checks that `blobs` match `ranges` and lie in order inside the data.
Status checkBlobs(const char *kind, Span<const Span<const uint8_t>> blobs,
                  const std::vector<BlobRange> &ranges, uint64_t begin,
                  uint64_t end) {
  if (blobs.size() != ranges.size()) {
    return makeError(StatusCode::InvalidArgument, "the layout has ",
                     ranges.size(), " ", kind, "s but ", blobs.size(),
                     " were passed");
  }
  uint64_t cursor = begin;
  for (size_t i = 0; i < ranges.size(); ++i) {
    uint64_t blobEnd;
    if (blobs[i].size() && !blobs[i].data()) {
      return makeError(StatusCode::InvalidArgument, kind, " ", i,
                       " has a null data pointer");
    }
    if (blobs[i].size() != ranges[i].size) {
      return makeError(StatusCode::InvalidArgument, kind, " ", i, " is ",
                       blobs[i].size(), " bytes but the layout says ",
                       ranges[i].size);
    }
    if (ranges[i].offset < cursor || ranges[i].offset % kBlobAlignment ||
        !checkedAdd(ranges[i].offset, ranges[i].size, blobEnd) ||
        blobEnd > end) {
      return makeError(StatusCode::InvalidArgument, kind, " ", i,
                       " is misplaced in the layout (offset ", ranges[i].offset,
                       ")");
    }
    cursor = blobEnd;
  }
  return Status();
}

} // namespace

uint32_t segmentChecksum(Span<const Span<const uint8_t>> blobs,
                         const std::vector<BlobRange> &ranges, uint64_t begin,
                         uint64_t end) {
  Crc32c crc;
  uint64_t cursor = begin;
  for (size_t i = 0; i < blobs.size(); ++i) {
    crc.updateZeros(ranges[i].offset - cursor);
    crc.update(blobs[i].data(), blobs[i].size());
    cursor = ranges[i].offset + ranges[i].size;
  }
  crc.updateZeros(end - cursor);
  return crc.value();
}

/// Places blobs one after another, each at the next 64-byte boundary, with
/// the weight segment starting at the first 4096-byte boundary after the
/// executables.
StatusOr<ArtifactLayout>
planArtifactLayout(Span<const uint64_t> executableSizes,
                   Span<const uint64_t> constantSizes) {
  ArtifactLayout layout;
  uint64_t cursor = 0;
  auto place = [&](uint64_t size, std::vector<BlobRange> &out) {
    uint64_t start, end;
    if (!checkedAlign(cursor, kBlobAlignment, start) ||
        !checkedAdd(start, size, end)) {
      return false;
    }
    out.push_back({start, size});
    cursor = end;
    return true;
  };
  for (uint64_t size : executableSizes) {
    if (!place(size, layout.executables)) {
      return makeError(StatusCode::InvalidArgument, "executable ",
                       layout.executables.size(),
                       " does not fit in 64-bit offsets");
    }
  }
  if (!checkedAlign(cursor, kWeightSegmentAlignment, layout.weightsOffset)) {
    return makeError(StatusCode::InvalidArgument,
                     "executables do not fit in 64-bit offsets");
  }
  cursor = layout.weightsOffset;
  for (uint64_t size : constantSizes) {
    if (!place(size, layout.constants)) {
      return makeError(StatusCode::InvalidArgument, "constant ",
                       layout.constants.size(),
                       " does not fit in 64-bit offsets");
    }
  }
  layout.dataSize = cursor;
  return layout;
}

/// Checks everything it can before creating the temporary file, so most
/// caller mistakes fail without touching the file system.
Status writeArtifact(const std::string &path, const ArtifactLayout &layout,
                     Span<const uint8_t> flatbuffer,
                     Span<const Span<const uint8_t>> executables,
                     Span<const Span<const uint8_t>> constants) {
  auto fail = [&](const Status &status) {
    return status.withContext("cannot write '" + path + "'");
  };
  if (flatbuffer.size() < 8 ||
      std::memcmp(flatbuffer.data() + 4, "KILN", 4) != 0) {
    return fail(Status(StatusCode::InvalidArgument,
                       "the FlatBuffer lacks the file identifier \"KILN\" "
                       "(finish it with FinishArtifactBuffer)"));
  }
  if (layout.weightsOffset % kWeightSegmentAlignment ||
      layout.weightsOffset > layout.dataSize) {
    return fail(Status(StatusCode::InvalidArgument,
                       "the layout's weight segment is misplaced"));
  }
  Status status = checkBlobs("executable", executables, layout.executables, 0,
                             layout.weightsOffset);
  if (status.ok()) {
    status = checkBlobs("constant", constants, layout.constants,
                        layout.weightsOffset, layout.dataSize);
  }
  if (!status.ok()) {
    return fail(status);
  }

  FileHeader header = {};
  std::memcpy(header.magic, kArtifactMagic, sizeof(header.magic));
  header.schemaVersion = kSchemaVersion;
  header.kernelAbiVersion = KILN_KERNEL_ABI_VERSION;
  header.flatbufferOffset = sizeof(FileHeader);
  header.flatbufferSize = flatbuffer.size();
  header.dataOffset =
      alignTo(sizeof(FileHeader) + flatbuffer.size(), kWeightSegmentAlignment);
  header.dataSize = layout.dataSize;
  header.weightsOffset = layout.weightsOffset;
  if (!checkedAdd(header.dataOffset, header.dataSize, header.fileSize)) {
    return fail(Status(StatusCode::InvalidArgument, "the file is too large"));
  }
  header.codeChecksum =
      segmentChecksum(executables, layout.executables, 0, layout.weightsOffset);
  header.weightsChecksum = segmentChecksum(
      constants, layout.constants, layout.weightsOffset, layout.dataSize);
  header.metadataChecksum =
      metadataChecksumOf(header, flatbuffer.data(), flatbuffer.size());

  TemporaryFile file;
  KILN_RETURN_IF_ERROR(file.create(path));
  bool ok = file.write(&header, sizeof(header)) &&
            file.write(flatbuffer.data(), flatbuffer.size());
  auto writeBlobs = [&](Span<const Span<const uint8_t>> blobs,
                        const std::vector<BlobRange> &ranges) {
    for (size_t i = 0; ok && i < blobs.size(); ++i) {
      ok = file.padTo(header.dataOffset + ranges[i].offset) &&
           file.write(blobs[i].data(), blobs[i].size());
    }
  };
  ok = ok && file.padTo(header.dataOffset);
  writeBlobs(executables, layout.executables);
  ok = ok && file.padTo(header.dataOffset + layout.weightsOffset);
  writeBlobs(constants, layout.constants);
  ok = ok && file.padTo(header.fileSize);
  if (!ok) {
    return TemporaryFile::ioError("cannot write", path);
  }
  return file.commit(path);
}

} // namespace kiln::rt
