//===- KilnToLinalgPatterns.h - Lowering kiln ops to linalg -----*- C++ -*-===//
//
// Conversion patterns from kiln ops to linalg.generic on tensors, grouped by
// kind; kiln-lower-to-linalg applies them all. `kiln.param` and
// `kiln.reshape` stay: parameters become artifact constants and reshapes are
// views (the buffer of a reshape is the buffer of its input).
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_KILNTOLINALG_KILNTOLINALGPATTERNS_H
#define KILN_PASSES_KILNTOLINALG_KILNTOLINALGPATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace kiln {

/// Elementwise arithmetic and activations, constants, broadcast, transpose,
/// slice, concat, gather.
void populateElementwiseLoweringPatterns(mlir::RewritePatternSet &patterns);
/// linear, matmul, patch_embed.
void populateContractionLoweringPatterns(mlir::RewritePatternSet &patterns);
/// layer_norm, rms_norm, softmax, reduce.
void populateReductionLoweringPatterns(mlir::RewritePatternSet &patterns);
/// top_k.
void populateTopKLoweringPatterns(mlir::RewritePatternSet &patterns);
/// rope.
void populateRopeLoweringPatterns(mlir::RewritePatternSet &patterns);
/// attention.
/// Heads with fewer than `keysInPlaceRows` query rows read their keys and
/// values in place (LowerToLinalgPass's `keys-in-place-rows`).
void populateAttentionLoweringPatterns(mlir::RewritePatternSet &patterns,
                                       int64_t keysInPlaceRows);
/// moe. The routed experts' outputs take at most half of
/// `memoryBudgetKib` at once (LowerToLinalgPass's `memory-budget-kib`; 0: no
/// limit).
void populateMoeLoweringPatterns(mlir::RewritePatternSet &patterns,
                                 int64_t memoryBudgetKib);

} // namespace kiln

#endif // KILN_PASSES_KILNTOLINALG_KILNTOLINALGPATTERNS_H
