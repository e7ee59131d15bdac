//===- VectorEmission.cpp - Shared by the vector-emitting passes ----------===//
//
// The out-of-line part of VectorEmission.h: the lowering of transposes,
// whose pattern headers the header's other users do not need.
//
//===----------------------------------------------------------------------===//

#include "passes/VectorEmission.h"

#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

void kiln::lowerTransposesToShuffles(mlir::Operation *root) {
  mlir::RewritePatternSet patterns(root->getContext());
  mlir::vector::populateVectorTransposeLoweringPatterns(
      patterns, mlir::vector::VectorTransposeLowering::Shuffle16x16);
  mlir::walkAndApplyPatterns(root, std::move(patterns));
}
