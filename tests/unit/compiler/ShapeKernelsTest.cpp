//===- ShapeKernelsTest.cpp - Data movement, reductions and top-k ---------===//

#include "tests/unit/compiler/InterpreterFixture.h"

#include <cmath>

using namespace kiln::ref;
using namespace kiln::ref::test;

namespace {

using ShapeKernels = InterpreterTest;

/// 0, 1, 2, ... as a float tensor of `shape`.
static Tensor iota(std::vector<int64_t> shape) {
  Tensor tensor = Tensor::zerosF32(shape);
  for (size_t i = 0; i < tensor.floats.size(); ++i) {
    tensor.floats[i] = static_cast<float>(i);
  }
  return tensor;
}

TEST_F(ShapeKernels, ReshapeBroadcastTranspose) {
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<2x3x4xf32>, %c: tensor<3x1xf32>)
    -> (tensor<6x4xf32>, tensor<2x3x4xf32>, tensor<4x2x3xf32>) {
  %0 = kiln.reshape %x : tensor<2x3x4xf32> -> tensor<6x4xf32>
  %1 = kiln.broadcast %c : tensor<3x1xf32> -> tensor<2x3x4xf32>
  %2 = kiln.transpose %x {permutation = array<i64: 2, 0, 1>}
      : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  return %0, %1, %2 : tensor<6x4xf32>, tensor<2x3x4xf32>, tensor<4x2x3xf32>
}
)mlir",
                                {iota({2, 3, 4}), floats({3, 1}, {7, 8, 9})});
  ASSERT_EQ(out.size(), 3u);
  std::vector<double> sequence, broadcast, transposed;
  for (int i = 0; i < 24; ++i) {
    sequence.push_back(i);
    broadcast.push_back(7 + (i / 4) % 3); // Row j of [2, 3, 4] is c[j].
  }
  // Result (k, i, j) is input (i, j, k).
  for (int k = 0; k < 4; ++k) {
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 3; ++j) {
        transposed.push_back((i * 3 + j) * 4 + k);
      }
    }
  }
  expectTensorNear(out[0], {6, 4}, sequence, 0.0);
  expectTensorNear(out[1], {2, 3, 4}, broadcast, 0.0);
  expectTensorNear(out[2], {4, 2, 3}, transposed, 0.0);
}

TEST_F(ShapeKernels, ConcatAlongANegativeAxis) {
  std::vector<Tensor> out =
      run(R"mlir(
func.func @main(%a: tensor<2x1x2xf32>, %b: tensor<2x2x2xf32>,
                %i: tensor<2xi32>, %j: tensor<1xi32>)
    -> (tensor<2x3x2xf32>, tensor<3xi32>) {
  %0 = kiln.concat %a, %b {axis = -2 : i64}
      : (tensor<2x1x2xf32>, tensor<2x2x2xf32>) -> tensor<2x3x2xf32>
  %1 = kiln.concat %i, %j {axis = 0 : i64}
      : (tensor<2xi32>, tensor<1xi32>) -> tensor<3xi32>
  return %0, %1 : tensor<2x3x2xf32>, tensor<3xi32>
}
)mlir",
          {floats({2, 1, 2}, {1, 2, 3, 4}),
           floats({2, 2, 2}, {10, 11, 12, 13, 14, 15, 16, 17}),
           ints({2}, {5, 6}), ints({1}, {-7})});
  ASSERT_EQ(out.size(), 2u);
  expectTensorNear(out[0], {2, 3, 2},
                   {1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17}, 0.0);
  EXPECT_EQ(out[1].ints, (std::vector<int64_t>{5, 6, -7}));
}

TEST_F(ShapeKernels, SliceWithOffsetsAndStrides) {
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<3x5xf32>) -> tensor<2x2xf32> {
  %0 = kiln.slice %x {offsets = array<i64: 1, 0>, sizes = array<i64: 2, 2>,
                      strides = array<i64: 1, 3>}
      : tensor<3x5xf32> -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}
)mlir",
                                {iota({3, 5})});
  ASSERT_EQ(out.size(), 1u);
  // Rows 1, 2; columns 0, 3.
  expectTensorNear(out[0], {2, 2}, {5, 8, 10, 13}, 0.0);
}

TEST_F(ShapeKernels, GatherClampsIndices) {
  std::vector<Tensor> out =
      run(R"mlir(
func.func @main(%t: tensor<5x2xf32>, %ids: tensor<2x2xi32>,
                %table: tensor<3x2xi64>, %cols: tensor<3xi64>)
    -> (tensor<2x2x2xf32>, tensor<5x3xf32>, tensor<3x3xi64>) {
  %0 = kiln.gather %t, %ids {axis = 0 : i64}
      : (tensor<5x2xf32>, tensor<2x2xi32>) -> tensor<2x2x2xf32>
  %1 = kiln.gather %t, %cols {axis = -1 : i64}
      : (tensor<5x2xf32>, tensor<3xi64>) -> tensor<5x3xf32>
  %2 = kiln.gather %table, %cols {axis = 1 : i64}
      : (tensor<3x2xi64>, tensor<3xi64>) -> tensor<3x3xi64>
  return %0, %1, %2 : tensor<2x2x2xf32>, tensor<5x3xf32>, tensor<3x3xi64>
}
)mlir",
          {iota({5, 2}), ints({2, 2}, {-3, 0, 4, 99}),
           ints({3, 2}, {1, 2, 3, 4, 5, 6}), ints({3}, {1, -1, 2})});
  ASSERT_EQ(out.size(), 3u);
  // Rows 0 (clamped from -3), 0, 4, 4 (clamped from 99).
  expectTensorNear(out[0], {2, 2, 2}, {0, 1, 0, 1, 8, 9, 8, 9}, 0.0);
  // Columns 1, 0 (clamped), 1 (clamped from 2) of each row.
  std::vector<double> columns;
  for (int r = 0; r < 5; ++r) {
    columns.insert(columns.end(), {2.0 * r + 1, 2.0 * r, 2.0 * r + 1});
  }
  expectTensorNear(out[1], {5, 3}, columns, 0.0);
  EXPECT_EQ(out[2].ints, (std::vector<int64_t>{2, 1, 2, 4, 3, 4, 6, 5, 6}));
}

TEST_F(ShapeKernels, ReduceKindsAxesAndKeepDims) {
  Tensor x = randomTensor({2, 3, 4}, 1);
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<2x3x4xf32>)
    -> (tensor<3xf32>, tensor<1x3x1xf32>, tensor<2x3xf32>, tensor<2x4xf32>) {
  %0 = kiln.reduce sum %x {axes = array<i64: 0, -1>}
      : tensor<2x3x4xf32> -> tensor<3xf32>
  %1 = kiln.reduce mean %x {axes = array<i64: 2, 0>, keep_dims}
      : tensor<2x3x4xf32> -> tensor<1x3x1xf32>
  %2 = kiln.reduce max %x {axes = array<i64: 2>}
      : tensor<2x3x4xf32> -> tensor<2x3xf32>
  %3 = kiln.reduce min %x {axes = array<i64: 1>}
      : tensor<2x3x4xf32> -> tensor<2x4xf32>
  return %0, %1, %2, %3
      : tensor<3xf32>, tensor<1x3x1xf32>, tensor<2x3xf32>, tensor<2x4xf32>
}
)mlir",
                                {x});
  ASSERT_EQ(out.size(), 4u);
  auto at = [&](int i, int j, int k) { return x.floats[(i * 3 + j) * 4 + k]; };
  std::vector<double> sum(3, 0), mean, max, min;
  for (int j = 0; j < 3; ++j) {
    for (int i = 0; i < 2; ++i) {
      for (int k = 0; k < 4; ++k) {
        sum[j] += at(i, j, k);
      }
    }
    mean.push_back(sum[j] / 8);
  }
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      max.push_back(
          std::max({at(i, j, 0), at(i, j, 1), at(i, j, 2), at(i, j, 3)}));
    }
    for (int k = 0; k < 4; ++k) {
      min.push_back(std::min({at(i, 0, k), at(i, 1, k), at(i, 2, k)}));
    }
  }
  expectTensorNear(out[0], {3}, sum, 1e-6);
  expectTensorNear(out[1], {1, 3, 1}, mean, 1e-6);
  expectTensorNear(out[2], {2, 3}, max, 0.0);
  expectTensorNear(out[3], {2, 4}, min, 0.0);
}

TEST_F(ShapeKernels, TopKIsDescendingWithTiesInIndexOrder) {
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<3x5xf32>)
    -> (tensor<3x3xf32>, tensor<3x3xi64>) {
  %0:2 = kiln.top_k %x {k = 3 : i64}
      : tensor<3x5xf32> -> (tensor<3x3xf32>, tensor<3x3xi64>)
  return %0#0, %0#1 : tensor<3x3xf32>, tensor<3x3xi64>
}
)mlir",
                                {floats({3, 5}, {0.5, -1, 4, 2, 3, //
                                                 1, 3, 3, 2, 3,    //
                                                 7, 7, 7, 7, 7})});
  ASSERT_EQ(out.size(), 2u);
  expectTensorNear(out[0], {3, 3}, {4, 3, 2, 3, 3, 3, 7, 7, 7}, 0.0);
  ASSERT_FALSE(out[1].isFloat);
  EXPECT_EQ(out[1].ints, (std::vector<int64_t>{2, 4, 3, 1, 2, 4, 0, 1, 2}));
}

} // namespace
