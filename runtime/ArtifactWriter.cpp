//===- ArtifactWriter.cpp - Laying out and writing .kbin files ------------===//
//
// The file is streamed sequentially into a temporary next to the target
// (same directory, hence same file system, so rename is atomic), padding
// with zeros between blobs; the header, which holds the weights' checksum,
// goes in last; then the file is fsync'ed and renamed over the target. A
// reader therefore sees either the old file or the complete new one, never a
// prefix; and a program that still maps the old file keeps its inode.
//
//===----------------------------------------------------------------------===//

#include "runtime/ArtifactWriter.h"

#include "runtime/ArtifactFormat.h"
#include "runtime/Checksum.h"
#include "runtime/OutputFile.h"
#include "runtime/abi/KernelAbi.h"

#include <cstring>

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

/// Checks that `ranges` lie in order, aligned, inside [begin, end).
Status checkRanges(const char *kind, const std::vector<BlobRange> &ranges,
                   uint64_t begin, uint64_t end) {
  uint64_t cursor = begin;
  for (size_t i = 0; i < ranges.size(); ++i) {
    uint64_t blobEnd;
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

/// Checks that blob `index` has the size of its range.
Status checkBlob(const char *kind, size_t index, Span<const uint8_t> blob,
                 const BlobRange &range) {
  if (blob.size() && !blob.data()) {
    return makeError(StatusCode::InvalidArgument, kind, " ", index,
                     " has a null data pointer");
  }
  if (blob.size() != range.size) {
    return makeError(StatusCode::InvalidArgument, kind, " ", index, " is ",
                     blob.size(), " bytes but the layout says ", range.size);
  }
  return Status();
}

/// Checks that `blobs` match `ranges` and lie in order inside the data.
Status checkBlobs(const char *kind, Span<const Span<const uint8_t>> blobs,
                  const std::vector<BlobRange> &ranges, uint64_t begin,
                  uint64_t end) {
  if (blobs.size() != ranges.size()) {
    return makeError(StatusCode::InvalidArgument, "the layout has ",
                     ranges.size(), " ", kind, "s but ", blobs.size(),
                     " were passed");
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    KILN_RETURN_IF_ERROR(checkBlob(kind, i, blobs[i], ranges[i]));
  }
  return checkRanges(kind, ranges, begin, end);
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

/// Checks everything it can before creating the output, so most caller
/// mistakes fail without touching the file system.
Status
writeArtifact(const std::string &path, const ArtifactLayout &layout,
              Span<const uint8_t> flatbuffer,
              Span<const Span<const uint8_t>> executables,
              const ConstantSource &constants, const WriteProgress &progress,
              const std::function<void(const std::string &, bool)> &temporary) {
  auto fail = [&](const Status &status) {
    return status.withContext("cannot write '" + path + "'");
  };
  // The reason a write failed (`fail` names the file).
  auto writeError = [] {
    return Status(StatusCode::IoError, std::strerror(errno));
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
    status = checkRanges("constant", layout.constants, layout.weightsOffset,
                         layout.dataSize);
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
  header.metadataChecksum =
      metadataChecksumOf(header, flatbuffer.data(), flatbuffer.size());

  OutputFile file(temporary);
  KILN_RETURN_IF_ERROR(file.open(path));
  KILN_RETURN_IF_ERROR(fail(file.reserve(header.fileSize)));
  uint64_t weightBytes = 0;
  for (const BlobRange &range : layout.constants) {
    weightBytes += range.size;
  }
  // The constants in order, each checked against its place, and the
  // weight segment's bytes (padding included) through `crc`: written, or
  // with `write` false only checksummed.
  auto streamConstants = [&](Crc32c &crc, bool write) -> Status {
    uint64_t cursor = header.dataOffset + layout.weightsOffset;
    bool ok = !write || file.padTo(cursor);
    file.checksumInto(write ? &crc : nullptr);
    // `size` bytes from `data`, or zeros when it is null.
    auto put = [&](const void *data, uint64_t size) {
      if (write) {
        return file.write(data, size);
      }
      data ? crc.update(data, size) : crc.updateZeros(size);
      return true;
    };
    uint64_t done = 0;
    for (size_t i = 0; ok && i < layout.constants.size(); ++i) {
      StatusOr<Span<const uint8_t>> blob = constants(i);
      if (!blob.ok()) {
        return blob.status();
      }
      const BlobRange &range = layout.constants[i];
      KILN_RETURN_IF_ERROR(checkBlob("constant", i, *blob, range));
      ok = put(nullptr, header.dataOffset + range.offset - cursor) &&
           put(blob->data(), blob->size());
      cursor = header.dataOffset + range.offset + range.size;
      done += range.size;
      if (ok && write && progress) {
        progress(done, weightBytes);
      }
    }
    ok = ok && put(nullptr, header.fileSize - cursor);
    file.checksumInto(nullptr);
    if (!ok) {
      return writeError();
    }
    return Status();
  };
  auto writeFront = [&]() {
    bool ok = file.write(&header, sizeof(header)) &&
              file.write(flatbuffer.data(), flatbuffer.size()) &&
              file.padTo(header.dataOffset);
    for (size_t i = 0; ok && i < executables.size(); ++i) {
      ok = file.padTo(header.dataOffset + layout.executables[i].offset) &&
           file.write(executables[i].data(), executables[i].size());
    }
    return ok;
  };

  Crc32c weights;
  if (file.seekable()) {
    // The weights' checksum is known once they are written: the header
    // goes in last.
    if (!writeFront()) {
      return fail(writeError());
    }
    KILN_RETURN_IF_ERROR(fail(streamConstants(weights, true)));
    header.weightsChecksum = weights.value();
    if (!file.writeAt(&header, sizeof(header), 0)) {
      return fail(writeError());
    }
  } else {
    // A device or pipe takes the bytes in order: the weights are produced
    // twice, once for the header's checksum.
    Crc32c first;
    KILN_RETURN_IF_ERROR(fail(streamConstants(first, false)));
    header.weightsChecksum = first.value();
    if (!writeFront()) {
      return fail(writeError());
    }
    KILN_RETURN_IF_ERROR(fail(streamConstants(weights, true)));
    if (weights.value() != header.weightsChecksum) {
      return fail(Status(StatusCode::Internal,
                         "the constants changed between their two passes"));
    }
  }
  // commit's errors name the file already.
  return file.commit(path);
}

Status writeArtifact(const std::string &path, const ArtifactLayout &layout,
                     Span<const uint8_t> flatbuffer,
                     Span<const Span<const uint8_t>> executables,
                     Span<const Span<const uint8_t>> constants) {
  if (constants.size() != layout.constants.size()) {
    return makeError(StatusCode::InvalidArgument, "cannot write '", path,
                     "': the layout has ", layout.constants.size(),
                     " constants but ", constants.size(), " were passed");
  }
  return writeArtifact(
      path, layout, flatbuffer, executables,
      [&](size_t index) -> StatusOr<Span<const uint8_t>> {
        return constants[index];
      },
      nullptr);
}

} // namespace kiln::rt
