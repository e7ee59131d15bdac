//===- ArtifactFormat.h - Fixed header and layout rules of a .kbin -------===//
//
// The parts of the artifact format that are not in the FlatBuffers schema:
// the fixed 64-byte header that comes first in the file, and the alignment
// rules of the blobs after the FlatBuffer. The compiler's writer and the
// runtime's loader both include this header; it depends on nothing.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_ARTIFACTFORMAT_H
#define KILN_RUNTIME_ARTIFACTFORMAT_H

#include <cstdint>

namespace kiln::rt {

/// First eight bytes of every artifact.
inline constexpr char kArtifactMagic[8] = {'K', 'I', 'L', 'N',
                                           'A', 'R', 'T', '\0'};

/// Version of Artifact.fbs plus these layout rules. Bumped on any change an
/// older runtime cannot read.
inline constexpr uint32_t kSchemaVersion = 1;

/// Alignment of every blob (executable images, constants).
inline constexpr uint64_t kBlobAlignment = 64;
/// Alignment of the weight segment, so it can be mapped read-only.
inline constexpr uint64_t kWeightSegmentAlignment = 4096;

/// The fixed header at offset 0. All fields little endian.
struct FileHeader {
  char magic[8];
  uint32_t schemaVersion;
  /// KILN_KERNEL_ABI_VERSION the executables were compiled against.
  uint32_t kernelAbiVersion;
  /// Byte range of the FlatBuffer (root type kiln.fb.Artifact); it starts
  /// right after this header.
  uint64_t flatbufferOffset;
  uint64_t flatbufferSize;
  /// Byte range of the data section that holds every blob. It starts at a
  /// multiple of kWeightSegmentAlignment; BlobRef offsets are relative to it.
  uint64_t dataOffset;
  uint64_t dataSize;
  /// The weight segment (constants only), relative to dataOffset and a
  /// multiple of kWeightSegmentAlignment; it runs to the end of the data.
  uint64_t weightsOffset;
  /// Size of the whole file; a shorter file is truncated.
  uint64_t fileSize;
};
static_assert(sizeof(FileHeader) == 64, "the header is 64 bytes on disk");

/// Rounds `value` up to a multiple of `alignment` (a power of two).
inline constexpr uint64_t alignTo(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) & ~(alignment - 1);
}

} // namespace kiln::rt

#endif // KILN_RUNTIME_ARTIFACTFORMAT_H
