//===- ReferenceInterpreter.h - The kiln dialect, op by op ------*- C++ -*-===//
//
// The oracle for every compiled result (DESIGN.md decision 9): executes a
// model function in the kiln dialect one op at a time with naive,
// obviously-correct C++ in f32, accumulating in f64 where that is cheap.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_REFERENCE_REFERENCEINTERPRETER_H
#define KILN_COMPILER_REFERENCE_REFERENCEINTERPRETER_H

#include "compiler/weights/WeightSource.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>
#include <vector>

namespace kiln::ref {

/// A host tensor of f32 or integer elements (integers held as int64).
struct Tensor {
  std::vector<int64_t> shape;
  bool isFloat = true;
  std::vector<float> floats;
  std::vector<int64_t> ints;

  int64_t numElements() const;
  static Tensor zerosF32(std::vector<int64_t> shape);
  static Tensor zerosInt(std::vector<int64_t> shape);
};

/// Runs `model` (a func.func of kiln ops) on `inputs`, in argument order,
/// with parameters from `weights`. Returns the results in order. Errors (a
/// function that breaks the model rules of `kiln::checkModelFunction`, a
/// wrong input count or shape, a missing weight) are emitted as
/// diagnostics at the offending op or argument.
mlir::FailureOr<std::vector<Tensor>>
interpret(mlir::func::FuncOp model, const std::vector<Tensor> &inputs,
          WeightSource &weights);

} // namespace kiln::ref

#endif // KILN_COMPILER_REFERENCE_REFERENCEINTERPRETER_H
