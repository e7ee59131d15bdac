//===- AlignedBufferTest.cpp - The runtime's host buffers -----------------===//

#include "runtime/AlignedBuffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

using namespace kiln::rt;

namespace {

bool allZero(const AlignedBuffer &buffer) {
  return std::all_of(buffer.data(), buffer.data() + buffer.size(),
                     [](uint8_t byte) { return byte == 0; });
}

/// The `THPeligible` field of the mapping of /proc/self/smaps holding
/// `address`, or -1 when there is none.
int thpEligible(const void *address) {
  auto at = reinterpret_cast<uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long begin = 0, end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2) {
      inside = begin <= at && at < end;
      continue;
    }
    int eligible = 0;
    if (inside &&
        std::sscanf(line.c_str(), "THPeligible: %d", &eligible) == 1) {
      return eligible;
    }
  }
  return -1;
}

TEST(AlignedBufferTest, SmallBuffersAreCacheLineAlignedAndZeroed) {
  StatusOr<AlignedBuffer> buffer = AlignedBuffer::allocate(1000, "test");
  ASSERT_TRUE(buffer.ok());
  EXPECT_EQ(buffer->size(), 1000u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer->data()) % kBufferAlignment, 0u);
  EXPECT_TRUE(allZero(*buffer));
}

TEST(AlignedBufferTest, EmptyBuffersHaveNoData) {
  StatusOr<AlignedBuffer> buffer = AlignedBuffer::allocate(0, "test");
  ASSERT_TRUE(buffer.ok());
  EXPECT_EQ(buffer->data(), nullptr);
  EXPECT_EQ(buffer->size(), 0u);
}

TEST(AlignedBufferTest, LargeBuffersAreHugePageAlignedAndZeroed) {
  uint64_t size = 3 * kHugePageSize + 5;
  StatusOr<AlignedBuffer> buffer = AlignedBuffer::allocate(size, "test");
  ASSERT_TRUE(buffer.ok());
  EXPECT_EQ(buffer->size(), size);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer->data()) % kHugePageSize, 0u);
  EXPECT_TRUE(allZero(*buffer));
}

TEST(AlignedBufferTest, LargeBuffersAreAdvisedForHugePages) {
  std::ifstream setting("/sys/kernel/mm/transparent_hugepage/enabled");
  std::stringstream text;
  text << setting.rdbuf();
  if (!setting || text.str().find("[never]") != std::string::npos) {
    GTEST_SKIP() << "transparent huge pages are off on this machine";
  }
  StatusOr<AlignedBuffer> large =
      AlignedBuffer::allocate(4 * kHugePageSize, "test");
  ASSERT_TRUE(large.ok());
  EXPECT_EQ(thpEligible(large->data()), 1);
}

} // namespace
