//===- MlpBlockTest.cpp - The compiled MLP block against a naive one ------===//
//
// Runs the artifact kiln-compile made of models/mlp_block.mlir (a ctest
// fixture) on inputs generated here, at run time, and compares it with the
// double-precision reference on the same seeded weights. Thread counts 1, 2
// and 4 (more workers than this machine's cores) must agree bit for bit.
//
//===----------------------------------------------------------------------===//

#include "compiler/weights/SeededInitializer.h"
#include "runtime/Program.h"
#include "runtime/Session.h"
#include "tests/e2e/reference/MlpBlockReference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace kiln::test {
namespace {

constexpr int64_t kRows = 32, kWidth = 768, kHidden = 3072;

MlpBlockWeights seededWeights() {
  uint64_t seed = kDefaultParameterSeed;
  MlpBlockWeights w;
  w.width = kWidth;
  w.hidden = kHidden;
  w.fc1Weight =
      seededParameter("intermediate.dense.weight", {kHidden, kWidth}, seed);
  w.fc1Bias = seededParameter("intermediate.dense.bias", {kHidden}, seed);
  w.fc2Weight = seededParameter("output.dense.weight", {kWidth, kHidden}, seed);
  w.fc2Bias = seededParameter("output.dense.bias", {kWidth}, seed);
  w.normScale = seededParameter("output.LayerNorm.weight", {kWidth}, seed);
  w.normBias = seededParameter("output.LayerNorm.bias", {kWidth}, seed);
  w.epsilon = 1e-12;
  return w;
}

std::vector<float> randomInput(uint64_t seed) {
  std::vector<float> x(kRows * kWidth);
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = unitUniform(splitMix64(seed * 0x100000000ull + i));
  }
  return x;
}

std::vector<float> runCompiled(const std::vector<float> &x, int threads) {
  auto program = rt::Program::load(KILN_E2E_DIR "/mlp_block.kbin");
  EXPECT_TRUE(program.ok()) << program.status().message();
  if (!program.ok()) {
    return {};
  }
  rt::SessionOptions options;
  options.threads = threads;
  auto session = rt::Session::create(*program, options);
  EXPECT_TRUE(session.ok()) << session.status().message();
  if (!session.ok()) {
    return {};
  }
  std::vector<int64_t> shape = {kRows, kWidth};
  std::vector<float> y(kRows * kWidth, std::nanf(""));
  rt::TensorView input{rt::DType::F32, shape, x.data()};
  rt::MutableTensorView output{rt::DType::F32, shape, y.data()};
  rt::Status status = (*session)->run({input}, {output});
  EXPECT_TRUE(status.ok()) << status.message();
  return y;
}

TEST(MlpBlock, MatchesNaiveReference) {
  MlpBlockWeights weights = seededWeights();
  for (uint64_t seed : {1u, 2u}) {
    std::vector<float> x = randomInput(seed);
    std::vector<double> expected = runMlpBlockReference(weights, x, kRows);
    std::vector<float> actual = runCompiled(x, 2);
    ASSERT_EQ(actual.size(), expected.size());
    double worst = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
      double error = std::abs(actual[i] - expected[i]);
      worst = std::max(worst, error / (1e-6 + std::abs(expected[i])));
      ASSERT_LE(error, 1e-6 + 1e-5 * std::abs(expected[i]))
          << "element " << i << " (row " << i / kWidth << ", column "
          << i % kWidth << "): compiled " << actual[i] << ", reference "
          << expected[i];
    }
    RecordProperty("worst_relative_error_seed_" + std::to_string(seed),
                   std::to_string(worst));
  }
}

TEST(MlpBlock, ThreadCountDoesNotChangeResults) {
  std::vector<float> x = randomInput(3);
  std::vector<float> one = runCompiled(x, 1);
  for (int threads : {2, 4}) {
    std::vector<float> other = runCompiled(x, threads);
    ASSERT_EQ(one.size(), other.size());
    EXPECT_EQ(0,
              std::memcmp(one.data(), other.data(), one.size() * sizeof(float)))
        << threads << " threads differ from 1 thread";
  }
}

} // namespace
} // namespace kiln::test
