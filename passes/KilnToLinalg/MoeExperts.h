//===- MoeExperts.h - Routed experts over their own tokens only -*- C++ -*-===//
//
// The expert half of kiln.moe's lowering: given the routing (the weight and
// the expert of each of a token's k slots), every expert runs its SwiGLU
// MLP over the tokens routed to it and nothing else, and the results come
// back to their tokens with a weighted sum. See MoeExperts.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_KILNTOLINALG_MOEEXPERTS_H
#define KILN_PASSES_KILNTOLINALG_MOEEXPERTS_H

#include "passes/KilnToLinalg/GenericBuilder.h"

namespace kiln {

/// `x` [T, D] tokens; `weights` [T, k] f32 and `indices` [T, k] i64 the
/// routing; `experts` gate, up and down weights of each expert ([F, D],
/// [F, D], [D, F]); `shared` [T, D] the shared experts' sum, or null.
/// Returns y [T, D]: shared + sum over slots j of weights[t, j] *
/// expert_{indices[t, j]}(x[t]). When the experts' outputs together would
/// take more than `outputBudget` bytes (0: no limit), the sum is taken in
/// groups of experts, each group's as it finishes.
mlir::Value lowerRoutedExperts(GenericBuilder &g, mlir::Value x,
                               mlir::Value weights, mlir::Value indices,
                               mlir::ValueRange experts, mlir::Value shared,
                               int64_t outputBudget);

} // namespace kiln

#endif // KILN_PASSES_KILNTOLINALG_MOEEXPERTS_H
