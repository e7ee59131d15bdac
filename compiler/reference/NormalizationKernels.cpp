//===- NormalizationKernels.cpp - Softmax, LayerNorm and RMSNorm ----------===//
//
// Statistics (maxima, sums, means, variances) are formed in double; each
// output element is rounded to f32 once. Softmax's `accumulate_f32` only
// matters for element types below f32, so the reference ignores it.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/OpKernels.h"
#include "compiler/reference/TensorLayout.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::ref;

Tensor ref::runSoftmax(const Tensor &input, int64_t axis) {
  // View the input as [outer, length, inner] with `axis` in the middle.
  ArrayRef<int64_t> shape = input.shape;
  int64_t outer = elementCount(shape.take_front(axis));
  int64_t length = shape[axis];
  int64_t inner = elementCount(shape.drop_front(axis + 1));
  Tensor result = Tensor::zerosF32(input.shape);
  std::vector<double> exps(length);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t j) { return (o * length + j) * inner + i; };
      double max = -INFINITY;
      for (int64_t j = 0; j < length; ++j) {
        max = std::max(max, static_cast<double>(input.floats[at(j)]));
      }
      double sum = 0.0;
      for (int64_t j = 0; j < length; ++j) {
        exps[j] = std::exp(input.floats[at(j)] - max);
        sum += exps[j];
      }
      for (int64_t j = 0; j < length; ++j) {
        result.floats[at(j)] = static_cast<float>(exps[j] / sum);
      }
    }
  }
  return result;
}

Tensor ref::runLayerNorm(const Tensor &input, const Tensor *scale,
                         const Tensor *bias, double epsilon) {
  int64_t dim = input.shape.back();
  int64_t rows = elementCount(ArrayRef<int64_t>(input.shape).drop_back());
  Tensor result = Tensor::zerosF32(input.shape);
  for (int64_t r = 0; r < rows; ++r) {
    const float *x = input.floats.data() + r * dim;
    double mean = 0.0;
    for (int64_t i = 0; i < dim; ++i) {
      mean += x[i];
    }
    mean /= dim;
    double variance = 0.0; // Biased, as torch.nn.LayerNorm.
    for (int64_t i = 0; i < dim; ++i) {
      variance += (x[i] - mean) * (x[i] - mean);
    }
    variance /= dim;
    double inverse = 1.0 / std::sqrt(variance + epsilon);
    for (int64_t i = 0; i < dim; ++i) {
      double y = (x[i] - mean) * inverse;
      if (scale) {
        y *= scale->floats[i];
      }
      if (bias) {
        y += bias->floats[i];
      }
      result.floats[r * dim + i] = static_cast<float>(y);
    }
  }
  return result;
}

Tensor ref::runRmsNorm(const Tensor &input, const Tensor *scale,
                       double epsilon) {
  int64_t dim = input.shape.back();
  int64_t rows = elementCount(ArrayRef<int64_t>(input.shape).drop_back());
  Tensor result = Tensor::zerosF32(input.shape);
  for (int64_t r = 0; r < rows; ++r) {
    const float *x = input.floats.data() + r * dim;
    double meanSquare = dot(x, x, dim) / dim;
    double inverse = 1.0 / std::sqrt(meanSquare + epsilon);
    for (int64_t i = 0; i < dim; ++i) {
      double y = x[i] * inverse;
      if (scale) {
        y *= scale->floats[i];
      }
      result.floats[r * dim + i] = static_cast<float>(y);
    }
  }
  return result;
}
