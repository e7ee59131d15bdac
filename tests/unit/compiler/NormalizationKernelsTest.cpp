//===- NormalizationKernelsTest.cpp - Softmax, LayerNorm, RMSNorm ---------===//

#include "tests/unit/compiler/InterpreterFixture.h"

#include <cmath>

using namespace kiln::ref;
using namespace kiln::ref::test;

namespace {

using NormalizationKernels = InterpreterTest;

TEST_F(NormalizationKernels, SoftmaxByHand) {
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = kiln.softmax %x {axis = -1 : i64} : tensor<2x3xf32>
  %1 = kiln.softmax %x {axis = 0 : i64} : tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}
)mlir",
                                {floats({2, 3}, {1, 2, 3, 1000, 1001, 1000})});
  ASSERT_EQ(out.size(), 2u);
  // Row 1 needs the max subtracted: exp(1000) overflows.
  double e = std::exp(1.0);
  expectTensorNear(out[0], {2, 3},
                   {0.09003057317038046, 0.24472847105479767,
                    0.6652409557748219, 1 / (e + 2), e / (e + 2), 1 / (e + 2)},
                   1e-7);
  // Along axis 0 each column of two elements: [1, 1000] gives ~[0, 1].
  double s = 1.0 / (1.0 + std::exp(-999.0));
  expectTensorNear(out[1], {2, 3}, {1 - s, 1 - s, 1 - s, s, s, s}, 1e-7);
}

TEST_F(NormalizationKernels, SoftmaxAlongAMiddleAxisMatchesNaive) {
  Tensor x = randomTensor({2, 3, 4}, 1, -3, 3);
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = kiln.softmax %x {axis = 1 : i64} : tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}
)mlir",
                                {x});
  ASSERT_EQ(out.size(), 1u);
  std::vector<double> expected(24);
  for (int i = 0; i < 2; ++i) {
    for (int k = 0; k < 4; ++k) {
      double sum = 0;
      for (int j = 0; j < 3; ++j) {
        sum += std::exp(x.floats[(i * 3 + j) * 4 + k]);
      }
      for (int j = 0; j < 3; ++j) {
        int at = (i * 3 + j) * 4 + k;
        expected[at] = std::exp(x.floats[at]) / sum;
      }
    }
  }
  expectTensorNear(out[0], {2, 3, 4}, expected, 1e-6);
}

constexpr const char *kNorms = R"mlir(
func.func @main(%x: tensor<2x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>)
    -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = kiln.layer_norm %x scale(%g) bias(%b) {epsilon = 1.0e-5 : f64}
      : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = kiln.layer_norm %x {epsilon = 1.0e-1 : f64}
      : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %2 = kiln.rms_norm %x scale(%g) {epsilon = 1.0e-6 : f64}
      : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %3 = kiln.rms_norm %x {epsilon = 5.0e-1 : f64}
      : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0, %1, %2, %3
      : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
)mlir";

TEST_F(NormalizationKernels, NormsByHand) {
  // Row [1, 2, 3, 4]: mean 2.5, biased variance 1.25, mean square 7.5.
  std::vector<float> row = {1, 2, 3, 4};
  std::vector<float> g = {1, 2, 0.5, -1}, b = {0, 1, -1, 0.5};
  std::vector<float> x = row;
  x.insert(x.end(), {-2, 0, 0, 2}); // mean 0, variance 2, mean square 2.
  std::vector<Tensor> out =
      run(kNorms, {floats({2, 4}, x), floats({4}, g), floats({4}, b)});
  ASSERT_EQ(out.size(), 4u);
  std::vector<double> ln, lnPlain, rms, rmsPlain;
  for (int i = 0; i < 4; ++i) {
    double n0 = (row[i] - 2.5) / std::sqrt(1.25 + 1e-5);
    ln.push_back(n0 * g[i] + b[i]);
    lnPlain.push_back((row[i] - 2.5) / std::sqrt(1.25 + 0.1));
    rms.push_back(row[i] / std::sqrt(7.5 + 1e-6) * g[i]);
    rmsPlain.push_back(row[i] / std::sqrt(7.5 + 0.5));
  }
  for (int i = 0; i < 4; ++i) {
    double v = x[4 + i];
    ln.push_back(v / std::sqrt(2 + 1e-5) * g[i] + b[i]);
    lnPlain.push_back(v / std::sqrt(2 + 0.1));
    rms.push_back(v / std::sqrt(2 + 1e-6) * g[i]);
    rmsPlain.push_back(v / std::sqrt(2 + 0.5));
  }
  expectTensorNear(out[0], {2, 4}, ln, 1e-6);
  expectTensorNear(out[1], {2, 4}, lnPlain, 1e-6);
  expectTensorNear(out[2], {2, 4}, rms, 1e-6);
  expectTensorNear(out[3], {2, 4}, rmsPlain, 1e-6);
}

} // namespace
