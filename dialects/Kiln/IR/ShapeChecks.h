//===- ShapeChecks.h - Shared pieces of the kiln verifiers ------*- C++ -*-===//

#ifndef KILN_DIALECTS_KILN_IR_SHAPECHECKS_H
#define KILN_DIALECTS_KILN_IR_SHAPECHECKS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"

#include <optional>
#include <string>

namespace kiln {

/// Prints a shape as `[2, 32, 768]` for diagnostics.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// Checks that `op`'s only result has the `inferred` type; the shared tail
/// of every verifier that infers its result.
mlir::LogicalResult
checkResultType(mlir::Operation *op,
                mlir::FailureOr<mlir::RankedTensorType> inferred);

/// `axis` counted from the end when negative, or nullopt when it is not in
/// [-rank, rank).
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// The shape of a ranked tensor type.
inline llvm::ArrayRef<int64_t> shapeOf(mlir::Type type) {
  return llvm::cast<mlir::RankedTensorType>(type).getShape();
}

} // namespace kiln

#endif // KILN_DIALECTS_KILN_IR_SHAPECHECKS_H
