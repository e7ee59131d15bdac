//===- ArtifactWriter.h - Laying out and writing .kbin files ----*- C++ -*-===//
//
// Writing an artifact takes two steps, because the FlatBuffer records where
// every blob lives and so must be built after the blobs are placed:
//
//   1. planArtifactLayout(executableSizes, constantSizes) places every blob
//      in the data section (executables, then the 4096-aligned weight
//      segment with the constants) and returns their offsets;
//   2. the caller builds the FlatBuffer with those BlobRefs and hands it,
//      with the blob bytes in the same order, to writeArtifact, which writes
//      header + FlatBuffer + data atomically (temporary file, fsync, rename).
//
// The constants may come from a ConstantSource, one at a time, so that a
// model with more weights than memory is written with one constant in
// memory at a time.
//
// Used by the compiler as well as the runtime's tests, so this header pulls
// in nothing beyond the standard library.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_ARTIFACTWRITER_H
#define KILN_RUNTIME_ARTIFACTWRITER_H

#include "runtime/Span.h"
#include "runtime/Status.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kiln::rt {

/// A byte range relative to the start of the data section (a BlobRef).
struct BlobRange {
  uint64_t offset = 0;
  uint64_t size = 0;
};

/// Where every blob of an artifact goes.
struct ArtifactLayout {
  /// One range per executable image, in order, each 64-byte aligned.
  std::vector<BlobRange> executables;
  /// One range per constant, in order, each 64-byte aligned and inside the
  /// weight segment.
  std::vector<BlobRange> constants;
  /// Start of the weight segment relative to the data section; a multiple
  /// of 4096.
  uint64_t weightsOffset = 0;
  /// Size of the data section, which ends with the weight segment.
  uint64_t dataSize = 0;
};

/// Places executables and constants of the given sizes. Fails only if the
/// sizes overflow 64-bit offsets.
StatusOr<ArtifactLayout>
planArtifactLayout(Span<const uint64_t> executableSizes,
                   Span<const uint64_t> constantSizes);

/// The CRC-32C of the data section's bytes [begin, end) as writeArtifact
/// writes them: `blobs` at their `ranges` (sorted, inside the range), zeros
/// in between. The header's code and weights checksums are two such ranges.
uint32_t segmentChecksum(Span<const Span<const uint8_t>> blobs,
                         const std::vector<BlobRange> &ranges, uint64_t begin,
                         uint64_t end);

/// Produces the bytes of constant `index`. The writer asks for each
/// constant in order, once (twice when the target is a pipe or device); the
/// bytes must stay valid until the next call. An error ends the write.
using ConstantSource =
    std::function<StatusOr<Span<const uint8_t>>(size_t index)>;

/// Called after each constant is written with the weight bytes written so
/// far and in all.
using WriteProgress = std::function<void(uint64_t done, uint64_t total)>;

/// Writes a .kbin file at `path`: the FileHeader, `flatbuffer` (a finished
/// kiln.fb.Artifact with identifier "KILN") and the blobs at the places
/// `layout` gives them (zero padding in between). `executables` and the
/// constants must match the layout's entries in count and size. The file
/// appears atomically: on any failure no file is left behind and an
/// existing file at `path` is untouched. A file system without room for
/// the whole file fails before anything is written. A `path` that exists
/// and is not a regular file (/dev/null, a pipe) is written in place.
/// `temporary` hears of the temporary file (runtime/OutputFile.h), so that
/// a caller can remove it should the process die while writing.
Status writeArtifact(
    const std::string &path, const ArtifactLayout &layout,
    Span<const uint8_t> flatbuffer, Span<const Span<const uint8_t>> executables,
    const ConstantSource &constants, const WriteProgress &progress,
    const std::function<void(const std::string &, bool)> &temporary = {});

/// The same with every constant's bytes in memory.
Status writeArtifact(const std::string &path, const ArtifactLayout &layout,
                     Span<const uint8_t> flatbuffer,
                     Span<const Span<const uint8_t>> executables,
                     Span<const Span<const uint8_t>> constants);

} // namespace kiln::rt

#endif // KILN_RUNTIME_ARTIFACTWRITER_H
