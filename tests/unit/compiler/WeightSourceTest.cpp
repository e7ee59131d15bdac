//===- WeightSourceTest.cpp - Loading parameters into reused buffers ------===//
//
// The artifact writer loads every parameter into the same two vectors
// (WeightSource::loadInto, toPanelsInto). A reused vector must come out
// exactly as a fresh one would: its size the new parameter's, no element
// of the previous parameter left behind (panel padding included).
//
//===----------------------------------------------------------------------===//

#include "compiler/weights/WeightSource.h"
#include "compiler/weights/PanelLayout.h"

#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

using namespace mlir;
using namespace kiln;

namespace {

TEST(WeightSourceTest, SeededLoadIntoAReusedBuffer) {
  MLIRContext context;
  Location loc = UnknownLoc::get(&context);
  SeededWeights weights(7);
  std::vector<float> values;
  ASSERT_TRUE(succeeded(weights.loadInto("big", {64, 48}, loc, values)));
  const float *buffer = values.data();
  ASSERT_TRUE(succeeded(weights.loadInto("small", {5, 3}, loc, values)));
  // Element i of a seeded parameter is a hash of (seed, name, i).
  SeededStream stream("small", 3, 7);
  ASSERT_EQ(values.size(), 15u);
  for (uint64_t i = 0; i < 15; ++i) {
    EXPECT_EQ(values[i], stream(i)) << "element " << i;
  }
  // The memory was reused, not reallocated.
  EXPECT_EQ(values.data(), buffer);
}

TEST(WeightSourceTest, SeededLoadInParallelChunksMatchesTheSerialStream) {
  // 300,000 elements: five chunks of 65,536, the last one partial.
  MLIRContext context;
  SeededWeights weights(11);
  std::vector<float> values(7, 3.0f);
  ASSERT_TRUE(succeeded(
      weights.loadInto("w", {300, 1000}, UnknownLoc::get(&context), values)));
  EXPECT_EQ(values, seededParameter("w", {300, 1000}, 11));
}

TEST(WeightSourceTest, SeededBoundIsTheFanIn) {
  // A Linear weight [out, in] and a bias [n] take their last dimension; a
  // convolution weight [out, in, kh, kw] takes in x kh x kw, as PyTorch's
  // Conv2d does; rank 3 (query tokens, positions) keeps the last dimension.
  EXPECT_EQ(seededFanIn({768, 3072}), 3072);
  EXPECT_EQ(seededFanIn({768}), 768);
  EXPECT_EQ(seededFanIn({}), 1);
  EXPECT_EQ(seededFanIn({768, 3, 16, 16}), 768);
  EXPECT_EQ(seededFanIn({1, 32, 768}), 768);
  std::vector<float> values =
      seededParameter("patch.weight", {4, 3, 2, 5}, kDefaultParameterSeed);
  float largest = 0.0f;
  for (float v : values) {
    largest = std::max(largest, std::fabs(v));
  }
  EXPECT_LT(largest, 1.0f / std::sqrt(30.0f));
  EXPECT_GT(largest, 0.8f / std::sqrt(30.0f));
}

TEST(WeightSourceTest, SafetensorsLoadIntoAReusedBuffer) {
  // "a": F32 [2, 3]; "b": F16 [2] (1.0, -2.0).
  std::string header = R"({"a":{"dtype":"F32","shape":[2,3],)"
                       R"("data_offsets":[0,24]},)"
                       R"("b":{"dtype":"F16","shape":[2],)"
                       R"("data_offsets":[24,28]}})";
  header.resize((header.size() + 7) / 8 * 8, ' ');
  std::string file;
  uint64_t length = header.size();
  file.append(reinterpret_cast<const char *>(&length), 8);
  file += header;
  const float a[6] = {0.5f, 1.5f, -2.5f, 3.25f, 4.0f, -5.0f};
  file.append(reinterpret_cast<const char *>(a), sizeof(a));
  const uint16_t b[2] = {0x3c00, 0xc000};
  file.append(reinterpret_cast<const char *>(b), sizeof(b));

  llvm::SmallString<128> path;
  ASSERT_FALSE(
      llvm::sys::fs::createTemporaryFile("weights", "safetensors", path));
  {
    std::error_code error;
    llvm::raw_fd_ostream os(path, error);
    ASSERT_FALSE(error);
    os << file;
  }
  std::string message;
  FailureOr<std::unique_ptr<SafetensorsWeights>> weights =
      SafetensorsWeights::open(path, message);
  ASSERT_TRUE(succeeded(weights)) << message;

  MLIRContext context;
  Location loc = UnknownLoc::get(&context);
  std::vector<float> values;
  ASSERT_TRUE(succeeded((*weights)->loadInto("a", {2, 3}, loc, values)));
  EXPECT_EQ(values, std::vector<float>(a, a + 6));
  ASSERT_TRUE(succeeded((*weights)->loadInto("b", {2}, loc, values)));
  EXPECT_EQ(values, (std::vector<float>{1.0f, -2.0f}));
  // A wrong shape is still an error, and leaves the source usable.
  EXPECT_TRUE(failed((*weights)->loadInto("a", {3, 2}, loc, values)));
  weights->reset();
  llvm::sys::fs::remove(path);
}

TEST(WeightSourceTest, PanelsIntoAReusedBufferArePaddedWithZeros) {
  // [3, 2] in panels of 2: the second panel's last lane is padding.
  std::vector<float> declared = {1, 2, 3, 4, 5, 6};
  std::vector<float> panels(64, 7.0f);
  int64_t shape[] = {3, 2};
  toPanelsInto(declared, shape, 2, 2, panels);
  EXPECT_EQ(panels, (std::vector<float>{1, 3, 2, 4, 5, 0, 6, 0}));
  EXPECT_EQ(panels, toPanels(declared, shape, 2, 2));
}

TEST(WeightSourceTest, PanelsOfEachMatrixInAnyOrder) {
  // Two matrices [5, 3] in panels of 4, filled in reverse order over a
  // dirty buffer: panels[g][i][kk][j] = declared[g][4 i + j][kk], 0 past 5.
  const int64_t groups = 2, n = 5, k = 3, p = 4;
  std::vector<float> declared(groups * n * k);
  for (size_t i = 0; i < declared.size(); ++i) {
    declared[i] = static_cast<float>(i + 1);
  }
  std::vector<float> panels(groups * 2 * p * k, -1.0f);
  for (int64_t i = groups * 2 - 1; i >= 0; --i) {
    copyPanel(declared.data(), i / 2, i % 2, n, k, p, panels.data());
  }
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t row = 0; row < 2 * p; ++row) {
      for (int64_t kk = 0; kk < k; ++kk) {
        float expected = row < n ? declared[(g * n + row) * k + kk] : 0.0f;
        EXPECT_EQ(panels[((g * 2 + row / p) * k + kk) * p + row % p], expected)
            << "matrix " << g << " row " << row << " column " << kk;
      }
    }
  }
}

} // namespace
