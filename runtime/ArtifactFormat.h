//===- ArtifactFormat.h - Fixed header and layout rules of a .kbin -------===//
//
// The parts of the artifact format that are not in the FlatBuffers schema:
// the fixed 128-byte header that comes first in the file, and the alignment
// rules of the blobs after the FlatBuffer. The compiler's writer and the
// runtime's loader both include this header; it depends on nothing but
// Checksum.h.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_ARTIFACTFORMAT_H
#define KILN_RUNTIME_ARTIFACTFORMAT_H

#include "runtime/Checksum.h"

#include <cstdint>

namespace kiln::rt {

/// First eight bytes of every artifact.
inline constexpr char kArtifactMagic[8] = {'K', 'I', 'L', 'N',
                                           'A', 'R', 'T', '\0'};

/// Version of Artifact.fbs plus these layout rules. Bumped on any change an
/// older runtime cannot read. Version 2 added the checksums to the header.
inline constexpr uint32_t kSchemaVersion = 2;

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
  /// CRC-32C (runtime/Checksum.h) of the metadata: this header, with the
  /// three checksums zero, followed by the FlatBuffer. Checked at load.
  uint32_t metadataChecksum;
  /// CRC-32C of the data section before the weight segment: the executable
  /// images and the zero padding between them. Checked at load, before any
  /// code is loaded.
  uint32_t codeChecksum;
  /// CRC-32C of the weight segment. Not checked at load, which would read
  /// every weight and keep none of them lazily mapped; `kiln-inspect
  /// --verify` checks it.
  uint32_t weightsChecksum;
  /// Zero; a non-zero value is refused.
  uint32_t reserved[13];
};
static_assert(sizeof(FileHeader) == 128, "the header is 128 bytes on disk");

/// The metadata checksum of a header (whose checksum fields are ignored)
/// and the FlatBuffer that follows it.
inline uint32_t metadataChecksumOf(FileHeader header, const uint8_t *flatbuffer,
                                   uint64_t flatbufferSize) {
  header.metadataChecksum = 0;
  header.codeChecksum = 0;
  header.weightsChecksum = 0;
  return Crc32c()
      .update(&header, sizeof(header))
      .update(flatbuffer, flatbufferSize)
      .value();
}

/// Rounds `value` up to a multiple of `alignment` (a power of two).
inline constexpr uint64_t alignTo(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) & ~(alignment - 1);
}

} // namespace kiln::rt

#endif // KILN_RUNTIME_ARTIFACTFORMAT_H
