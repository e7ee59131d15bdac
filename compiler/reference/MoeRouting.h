//===- MoeRouting.h - Which experts each token of a moe op uses -*- C++ -*-===//

#ifndef KILN_COMPILER_REFERENCE_MOEROUTING_H
#define KILN_COMPILER_REFERENCE_MOEROUTING_H

#include "compiler/reference/ReferenceInterpreter.h"
#include "dialects/Kiln/IR/KilnOps.h"

#include <vector>

namespace kiln::ref {

/// The routing decision of a moe op for all tokens, in double.
struct MoeRouting {
  int64_t tokens = 0, experts = 0, topK = 0;
  /// `[T, k]`: the experts each token selected, best first.
  std::vector<int64_t> selected;
  /// `[T, k]`: their mixing weights, normalised and scaled as the op says.
  std::vector<double> weights;
  /// `[T, E]`: the op's scoring (softmax or sigmoid) of all router logits,
  /// without selection bias (DeepSeek's sequence loss averages these).
  std::vector<double> scores;
  /// `[T, E]`: the softmax of all router logits (Hugging Face's switch
  /// loss averages these whatever the scoring).
  std::vector<double> probabilities;
};

/// Routes every token of `input` ([.., D]) with `router` ([E, D]) and the
/// optional `selectionBias` ([E]) as `op` specifies.
MoeRouting routeTokens(MoeOp op, const Tensor &input, const Tensor &router,
                       const Tensor *selectionBias);

} // namespace kiln::ref

#endif // KILN_COMPILER_REFERENCE_MOEROUTING_H
