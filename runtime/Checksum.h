//===- Checksum.h - CRC-32C of artifact sections ----------------*- C++ -*-===//
//
// Artifacts carry CRC-32C checksums (the Castagnoli polynomial, as in iSCSI
// and ext4) of their metadata, code and weights, so that a file damaged on
// disk or in transfer is refused with an error instead of running corrupt
// machine code. CRC-32C detects every burst error of up to 32 bits and
// x86-64 computes it in hardware (SSE4.2's crc32 instruction, about 8 bytes
// per 3 cycles); a table-driven loop computes the same value elsewhere.
//
// Header-only and free of dependencies: the artifact writer (in the
// compiler) and the runtime's loader both include it.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_CHECKSUM_H
#define KILN_RUNTIME_CHECKSUM_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace kiln::rt {

namespace detail {

/// Byte-at-a-time table of the reflected polynomial 0x82F63B78.
inline const std::array<uint32_t, 256> &crc32cTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> entries{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t crc = i;
      for (int bit = 0; bit < 8; ++bit) {
        crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
      }
      entries[i] = crc;
    }
    return entries;
  }();
  return table;
}

/// Updates the raw (pre-inverted) register `crc` with `size` bytes.
inline uint32_t crc32cPortable(uint32_t crc, const uint8_t *data, size_t size) {
  const std::array<uint32_t, 256> &table = crc32cTable();
  for (size_t i = 0; i < size; ++i) {
    crc = (crc >> 8) ^ table[(crc ^ data[i]) & 0xffu];
  }
  return crc;
}

#if defined(__x86_64__)
/// The same with the crc32 instruction, 8 bytes at a time.
__attribute__((target("sse4.2"))) inline uint32_t
crc32cHardware(uint32_t crc, const uint8_t *data, size_t size) {
  uint64_t wide = crc;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, sizeof(word));
    wide = _mm_crc32_u64(wide, word);
  }
  auto narrow = static_cast<uint32_t>(wide);
  for (; i < size; ++i) {
    narrow = _mm_crc32_u8(narrow, data[i]);
  }
  return narrow;
}

inline bool hasHardwareCrc32c() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

} // namespace detail

/// A running CRC-32C: feed bytes (or runs of zeros) in order, read value().
class Crc32c {
public:
  Crc32c &update(const void *data, size_t size) {
    auto *bytes = static_cast<const uint8_t *>(data);
#if defined(__x86_64__)
    if (detail::hasHardwareCrc32c()) {
      reg = detail::crc32cHardware(reg, bytes, size);
      return *this;
    }
#endif
    reg = detail::crc32cPortable(reg, bytes, size);
    return *this;
  }

  /// Feeds `count` zero bytes (padding between blobs).
  Crc32c &updateZeros(uint64_t count) {
    static const uint8_t zeros[4096] = {};
    while (count > 0) {
      size_t chunk = count < sizeof(zeros) ? count : sizeof(zeros);
      update(zeros, chunk);
      count -= chunk;
    }
    return *this;
  }

  /// The checksum of everything fed so far.
  uint32_t value() const { return ~reg; }

private:
  uint32_t reg = ~0u;
};

/// The CRC-32C of `size` bytes at `data`.
inline uint32_t crc32c(const void *data, size_t size) {
  return Crc32c().update(data, size).value();
}

} // namespace kiln::rt

#endif // KILN_RUNTIME_CHECKSUM_H
