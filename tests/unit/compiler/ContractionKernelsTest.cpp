//===- ContractionKernelsTest.cpp - Linear, matmul, patch embedding -------===//

#include "tests/unit/compiler/InterpreterFixture.h"

using namespace kiln::ref;
using namespace kiln::ref::test;

namespace {

using ContractionKernels = InterpreterTest;

TEST_F(ContractionKernels, LinearByHand) {
  // y = x W^T + b with W = [[1, 0], [0, 1], [1, 1]].
  std::vector<Tensor> out =
      run(R"mlir(
func.func @main(%x: tensor<1x2xf32>, %w: tensor<3x2xf32>, %b: tensor<3xf32>)
    -> tensor<1x3xf32> {
  %0 = kiln.linear %x, %w, %b
      : (tensor<1x2xf32>, tensor<3x2xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}
)mlir",
          {floats({1, 2}, {1, 2}), floats({3, 2}, {1, 0, 0, 1, 1, 1}),
           floats({3}, {0.5, -1, 0})});
  ASSERT_EQ(out.size(), 1u);
  expectTensorNear(out[0], {1, 3}, {1.5, 1, 3}, 0.0);
}

TEST_F(ContractionKernels, LinearOnBatchedInputMatchesNaive) {
  Tensor x = randomTensor({2, 3, 5}, 1), w = randomTensor({4, 5}, 2);
  Tensor b = randomTensor({4}, 3);
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%x: tensor<2x3x5xf32>, %w: tensor<4x5xf32>, %b: tensor<4xf32>)
    -> (tensor<2x3x4xf32>, tensor<2x3x4xf32>) {
  %0 = kiln.linear %x, %w, %b
      : (tensor<2x3x5xf32>, tensor<4x5xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %1 = kiln.linear %x, %w
      : (tensor<2x3x5xf32>, tensor<4x5xf32>) -> tensor<2x3x4xf32>
  return %0, %1 : tensor<2x3x4xf32>, tensor<2x3x4xf32>
}
)mlir",
                                {x, w, b});
  ASSERT_EQ(out.size(), 2u);
  std::vector<double> withBias, without;
  for (int r = 0; r < 6; ++r) {
    for (int n = 0; n < 4; ++n) {
      double sum = 0;
      for (int k = 0; k < 5; ++k) {
        sum += double(x.floats[r * 5 + k]) * w.floats[n * 5 + k];
      }
      without.push_back(sum);
      withBias.push_back(sum + b.floats[n]);
    }
  }
  expectTensorNear(out[0], {2, 3, 4}, withBias, 1e-6);
  expectTensorNear(out[1], {2, 3, 4}, without, 1e-6);
}

/// C[b] = op(A[b]) op(B[b]) for the naive tests, with A [batch, ., .].
static std::vector<double> naiveMatmul(const Tensor &a, const Tensor &b,
                                       int batch, int m, int n, int k,
                                       bool transA, bool transB, bool bShared) {
  std::vector<double> c;
  for (int i = 0; i < batch; ++i) {
    const float *aMat = a.floats.data() + i * m * k;
    const float *bMat = b.floats.data() + (bShared ? 0 : i * k * n);
    for (int r = 0; r < m; ++r) {
      for (int col = 0; col < n; ++col) {
        double sum = 0;
        for (int p = 0; p < k; ++p) {
          double lhs = transA ? aMat[p * m + r] : aMat[r * k + p];
          double rhs = transB ? bMat[col * k + p] : bMat[p * n + col];
          sum += lhs * rhs;
        }
        c.push_back(sum);
      }
    }
  }
  return c;
}

TEST_F(ContractionKernels, MatmulAllTransposeCombinations) {
  Tensor a = randomTensor({2, 3, 4}, 1), aT = randomTensor({2, 4, 3}, 2);
  Tensor b = randomTensor({2, 4, 5}, 3), bT = randomTensor({2, 5, 4}, 4);
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%a: tensor<2x3x4xf32>, %at: tensor<2x4x3xf32>,
                %b: tensor<2x4x5xf32>, %bt: tensor<2x5x4xf32>)
    -> (tensor<2x3x5xf32>, tensor<2x3x5xf32>, tensor<2x3x5xf32>,
        tensor<2x3x5xf32>) {
  %0 = kiln.matmul %a, %b
      : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  %1 = kiln.matmul %at, %b {transpose_lhs}
      : (tensor<2x4x3xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  %2 = kiln.matmul %a, %bt {transpose_rhs}
      : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x3x5xf32>
  %3 = kiln.matmul %at, %bt {transpose_lhs, transpose_rhs}
      : (tensor<2x4x3xf32>, tensor<2x5x4xf32>) -> tensor<2x3x5xf32>
  return %0, %1, %2, %3 : tensor<2x3x5xf32>, tensor<2x3x5xf32>,
      tensor<2x3x5xf32>, tensor<2x3x5xf32>
}
)mlir",
                                {a, aT, b, bT});
  ASSERT_EQ(out.size(), 4u);
  expectTensorNear(out[0], {2, 3, 5},
                   naiveMatmul(a, b, 2, 3, 5, 4, false, false, false), 1e-6);
  expectTensorNear(out[1], {2, 3, 5},
                   naiveMatmul(aT, b, 2, 3, 5, 4, true, false, false), 1e-6);
  expectTensorNear(out[2], {2, 3, 5},
                   naiveMatmul(a, bT, 2, 3, 5, 4, false, true, false), 1e-6);
  expectTensorNear(out[3], {2, 3, 5},
                   naiveMatmul(aT, bT, 2, 3, 5, 4, true, true, false), 1e-6);
}

TEST_F(ContractionKernels, MatmulBroadcastsBatchDimensions) {
  Tensor a = randomTensor({2, 1, 3, 4}, 5), b = randomTensor({3, 4, 2}, 6);
  Tensor w = randomTensor({4, 2}, 7);
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%a: tensor<2x1x3x4xf32>, %b: tensor<3x4x2xf32>,
                %w: tensor<4x2xf32>)
    -> (tensor<2x3x3x2xf32>, tensor<2x1x3x2xf32>) {
  %0 = kiln.matmul %a, %b
      : (tensor<2x1x3x4xf32>, tensor<3x4x2xf32>) -> tensor<2x3x3x2xf32>
  %1 = kiln.matmul %a, %w
      : (tensor<2x1x3x4xf32>, tensor<4x2xf32>) -> tensor<2x1x3x2xf32>
  return %0, %1 : tensor<2x3x3x2xf32>, tensor<2x1x3x2xf32>
}
)mlir",
                                {a, b, w});
  ASSERT_EQ(out.size(), 2u);
  // Batch (i, j) pairs lhs matrix i with rhs matrix j.
  std::vector<double> expected;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      Tensor aMat = floats({1, 3, 4},
                           std::vector<float>(a.floats.begin() + i * 12,
                                              a.floats.begin() + (i + 1) * 12));
      Tensor bMat =
          floats({1, 4, 2}, std::vector<float>(b.floats.begin() + j * 8,
                                               b.floats.begin() + (j + 1) * 8));
      std::vector<double> c =
          naiveMatmul(aMat, bMat, 1, 3, 2, 4, false, false, false);
      expected.insert(expected.end(), c.begin(), c.end());
    }
  }
  expectTensorNear(out[0], {2, 3, 3, 2}, expected, 1e-6);
  expectTensorNear(out[1], {2, 1, 3, 2},
                   naiveMatmul(a, w, 2, 3, 2, 4, false, false, true), 1e-6);
}

TEST_F(ContractionKernels, PatchEmbedIsAStridedConvolution) {
  // B=2, C=3, H=4, W=6, P=2: a 2x3 grid of patches, D=5.
  Tensor pixels = randomTensor({2, 3, 4, 6}, 8);
  Tensor w = randomTensor({5, 3, 2, 2}, 9), b = randomTensor({5}, 10);
  std::vector<Tensor> out = run(R"mlir(
func.func @main(%p: tensor<2x3x4x6xf32>, %w: tensor<5x3x2x2xf32>,
                %b: tensor<5xf32>) -> (tensor<2x6x5xf32>, tensor<2x6x5xf32>) {
  %0 = kiln.patch_embed %p, %w, %b {patch_size = 2 : i64}
      : (tensor<2x3x4x6xf32>, tensor<5x3x2x2xf32>, tensor<5xf32>)
      -> tensor<2x6x5xf32>
  %1 = kiln.patch_embed %p, %w {patch_size = 2 : i64}
      : (tensor<2x3x4x6xf32>, tensor<5x3x2x2xf32>) -> tensor<2x6x5xf32>
  return %0, %1 : tensor<2x6x5xf32>, tensor<2x6x5xf32>
}
)mlir",
                                {pixels, w, b});
  ASSERT_EQ(out.size(), 2u);
  auto pixel = [&](int bi, int c, int y, int x) {
    return double(pixels.floats[((bi * 3 + c) * 4 + y) * 6 + x]);
  };
  std::vector<double> withBias, without;
  for (int bi = 0; bi < 2; ++bi) {
    for (int i = 0; i < 2; ++i) {   // patch row
      for (int j = 0; j < 3; ++j) { // patch column; token n = i * 3 + j
        for (int d = 0; d < 5; ++d) {
          double sum = 0;
          for (int c = 0; c < 3; ++c) {
            for (int y = 0; y < 2; ++y) {
              for (int x = 0; x < 2; ++x) {
                sum += pixel(bi, c, 2 * i + y, 2 * j + x) *
                       w.floats[((d * 3 + c) * 2 + y) * 2 + x];
              }
            }
          }
          without.push_back(sum);
          withBias.push_back(sum + b.floats[d]);
        }
      }
    }
  }
  expectTensorNear(out[0], {2, 6, 5}, withBias, 1e-6);
  expectTensorNear(out[1], {2, 6, 5}, without, 1e-6);
}

} // namespace
