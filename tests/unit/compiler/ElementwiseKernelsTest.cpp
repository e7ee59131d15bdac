//===- ElementwiseKernelsTest.cpp - Broadcasting and unary ops ------------===//

#include "tests/unit/compiler/InterpreterFixture.h"

#include <cmath>

using namespace kiln::ref;
using namespace kiln::ref::test;

namespace {

using ElementwiseKernels = InterpreterTest;

TEST_F(ElementwiseKernels, BinaryOpsBroadcastLikeNumPy) {
  Tensor a = randomTensor({2, 3, 4}, 1);
  Tensor b = randomTensor({4}, 2);
  Tensor c = randomTensor({3, 1}, 3, 0.5f, 2.0f);
  Tensor d = randomTensor({2, 1, 4}, 4);
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%a: tensor<2x3x4xf32>, %b: tensor<4xf32>, %c: tensor<3x1xf32>,
                %d: tensor<2x1x4xf32>)
    -> (tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>,
        tensor<2x3x4xf32>, tensor<2x3x4xf32>) {
  %0 = kiln.add %a, %b : tensor<2x3x4xf32>, tensor<4xf32> -> tensor<2x3x4xf32>
  %1 = kiln.sub %c, %a : tensor<3x1xf32>, tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %2 = kiln.mul %b, %a : tensor<4xf32>, tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %3 = kiln.div %a, %c : tensor<2x3x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xf32>
  %4 = kiln.maximum %a, %d
      : tensor<2x3x4xf32>, tensor<2x1x4xf32> -> tensor<2x3x4xf32>
  return %0, %1, %2, %3, %4 : tensor<2x3x4xf32>, tensor<2x3x4xf32>,
      tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>
}
)mlir",
                                {a, b, c, d});
  ASSERT_EQ(out.size(), 5u);
  std::vector<double> add, sub, mul, div, max;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 4; ++k) {
        double x = a.floats[(i * 3 + j) * 4 + k];
        add.push_back(x + b.floats[k]);
        sub.push_back(c.floats[j] - x);
        mul.push_back(b.floats[k] * x);
        div.push_back(x / c.floats[j]);
        max.push_back(std::max<double>(x, d.floats[i * 4 + k]));
      }
    }
  }
  expectTensorNear(out[0], {2, 3, 4}, add, 1e-7);
  expectTensorNear(out[1], {2, 3, 4}, sub, 1e-7);
  expectTensorNear(out[2], {2, 3, 4}, mul, 1e-7);
  expectTensorNear(out[3], {2, 3, 4}, div, 1e-7);
  expectTensorNear(out[4], {2, 3, 4}, max, 0.0);
}

TEST_F(ElementwiseKernels, ScalarOperandBroadcastsEverywhere) {
  std::vector<Tensor> out =
      run(R"mlir(
func.func @main(%s: tensor<f32>, %x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %0 = kiln.sub %s, %x : tensor<f32>, tensor<2x2xf32> -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}
)mlir",
          {floats({}, {10}), floats({2, 2}, {1, 2, 3, 4})});
  ASSERT_EQ(out.size(), 1u);
  expectTensorNear(out[0], {2, 2}, {9, 8, 7, 6}, 0.0);
}

TEST_F(ElementwiseKernels, MaximumPropagatesNaN) {
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {
  %0 = kiln.maximum %a, %b : tensor<2xf32>, tensor<2xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
)mlir",
                                {floats({2}, {NAN, 1}), floats({2}, {5, NAN})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(std::isnan(out[0].floats[0]));
  EXPECT_TRUE(std::isnan(out[0].floats[1]));
}

constexpr const char *kGelus = R"mlir(
func.func @main(%x: tensor<5xf32>)
    -> (tensor<5xf32>, tensor<5xf32>, tensor<5xf32>) {
  %0 = kiln.gelu %x : tensor<5xf32>
  %1 = kiln.gelu %x approximation tanh : tensor<5xf32>
  %2 = kiln.gelu %x approximation quick : tensor<5xf32>
  return %0, %1, %2 : tensor<5xf32>, tensor<5xf32>, tensor<5xf32>
}
)mlir";

TEST_F(ElementwiseKernels, GeluFormsMatchTheirDefinitions) {
  std::vector<float> x = {-3.0f, -1.0f, 0.0f, 1.0f, 2.5f};
  std::vector<Tensor> out = run(kGelus, {floats({5}, x)});
  ASSERT_EQ(out.size(), 3u);
  std::vector<double> exact, tanhForm, quick;
  for (double v : x) {
    exact.push_back(0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))));
    double inner = std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v);
    tanhForm.push_back(0.5 * v * (1.0 + std::tanh(inner)));
    quick.push_back(v / (1.0 + std::exp(-1.702 * v)));
  }
  expectTensorNear(out[0], {5}, exact, 1e-7);
  expectTensorNear(out[1], {5}, tanhForm, 1e-7);
  expectTensorNear(out[2], {5}, quick, 1e-7);
}

TEST_F(ElementwiseKernels, GeluFormsAreDistinguishable) {
  // Known values at x = 1: the forms differ by far more than f32 rounding.
  std::vector<Tensor> out = run(kGelus, {floats({5}, {1, 1, 1, 1, 1})});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_NEAR(out[0].floats[0], 0.8413447460685429, 1e-7);
  EXPECT_NEAR(out[1].floats[0], 0.8411919906082768, 1e-7);
  EXPECT_NEAR(out[2].floats[0], 0.8457957659328212, 1e-7);
}

TEST_F(ElementwiseKernels, UnaryOpsMatchTheirDefinitions) {
  std::vector<float> x = {0.25f, 1.0f, 2.5f, 4.0f};
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>,
        tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = kiln.silu %x : tensor<4xf32>
  %1 = kiln.sigmoid %x : tensor<4xf32>
  %2 = kiln.tanh %x : tensor<4xf32>
  %3 = kiln.exp %x : tensor<4xf32>
  %4 = kiln.rsqrt %x : tensor<4xf32>
  %5 = kiln.sqrt %x : tensor<4xf32>
  %6 = kiln.neg %x : tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4xf32>, tensor<4xf32>,
      tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>,
      tensor<4xf32>
}
)mlir",
                                {floats({4}, x)});
  ASSERT_EQ(out.size(), 7u);
  std::vector<std::vector<double>> expected(7);
  for (double v : x) {
    double sigmoid = 1.0 / (1.0 + std::exp(-v));
    expected[0].push_back(v * sigmoid);
    expected[1].push_back(sigmoid);
    expected[2].push_back(std::tanh(v));
    expected[3].push_back(std::exp(v));
    expected[4].push_back(1.0 / std::sqrt(v));
    expected[5].push_back(std::sqrt(v));
    expected[6].push_back(-v);
  }
  for (int i = 0; i < 7; ++i) {
    expectTensorNear(out[i], {4}, expected[i], 1e-7);
  }
  // Hand-checked anchors: rsqrt(0.25) = 2, sqrt(4) = 2, silu(1) = 0.7311.
  EXPECT_EQ(out[4].floats[0], 2.0f);
  EXPECT_EQ(out[5].floats[3], 2.0f);
  EXPECT_NEAR(out[0].floats[1], 0.7310585786300049, 1e-7);
}

} // namespace
