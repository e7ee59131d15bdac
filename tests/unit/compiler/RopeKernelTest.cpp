//===- RopeKernelTest.cpp - Rotary position embedding ---------------------===//
//
// Expectations follow Hugging Face's formulation literally: rotate_half is
// `x * cat(cos, cos) + rotate_half(x) * cat(sin, sin)` and interleaved is a
// complex multiplication of (x[2i], x[2i+1]) by exp(i * angle).
//
//===----------------------------------------------------------------------===//

#include "tests/unit/compiler/InterpreterFixture.h"

#include <cmath>

using namespace kiln::ref;
using namespace kiln::ref::test;

namespace {

using RopeKernel = InterpreterTest;

/// One head rotated as Hugging Face does; channels from `rotary` on pass.
static std::vector<double> naiveRope(const float *x, int headDim, int rotary,
                                     double position,
                                     const std::vector<double> &invFreq,
                                     bool interleaved) {
  std::vector<double> out(x, x + headDim);
  int half = rotary / 2;
  if (interleaved) {
    for (int i = 0; i < half; ++i) {
      double re = x[2 * i], im = x[2 * i + 1];
      double c = std::cos(position * invFreq[i]);
      double s = std::sin(position * invFreq[i]);
      out[2 * i] = re * c - im * s;
      out[2 * i + 1] = re * s + im * c;
    }
    return out;
  }
  for (int c = 0; c < rotary; ++c) {
    double angle = position * invFreq[c % half]; // cat(freqs, freqs)
    double rotated = c < half ? -x[c + half] : x[c - half];
    out[c] = x[c] * std::cos(angle) + rotated * std::sin(angle);
  }
  return out;
}

/// theta^(-2i / rotary) for i < rotary / 2.
static std::vector<double> plainInvFreq(double theta, int rotary) {
  std::vector<double> invFreq;
  for (int i = 0; i < rotary; i += 2) {
    invFreq.push_back(1.0 / std::pow(theta, double(i) / rotary));
  }
  return invFreq;
}

TEST_F(RopeKernel, RotateHalfAndInterleavedByHand) {
  // One head of 4 channels at position 1: inv_freq = [1, 0.01].
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<1x2x4xf32>)
    -> (tensor<1x2x4xf32>, tensor<1x2x4xf32>) {
  %0 = kiln.rope %x {head_dim = 4 : i64, rotary_dim = 4 : i64,
                     theta = 1.0e4 : f64}
      : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %1 = kiln.rope %x style interleaved {head_dim = 4 : i64,
                                       rotary_dim = 4 : i64,
                                       theta = 1.0e4 : f64}
      : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  return %0, %1 : tensor<1x2x4xf32>, tensor<1x2x4xf32>
}
)mlir",
                                {floats({1, 2, 4}, {1, 2, 3, 4, 1, 2, 3, 4})});
  ASSERT_EQ(out.size(), 2u);
  double c1 = std::cos(1.0), s1 = std::sin(1.0);
  double c2 = std::cos(0.01), s2 = std::sin(0.01);
  // Position 0 leaves the row as it is; position 1 rotates (0, 2) by 1 rad
  // and (1, 3) by 0.01 rad (rotate_half), or (0, 1) and (2, 3) (interleaved).
  expectTensorNear(out[0], {1, 2, 4},
                   {1, 2, 3, 4, 1 * c1 - 3 * s1, 2 * c2 - 4 * s2,
                    3 * c1 + 1 * s1, 4 * c2 + 2 * s2},
                   1e-7);
  expectTensorNear(out[1], {1, 2, 4},
                   {1, 2, 3, 4, 1 * c1 - 2 * s1, 2 * c1 + 1 * s1,
                    3 * c2 - 4 * s2, 4 * c2 + 3 * s2},
                   1e-7);
}

TEST_F(RopeKernel, PartialRotaryWithBatchedPositions) {
  // Two heads of 6 channels, the first 4 rotated; positions [B, S].
  Tensor x = randomTensor({2, 3, 12}, 1);
  std::vector<int64_t> positions = {5, 0, 17, 3, 3, 100};
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<2x3x12xf32>, %p: tensor<2x3xi64>)
    -> (tensor<2x3x12xf32>, tensor<2x3x12xf32>) {
  %0 = kiln.rope %x positions(%p) {head_dim = 6 : i64, rotary_dim = 4 : i64,
                                   theta = 1.0e2 : f64}
      : (tensor<2x3x12xf32>, tensor<2x3xi64>) -> tensor<2x3x12xf32>
  %1 = kiln.rope %x positions(%p) style interleaved
      {head_dim = 6 : i64, rotary_dim = 4 : i64, theta = 1.0e2 : f64}
      : (tensor<2x3x12xf32>, tensor<2x3xi64>) -> tensor<2x3x12xf32>
  return %0, %1 : tensor<2x3x12xf32>, tensor<2x3x12xf32>
}
)mlir",
                                {x, ints({2, 3}, positions)});
  ASSERT_EQ(out.size(), 2u);
  std::vector<double> invFreq = plainInvFreq(100.0, 4);
  for (bool interleaved : {false, true}) {
    std::vector<double> expected;
    for (int row = 0; row < 6; ++row) {
      for (int head = 0; head < 2; ++head) {
        std::vector<double> rotated =
            naiveRope(x.floats.data() + row * 12 + head * 6, 6, 4,
                      positions[row], invFreq, interleaved);
        expected.insert(expected.end(), rotated.begin(), rotated.end());
      }
    }
    expectTensorNear(out[interleaved], {2, 3, 12}, expected, 1e-6);
    // Channels past rotary_dim are copied bit for bit.
    for (int row = 0; row < 6; ++row) {
      for (int c : {4, 5, 10, 11}) {
        EXPECT_EQ(out[interleaved].floats[row * 12 + c],
                  x.floats[row * 12 + c]);
      }
    }
  }
}

TEST_F(RopeKernel, PositionsDefaultToTheSequenceIndex) {
  Tensor x = randomTensor({2, 3, 8}, 2);
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<2x3x8xf32>, %p: tensor<3xi32>)
    -> (tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>) {
  %0 = kiln.rope %x {head_dim = 8 : i64, rotary_dim = 8 : i64,
                     theta = 1.0e4 : f64}
      : (tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  %1 = kiln.rope %x positions(%p) {head_dim = 8 : i64, rotary_dim = 8 : i64,
                                   theta = 1.0e4 : f64}
      : (tensor<2x3x8xf32>, tensor<3xi32>) -> tensor<2x3x8xf32>
  %2 = kiln.rope %x positions(%p) {head_dim = 4 : i64, rotary_dim = 4 : i64,
                                   theta = 1.0e4 : f64}
      : (tensor<2x3x8xf32>, tensor<3xi32>) -> tensor<2x3x8xf32>
  return %0, %1, %2 : tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x3x8xf32>
}
)mlir",
                                {x, ints({3}, {0, 1, 2})});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].floats, out[1].floats);
  // Sequence position 0 is not rotated.
  for (int c = 0; c < 8; ++c) {
    EXPECT_EQ(out[0].floats[c], x.floats[c]);
    EXPECT_EQ(out[0].floats[24 + c], x.floats[24 + c]);
  }
  // [S] positions are shared by every batch row; two heads of 4 channels.
  std::vector<double> expected;
  std::vector<double> invFreq = plainInvFreq(1e4, 4);
  for (int row = 0; row < 6; ++row) {
    for (int head = 0; head < 2; ++head) {
      std::vector<double> rotated = naiveRope(
          x.floats.data() + row * 8 + head * 4, 4, 4, row % 3, invFreq, false);
      expected.insert(expected.end(), rotated.begin(), rotated.end());
    }
  }
  expectTensorNear(out[2], {2, 3, 8}, expected, 1e-6);
}

TEST_F(RopeKernel, Llama3ScalingCoversAllThreeBands) {
  // inv_freq = [1, 0.1, 0.01, 0.001]: wavelengths 6.3, 63, 628 and 6283.
  // With original 1000, low_freq_factor 1, high_freq_factor 4 the first
  // two are short (< 250, kept), the last long (> 1000, divided by 8), and
  // 628 is blended.
  Tensor x = randomTensor({1, 2, 8}, 3);
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<1x2x8xf32>, %p: tensor<2xi64>) -> tensor<1x2x8xf32> {
  %0 = kiln.rope %x positions(%p) {head_dim = 8 : i64, rotary_dim = 8 : i64,
      theta = 1.0e4 : f64, llama3_factor = 8.0 : f64,
      llama3_low_freq_factor = 1.0 : f64, llama3_high_freq_factor = 4.0 : f64,
      llama3_original_max_position = 1000 : i64}
      : (tensor<1x2x8xf32>, tensor<2xi64>) -> tensor<1x2x8xf32>
  return %0 : tensor<1x2x8xf32>
}
)mlir",
                                {x, ints({2}, {5, 300})});
  ASSERT_EQ(out.size(), 1u);
  double smooth = (1000.0 / (2 * M_PI / 0.01) - 1.0) / (4.0 - 1.0);
  std::vector<double> invFreq = {
      1.0, 0.1, (1 - smooth) * 0.01 / 8 + smooth * 0.01, 0.001 / 8};
  std::vector<double> expected;
  for (int s = 0; s < 2; ++s) {
    std::vector<double> rotated = naiveRope(x.floats.data() + s * 8, 8, 8,
                                            s == 0 ? 5 : 300, invFreq, false);
    expected.insert(expected.end(), rotated.begin(), rotated.end());
  }
  expectTensorNear(out[0], {1, 2, 8}, expected, 1e-6);
}

} // namespace
