//===- ContractionKernels.cpp - Linear, matmul and patch embedding --------===//
//
// All three are dot products of contiguous f32 rows accumulated in double:
// operands are first copied into "rows of the left side" and "rows of the
// right side" layouts, which keeps the inner loop contiguous (the small
// model configurations then take well under a second) and the code free
// of per-case index arithmetic.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/OpKernels.h"
#include "compiler/reference/TensorLayout.h"

using namespace mlir;
using namespace kiln;
using namespace kiln::ref;

Tensor ref::runLinear(const Tensor &input, const Tensor &weight,
                      const Tensor *bias) {
  int64_t k = input.shape.back();
  int64_t n = weight.shape[0];
  int64_t rows = elementCount(ArrayRef<int64_t>(input.shape).drop_back());
  std::vector<int64_t> shape = input.shape;
  shape.back() = n;
  Tensor result = Tensor::zerosF32(shape);
  for (int64_t r = 0; r < rows; ++r) {
    const float *x = input.floats.data() + r * k;
    for (int64_t j = 0; j < n; ++j) {
      double sum = dot(x, weight.floats.data() + j * k, k);
      if (bias) {
        sum += bias->floats[j];
      }
      result.floats[r * n + j] = static_cast<float>(sum);
    }
  }
  return result;
}

/// `tensor [..., R, C]` as `[..., C, R]`.
static Tensor swapLastTwo(const Tensor &tensor) {
  std::vector<int64_t> permutation;
  for (size_t d = 0; d < tensor.shape.size(); ++d) {
    permutation.push_back(d);
  }
  std::swap(permutation[permutation.size() - 1],
            permutation[permutation.size() - 2]);
  return transposed(tensor, permutation);
}

Tensor ref::runMatmul(const Tensor &lhs, const Tensor &rhs, bool transposeLhs,
                      bool transposeRhs) {
  // Bring the left side to [..., M, K] and the right side to [..., N, K]
  // so that every output element is a dot product of two contiguous rows.
  Tensor a = transposeLhs ? swapLastTwo(lhs) : lhs;
  Tensor b = transposeRhs ? rhs : swapLastTwo(rhs);
  int64_t m = a.shape[a.shape.size() - 2], k = a.shape.back();
  int64_t n = b.shape[b.shape.size() - 2];
  ArrayRef<int64_t> aBatch = ArrayRef<int64_t>(a.shape).drop_back(2);
  ArrayRef<int64_t> bBatch = ArrayRef<int64_t>(b.shape).drop_back(2);
  std::vector<int64_t> batch = broadcastShapes(aBatch, bBatch);
  // Strides over whole matrices, so a batch index maps to a matrix number.
  std::vector<int64_t> aStrides = broadcastStrides(aBatch, batch);
  std::vector<int64_t> bStrides = broadcastStrides(bBatch, batch);

  std::vector<int64_t> shape = batch;
  shape.push_back(m);
  shape.push_back(n);
  Tensor result = Tensor::zerosF32(shape);
  forEachIndex(batch, [&](ArrayRef<int64_t> index, int64_t matrix) {
    const float *aMat = a.floats.data() + offsetOf(index, aStrides) * m * k;
    const float *bMat = b.floats.data() + offsetOf(index, bStrides) * n * k;
    float *out = result.floats.data() + matrix * m * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        out[i * n + j] = static_cast<float>(dot(aMat + i * k, bMat + j * k, k));
      }
    }
  });
  return result;
}

Tensor ref::runPatchEmbed(const Tensor &pixels, const Tensor &weight,
                          const Tensor *bias, int64_t patch) {
  int64_t batch = pixels.shape[0], channels = pixels.shape[1];
  int64_t height = pixels.shape[2], width = pixels.shape[3];
  int64_t dim = weight.shape[0];
  int64_t rows = height / patch, cols = width / patch;
  // A patch flattened in (c, y, x) order matches a row of the weight
  // reshaped to [D, C * P * P].
  int64_t patchLength = channels * patch * patch;
  std::vector<float> patchVector(patchLength);
  Tensor result = Tensor::zerosF32({batch, rows * cols, dim});
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        int64_t next = 0;
        for (int64_t c = 0; c < channels; ++c) {
          for (int64_t y = 0; y < patch; ++y) {
            for (int64_t x = 0; x < patch; ++x) {
              int64_t pixel =
                  ((b * channels + c) * height + i * patch + y) * width +
                  j * patch + x;
              patchVector[next++] = pixels.floats[pixel];
            }
          }
        }
        float *out = result.floats.data() + ((b * rows + i) * cols + j) * dim;
        for (int64_t d = 0; d < dim; ++d) {
          double sum = dot(patchVector.data(),
                           weight.floats.data() + d * patchLength, patchLength);
          out[d] = static_cast<float>(bias ? sum + bias->floats[d] : sum);
        }
      }
    }
  }
  return result;
}
