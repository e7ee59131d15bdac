//===- MlpBlockReference.h - Naive transformer MLP block --------*- C++ -*-===//
//
// The obviously-correct reference of models/mlp_block.mlir, in double
// precision: y = layer_norm(x + fc2(gelu(fc1(x)))) with exact GELU.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TESTS_E2E_REFERENCE_MLPBLOCKREFERENCE_H
#define KILN_TESTS_E2E_REFERENCE_MLPBLOCKREFERENCE_H

#include <cstdint>
#include <vector>

namespace kiln::test {

/// Weights in the checkpoint layout: Linear weights are [out, in].
struct MlpBlockWeights {
  int64_t width = 0, hidden = 0;
  std::vector<float> fc1Weight, fc1Bias, fc2Weight, fc2Bias, normScale,
      normBias;
  double epsilon = 1e-12;
};

/// Runs the block on `rows` x `width` inputs, row-major.
std::vector<double> runMlpBlockReference(const MlpBlockWeights &weights,
                                         const std::vector<float> &x,
                                         int64_t rows);

} // namespace kiln::test

#endif // KILN_TESTS_E2E_REFERENCE_MLPBLOCKREFERENCE_H
