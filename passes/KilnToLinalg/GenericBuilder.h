//===- GenericBuilder.h - Building linalg.generic ops for kiln ops -*- C++ -*-//
//
// The lowering of every kiln op builds linalg.generic ops through these
// helpers: one place that tags generics with the kiln op they came from
// (`kiln.op`, used to name dispatches and traces) and that spells the maps
// NumPy broadcasting needs.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_PASSES_KILNTOLINALG_GENERICBUILDER_H
#define KILN_PASSES_KILNTOLINALG_GENERICBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace kiln {

using BodyFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                              mlir::ValueRange)>;
/// A body with several results (one per output).
using MultiBodyFn = llvm::function_ref<llvm::SmallVector<mlir::Value>(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// Builds linalg.generic ops on behalf of one kiln op.
class GenericBuilder {
public:
  GenericBuilder(mlir::OpBuilder &b, mlir::Operation *origin)
      : b(b), loc(origin->getLoc()), origin(origin->getName().getStringRef()) {}

  mlir::OpBuilder &builder() { return b; }
  mlir::Location location() const { return loc; }
  mlir::MLIRContext *context() { return b.getContext(); }

  /// A generic with one output `init`; `body` gets the block arguments
  /// (inputs, then the output) and returns the value to yield.
  mlir::Value generic(mlir::ValueRange inputs,
                      llvm::ArrayRef<mlir::AffineMap> inputMaps,
                      mlir::Value init, mlir::AffineMap outputMap,
                      llvm::ArrayRef<mlir::utils::IteratorType> iterators,
                      BodyFn body);
  /// A generic with several outputs.
  llvm::SmallVector<mlir::Value>
  generic(mlir::ValueRange inputs, llvm::ArrayRef<mlir::AffineMap> inputMaps,
          mlir::ValueRange inits, llvm::ArrayRef<mlir::AffineMap> outputMaps,
          llvm::ArrayRef<mlir::utils::IteratorType> iterators,
          MultiBodyFn body);

  /// An elementwise generic over `shape` reading `inputs` with NumPy
  /// broadcasting.
  mlir::Value elementwise(mlir::ValueRange inputs,
                          llvm::ArrayRef<int64_t> shape, mlir::Type elementType,
                          BodyFn body);

  mlir::Value empty(llvm::ArrayRef<int64_t> shape, mlir::Type elementType);
  mlir::Value filled(llvm::ArrayRef<int64_t> shape, double value);
  mlir::Value f32(double value);
  mlir::Value index(int64_t value);

  /// Maps over `rank` loops.
  mlir::AffineMap identity(unsigned rank);
  mlir::AffineMap dims(unsigned rank, llvm::ArrayRef<unsigned> positions);
  /// The map reading a tensor of `operandShape` inside loops over
  /// `resultShape` with NumPy broadcasting.
  mlir::AffineMap broadcastMap(llvm::ArrayRef<int64_t> operandShape,
                               llvm::ArrayRef<int64_t> resultShape);
  static llvm::SmallVector<mlir::utils::IteratorType> parallel(unsigned rank);

  /// Marks the generic that defines `value` with its scalar steps per
  /// element (`kiln.element_cost`), which size its workgroups
  /// (kiln-cpu-select-workgroup-tiles). Counted in double and capped: k n
  /// overflows int64 for rows of 2^32.
  static void setElementCost(mlir::Value value, double steps);

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
  llvm::StringRef origin;
};

} // namespace kiln

#endif // KILN_PASSES_KILNTOLINALG_GENERICBUILDER_H
