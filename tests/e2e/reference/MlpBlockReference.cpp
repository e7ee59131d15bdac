//===- MlpBlockReference.cpp - Naive transformer MLP block ----------------===//

#include "tests/e2e/reference/MlpBlockReference.h"

#include <cmath>

namespace kiln::test {

/// y[r, o] = sum_i x[r, i] * w[o, i] + b[o]
static std::vector<double> linear(const std::vector<double> &x, int64_t rows,
                                  int64_t in, const std::vector<float> &w,
                                  const std::vector<float> &b, int64_t out) {
  std::vector<double> y(rows * out);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < out; ++o) {
      double sum = b[o];
      for (int64_t i = 0; i < in; ++i) {
        sum += x[r * in + i] * static_cast<double>(w[o * in + i]);
      }
      y[r * out + o] = sum;
    }
  }
  return y;
}

std::vector<double> runMlpBlockReference(const MlpBlockWeights &weights,
                                         const std::vector<float> &input,
                                         int64_t rows) {
  int64_t width = weights.width, hidden = weights.hidden;
  std::vector<double> x(input.begin(), input.end());
  std::vector<double> h =
      linear(x, rows, width, weights.fc1Weight, weights.fc1Bias, hidden);
  for (double &v : h) {
    v = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  }
  std::vector<double> o =
      linear(h, rows, hidden, weights.fc2Weight, weights.fc2Bias, width);
  std::vector<double> y(rows * width);
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t c = 0; c < width; ++c) {
      mean += x[r * width + c] + o[r * width + c];
    }
    mean /= width;
    for (int64_t c = 0; c < width; ++c) {
      double d = x[r * width + c] + o[r * width + c] - mean;
      var += d * d;
    }
    var /= width;
    double rstd = 1.0 / std::sqrt(var + weights.epsilon);
    for (int64_t c = 0; c < width; ++c) {
      double centred = x[r * width + c] + o[r * width + c] - mean;
      y[r * width + c] =
          centred * rstd * weights.normScale[c] + weights.normBias[c];
    }
  }
  return y;
}

} // namespace kiln::test
