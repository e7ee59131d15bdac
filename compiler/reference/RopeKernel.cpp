//===- RopeKernel.cpp - Rotary position embedding -------------------------===//
//
// Hugging Face computes inv_freq, the angles and cos/sin in f32; the oracle
// computes all three in double and rounds only the rotated outputs, so it
// is the exact value that f32 implementations approximate (their error
// grows with the position, about position * 2^-24 radians).
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/OpKernels.h"
#include "compiler/reference/TensorLayout.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::ref;

/// Llama 3's frequency scaling of one inverse frequency (Hugging Face
/// `_compute_llama3_parameters`): long wavelengths are slowed down by
/// `factor`, short ones kept, and those in between blended.
static double llama3Scaled(double invFreq, double factor, double lowFreqFactor,
                           double highFreqFactor, double originalMax) {
  double wavelength = 2.0 * M_PI / invFreq;
  double lowFreqWavelength = originalMax / lowFreqFactor;
  double highFreqWavelength = originalMax / highFreqFactor;
  if (wavelength < highFreqWavelength) {
    return invFreq;
  }
  if (wavelength > lowFreqWavelength) {
    return invFreq / factor;
  }
  double smooth = (originalMax / wavelength - lowFreqFactor) /
                  (highFreqFactor - lowFreqFactor);
  return (1.0 - smooth) * invFreq / factor + smooth * invFreq;
}

/// The inverse frequencies `theta^(-2i / rotary)`, i < rotary / 2, with
/// Llama 3 scaling when the op asks for it.
static std::vector<double> inverseFrequencies(RopeOp op) {
  int64_t rotary = op.getRotaryDim();
  double theta = op.getTheta().convertToDouble();
  std::vector<double> invFreq(rotary / 2);
  for (int64_t i = 0; i < rotary / 2; ++i) {
    invFreq[i] = std::pow(theta, -2.0 * i / rotary);
    if (op.getLlama3Factor()) {
      invFreq[i] =
          llama3Scaled(invFreq[i], op.getLlama3Factor()->convertToDouble(),
                       op.getLlama3LowFreqFactor()->convertToDouble(),
                       op.getLlama3HighFreqFactor()->convertToDouble(),
                       static_cast<double>(*op.getLlama3OriginalMaxPosition()));
    }
  }
  return invFreq;
}

Tensor ref::runRope(RopeOp op, const Tensor &input, const Tensor *positions) {
  ArrayRef<int64_t> shape = input.shape;
  int64_t width = shape.back(), seq = shape[shape.size() - 2];
  int64_t batch = elementCount(shape.drop_back(2));
  int64_t headDim = op.getHeadDim(), rotary = op.getRotaryDim();
  int64_t half = rotary / 2;
  bool interleaved = op.getStyle() == RopeStyle::Interleaved;
  std::vector<double> invFreq = inverseFrequencies(op);

  Tensor result = input; // Channels past rotary_dim pass through.
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t s = 0; s < seq; ++s) {
      // Positions are [S] (shared by the batch) or [B, S]; the verifier
      // allows [B, S] only for rank-3 inputs, where b is the batch index.
      int64_t position = s;
      if (positions) {
        position = positions->shape.size() == 1 ? positions->ints[s]
                                                : positions->ints[b * seq + s];
      }
      int64_t row = (b * seq + s) * width;
      for (int64_t head = 0; head < width / headDim; ++head) {
        int64_t base = row + head * headDim;
        for (int64_t i = 0; i < half; ++i) {
          double angle = static_cast<double>(position) * invFreq[i];
          double cos = std::cos(angle), sin = std::sin(angle);
          // rotate_half pairs i with i + half; interleaved 2i with 2i + 1.
          int64_t first = base + (interleaved ? 2 * i : i);
          int64_t second = base + (interleaved ? 2 * i + 1 : i + half);
          double x1 = input.floats[first], x2 = input.floats[second];
          result.floats[first] = static_cast<float>(x1 * cos - x2 * sin);
          result.floats[second] = static_cast<float>(x2 * cos + x1 * sin);
        }
      }
    }
  }
  return result;
}
