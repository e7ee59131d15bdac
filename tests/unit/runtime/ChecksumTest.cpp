//===- ChecksumTest.cpp - CRC-32C against published values ---------------===//

#include "runtime/Checksum.h"

#include <gtest/gtest.h>

#include <vector>

using namespace kiln::rt;

namespace {

TEST(ChecksumTest, MatchesPublishedCheckValues) {
  // The CRC-32C check value, and RFC 3720's (iSCSI) appendix B.4 vectors.
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xFF), up(32), down(32);
  for (int i = 0; i < 32; ++i) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
  EXPECT_EQ(crc32c(up.data(), up.size()), 0x46DD794Eu);
  EXPECT_EQ(crc32c(down.data(), down.size()), 0x113FDB5Cu);
  EXPECT_EQ(crc32c(nullptr, 0), 0u);
}

TEST(ChecksumTest, StreamingEqualsOneShotAndPathsAgree) {
  std::vector<uint8_t> data(5000);
  uint32_t state = 1;
  for (uint8_t &byte : data) {
    state = state * 1103515245u + 12345u;
    byte = static_cast<uint8_t>(state >> 16);
  }
  for (size_t size : {size_t(1), size_t(7), size_t(8), size_t(9), size_t(63),
                      size_t(4096), size_t(4999)}) {
    for (size_t start : {size_t(0), size_t(1), size_t(3)}) {
      const uint8_t *p = data.data() + start;
      uint32_t whole = crc32c(p, size);
      size_t half = size / 3;
      EXPECT_EQ(Crc32c().update(p, half).update(p + half, size - half).value(),
                whole)
          << size << " bytes at " << start;
      EXPECT_EQ(~detail::crc32cPortable(~0u, p, size), whole);
    }
  }
  std::vector<uint8_t> zeros(10000, 0);
  EXPECT_EQ(
      Crc32c().update(data.data(), 10).updateZeros(10000).value(),
      Crc32c().update(data.data(), 10).update(zeros.data(), 10000).value());
}

} // namespace
