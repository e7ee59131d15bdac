//===- ReferenceInterpreterTest.cpp - Inputs, parameters, errors ----------===//
//
// The interpreter's driver: binding inputs, returning outputs, parameters
// (with permutation) and constants, and every way a run can fail without
// crashing. The kernels have their own test files.
//
//===----------------------------------------------------------------------===//

#include "tests/unit/compiler/InterpreterFixture.h"

#include "compiler/weights/SeededInitializer.h"

#include "gmock/gmock.h"

using namespace kiln;
using namespace kiln::ref;
using namespace kiln::ref::test;
using ::testing::HasSubstr;

namespace {

using ReferenceInterpreter = InterpreterTest;

constexpr const char *kTwoInputs = R"mlir(
func.func @main(%a: tensor<2x3xf32> {kiln.name = "a"},
                %ids: tensor<3xi64> {kiln.name = "ids"})
    -> (tensor<3xi64>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = kiln.add %a, %a : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  return %ids, %0, %a : tensor<3xi64>, tensor<2x3xf32>, tensor<2x3xf32>
}
)mlir";

TEST_F(ReferenceInterpreter, ReturnsOutputsInOrder) {
  Tensor a = floats({2, 3}, {1, 2, 3, 4, 5, 6});
  std::vector<Tensor> out = run(kTwoInputs, {a, ints({3}, {7, -8, 9})});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FALSE(out[0].isFloat);
  EXPECT_EQ(out[0].ints, (std::vector<int64_t>{7, -8, 9}));
  expectTensorNear(out[1], {2, 3}, {2, 4, 6, 8, 10, 12}, 0.0);
  expectTensorNear(out[2], {2, 3}, {1, 2, 3, 4, 5, 6}, 0.0);
}

// Panels, batched panels, and a permutation followed by panels: the
// layouts kiln-materialize-weight-layouts stores GEMM weights in.
constexpr const char *kPanelParams = R"mlir(
func.func @main() -> (tensor<2x3x2xf32>, tensor<2x2x2x2xf32>, tensor<2x2x3x2xf32>) {
  %0 = kiln.param "w" {panel = 2 : i64} : tensor<2x3x2xf32>
  %1 = kiln.param "g" {panel = 2 : i64} : tensor<2x2x2x2xf32>
  %2 = kiln.param "k" {panel = 2 : i64, permutation = array<i64: 0, 2, 1>} : tensor<2x2x3x2xf32>
  return %0, %1, %2 : tensor<2x3x2xf32>, tensor<2x2x2x2xf32>, tensor<2x2x3x2xf32>
}
)mlir";

TEST_F(ReferenceInterpreter, ParamPanelsFollowThePermutation) {
  MapWeights weights;
  auto iota = [](int n) {
    std::vector<float> v(n);
    for (int i = 0; i < n; ++i) {
      v[i] = static_cast<float>(i);
    }
    return v;
  };
  weights.tensors["w"] = iota(12); // Declared [N = 4, K = 3].
  weights.tensors["g"] = iota(16); // Declared [G = 2, N = 4, K = 2].
  weights.tensors["k"] = iota(24); // Declared [G = 2, K = 3, N = 4].
  std::vector<Tensor> out = run(kPanelParams, {}, &weights);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(weights.requestedShapes["w"], (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(weights.requestedShapes["g"], (std::vector<int64_t>{2, 4, 2}));
  EXPECT_EQ(weights.requestedShapes["k"], (std::vector<int64_t>{2, 3, 4}));
  // Stored [N/2, K, 2]: element (i, k, j) is declared element (2i + j, k).
  std::vector<double> w, g, k;
  for (int i = 0; i < 2; ++i) {
    for (int kk = 0; kk < 3; ++kk) {
      for (int j = 0; j < 2; ++j) {
        w.push_back((2 * i + j) * 3 + kk);
      }
    }
  }
  expectTensorNear(out[0], {2, 3, 2}, w, 0.0);
  // Stored [G, N/2, K, 2]: element (h, i, k, j) is declared (h, 2i + j, k).
  for (int h = 0; h < 2; ++h) {
    for (int i = 0; i < 2; ++i) {
      for (int kk = 0; kk < 2; ++kk) {
        for (int j = 0; j < 2; ++j) {
          g.push_back((h * 4 + 2 * i + j) * 2 + kk);
        }
      }
    }
  }
  expectTensorNear(out[1], {2, 2, 2, 2}, g, 0.0);
  // Permuted to [G, N, K], then stored [G, N/2, K, 2]: element (h, i, k,
  // j) is declared element (h, k, 2i + j).
  for (int h = 0; h < 2; ++h) {
    for (int i = 0; i < 2; ++i) {
      for (int kk = 0; kk < 3; ++kk) {
        for (int j = 0; j < 2; ++j) {
          k.push_back((h * 3 + kk) * 4 + 2 * i + j);
        }
      }
    }
  }
  expectTensorNear(out[2], {2, 2, 3, 2}, k, 0.0);
}

// Three columns in panels of two: the second panel's last lane is padding.
constexpr const char *kPaddedPanelParam = R"mlir(
func.func @main() -> tensor<2x2x2xf32> {
  %0 = kiln.param "v" {panel = 2 : i64, panel_columns = 3 : i64} : tensor<2x2x2xf32>
  return %0 : tensor<2x2x2xf32>
}
)mlir";

TEST_F(ReferenceInterpreter, PaddedPanelsHoldZerosPastTheColumns) {
  MapWeights weights;
  weights.tensors["v"] = {1, 2, 3, 4, 5, 6}; // Declared [N = 3, K = 2].
  std::vector<Tensor> out = run(kPaddedPanelParam, {}, &weights);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(weights.requestedShapes["v"], (std::vector<int64_t>{3, 2}));
  // Element (i, k, j) is declared (2i + j, k), zero for 2i + j = 3.
  expectTensorNear(out[0], {2, 2, 2}, {1, 3, 2, 4, 5, 0, 6, 0}, 0.0);
}

TEST_F(ReferenceInterpreter, WrongInputCountIsAnError) {
  std::string diagnostics =
      runExpectingError(kTwoInputs, {floats({2, 3}, {1, 2, 3, 4, 5, 6})});
  EXPECT_THAT(diagnostics, HasSubstr("expects 2 inputs for @main, got 1"));
}

TEST_F(ReferenceInterpreter, WrongInputShapeIsAnError) {
  std::string diagnostics = runExpectingError(
      kTwoInputs, {floats({3, 2}, {1, 2, 3, 4, 5, 6}), ints({3}, {0, 1, 2})});
  EXPECT_THAT(diagnostics, HasSubstr("expects input 0 ('a') of type "
                                     "'tensor<2x3xf32>', got float [3, 2]"));
}

TEST_F(ReferenceInterpreter, FloatDataForAnIntegerInputIsAnError) {
  std::string diagnostics = runExpectingError(
      kTwoInputs, {floats({2, 3}, {1, 2, 3, 4, 5, 6}), floats({3}, {0, 1, 2})});
  EXPECT_THAT(diagnostics, HasSubstr("expects input 1 ('ids')"));
}

TEST_F(ReferenceInterpreter, DataThatDoesNotFillTheShapeIsAnError) {
  std::string diagnostics = runExpectingError(
      kTwoInputs, {floats({2, 3}, {1, 2, 3}), ints({3}, {0, 1, 2})});
  EXPECT_THAT(diagnostics, HasSubstr("got float [2, 3] with 3 values"));
}

TEST_F(ReferenceInterpreter, NonKilnOpIsAnError) {
  std::string diagnostics = runExpectingError(R"mlir(
func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
  %0 = func.call @other(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
func.func private @other(tensor<2xf32>) -> tensor<2xf32>
)mlir",
                                              {floats({2}, {1, 2})});
  EXPECT_THAT(diagnostics,
              HasSubstr("'func.call' is not a kiln op: a model's body holds "
                        "kiln ops and its return"));
}

TEST_F(ReferenceInterpreter, UnsupportedArgumentTypeIsAnError) {
  std::string diagnostics = runExpectingError(R"mlir(
func.func @main(%x: tensor<2xf16>) -> tensor<2xf16> {
  return %x : tensor<2xf16>
}
)mlir",
                                              {floats({2}, {1, 2})});
  EXPECT_THAT(diagnostics,
              HasSubstr("input 0 of @main has type 'tensor<2xf16>': a "
                        "model's inputs and outputs are tensors of static "
                        "shape with elements f32, i32 or i64"));
}

TEST_F(ReferenceInterpreter, FunctionWithoutBodyIsAnError) {
  std::string diagnostics = runExpectingError(R"mlir(
func.func private @main(tensor<2xf32>) -> tensor<2xf32>
)mlir",
                                              {floats({2}, {1, 2})});
  EXPECT_THAT(diagnostics, HasSubstr("to have a body of one block"));
}

constexpr const char *kPermutedParams = R"mlir(
func.func @main() -> (tensor<3x2xf32>, tensor<4x2x3xf32>, tensor<2x3xf32>) {
  %0 = kiln.param "w" {permutation = array<i64: 1, 0>} : tensor<3x2xf32>
  %1 = kiln.param "t" {permutation = array<i64: 2, 0, 1>} : tensor<4x2x3xf32>
  %2 = kiln.param "w" : tensor<2x3xf32>
  return %0, %1, %2 : tensor<3x2xf32>, tensor<4x2x3xf32>, tensor<2x3xf32>
}
)mlir";

TEST_F(ReferenceInterpreter, ParamLoadsTheDeclaredShapeThenPermutes) {
  MapWeights weights;
  weights.tensors["w"] = {1, 2, 3, 4, 5, 6}; // Declared [2, 3].
  std::vector<float> t(24);
  for (int i = 0; i < 24; ++i) {
    t[i] = static_cast<float>(i);
  }
  weights.tensors["t"] = t; // Declared [2, 3, 4].
  std::vector<Tensor> out = run(kPermutedParams, {}, &weights);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(weights.requestedShapes["w"], (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(weights.requestedShapes["t"], (std::vector<int64_t>{2, 3, 4}));
  // Stored [3, 2]: element (i, j) is declared element (j, i).
  expectTensorNear(out[0], {3, 2}, {1, 4, 2, 5, 3, 6}, 0.0);
  // Stored [4, 2, 3]: element (k, a, b) is declared element (a, b, k).
  std::vector<double> expected;
  for (int k = 0; k < 4; ++k) {
    for (int a = 0; a < 2; ++a) {
      for (int b = 0; b < 3; ++b) {
        expected.push_back((a * 3 + b) * 4 + k);
      }
    }
  }
  expectTensorNear(out[1], {4, 2, 3}, expected, 0.0);
  expectTensorNear(out[2], {2, 3}, {1, 2, 3, 4, 5, 6}, 0.0);
}

TEST_F(ReferenceInterpreter, SeededParametersComeFromTheInitializer) {
  std::vector<Tensor> out = run(R"mlir(
func.func @main() -> tensor<3x4xf32> {
  %0 = kiln.param "layer.0.weight" : tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}
)mlir",
                                {});
  ASSERT_EQ(out.size(), 1u);
  std::vector<float> expected =
      seededParameter("layer.0.weight", {3, 4}, kDefaultParameterSeed);
  EXPECT_EQ(out[0].floats, expected);
}

TEST_F(ReferenceInterpreter, IntegerParametersHoldIntegers) {
  MapWeights weights;
  weights.tensors["table"] = {3, -1, 7};
  std::vector<Tensor> out = run(R"mlir(
func.func @main() -> tensor<3xi32> {
  %0 = kiln.param "table" : tensor<3xi32>
  return %0 : tensor<3xi32>
}
)mlir",
                                {}, &weights);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].isFloat);
  EXPECT_EQ(out[0].ints, (std::vector<int64_t>{3, -1, 7}));
}

TEST_F(ReferenceInterpreter, MissingParameterIsAnError) {
  MapWeights weights;
  std::string diagnostics = runExpectingError(kPermutedParams, {}, &weights);
  EXPECT_THAT(diagnostics, HasSubstr("no parameter named 'w'"));
}

TEST_F(ReferenceInterpreter, ParameterOfTheWrongSizeIsAnError) {
  MapWeights weights;
  weights.tensors["w"] = {1, 2, 3, 4};
  std::string diagnostics = runExpectingError(kPermutedParams, {}, &weights);
  EXPECT_THAT(diagnostics, HasSubstr("expects 6 values for parameter 'w' of "
                                     "shape [2, 3], got 4"));
}

TEST_F(ReferenceInterpreter, ConstantsSplatAndDense) {
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<3xi32>) {
  %half = kiln.constant dense<0.5> : tensor<2x2xf32>
  %ids = kiln.constant dense<[4, -2, 9]> : tensor<3xi32>
  %0 = kiln.mul %x, %half : tensor<2x2xf32>, tensor<2x2xf32> -> tensor<2x2xf32>
  return %0, %ids : tensor<2x2xf32>, tensor<3xi32>
}
)mlir",
                                {floats({2, 2}, {2, 4, 6, 8})});
  ASSERT_EQ(out.size(), 2u);
  expectTensorNear(out[0], {2, 2}, {1, 2, 3, 4}, 0.0);
  EXPECT_EQ(out[1].ints, (std::vector<int64_t>{4, -2, 9}));
}

TEST_F(ReferenceInterpreter, IntegerTensorsFlowThroughShapeOps) {
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%ids: tensor<2x3xi64>) -> tensor<3x2xi64> {
  %0 = kiln.transpose %ids {permutation = array<i64: 1, 0>}
      : tensor<2x3xi64> -> tensor<3x2xi64>
  return %0 : tensor<3x2xi64>
}
)mlir",
                                {ints({2, 3}, {1, 2, 3, 4, 5, 6})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ints, (std::vector<int64_t>{1, 4, 2, 5, 3, 6}));
}

} // namespace
