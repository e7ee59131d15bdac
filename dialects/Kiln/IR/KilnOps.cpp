//===- KilnOps.cpp - Verifiers and shape inference of kiln ops ------------===//
//
// Result types are inferred from operand types; every shape error is
// reported at the op's location with the shapes involved.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace kiln;

/// Prints a shape as `[2, 32, 768]` for diagnostics.
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(shape, os);
  os << "]";
  return text;
}

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  if (getName().empty()) {
    return emitOpError("expects a non-empty parameter name");
  }
  if (std::optional<ArrayRef<int64_t>> permutation = getPermutation()) {
    int64_t rank = getType().getRank();
    SmallVector<bool> seen(rank, false);
    bool valid = static_cast<int64_t>(permutation->size()) == rank;
    for (int64_t dim : *permutation) {
      valid = valid && dim >= 0 && dim < rank && !seen[dim];
      if (valid) {
        seen[dim] = true;
      }
    }
    if (!valid) {
      return emitOpError("expects a permutation of [0, ")
             << rank << "), got " << formatShape(*permutation);
    }
  }
  return success();
}

SmallVector<int64_t> ParamOp::getDeclaredShape() {
  ArrayRef<int64_t> shape = getType().getShape();
  SmallVector<int64_t> declared(shape);
  if (std::optional<ArrayRef<int64_t>> permutation = getPermutation()) {
    for (auto [i, dim] : llvm::enumerate(*permutation)) {
      declared[dim] = shape[i];
    }
  }
  return declared;
}

/// Checks that `declared` is `inferred`, the shared tail of every verifier.
static LogicalResult checkResultType(Operation *op,
                                     FailureOr<RankedTensorType> inferred) {
  if (failed(inferred)) {
    return failure();
  }
  Type declared = op->getResult(0).getType();
  if (declared != *inferred) {
    return op->emitOpError("expects result type ")
           << *inferred << ", got " << declared;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

FailureOr<RankedTensorType>
LinearOp::inferResultType(Type inputType, Type weightType, Type biasType,
                          function_ref<InFlightDiagnostic()> emitError) {
  auto input = cast<RankedTensorType>(inputType);
  auto weight = cast<RankedTensorType>(weightType);
  if (input.getRank() < 1) {
    return emitError() << "expects an input of rank >= 1, got rank 0";
  }
  if (weight.getRank() != 2) {
    return emitError() << "expects a weight of rank 2 [out, in], got "
                       << formatShape(weight.getShape());
  }
  int64_t in = input.getShape().back();
  int64_t out = weight.getDimSize(0);
  if (weight.getDimSize(1) != in) {
    return emitError() << "expects weight [out, in] with in = " << in
                       << " (the input's last dimension), got "
                       << formatShape(weight.getShape());
  }
  if (biasType) {
    auto bias = cast<RankedTensorType>(biasType);
    if (bias.getDimSize(0) != out) {
      return emitError() << "expects a bias of shape [" << out << "], got "
                         << formatShape(bias.getShape());
    }
  }
  SmallVector<int64_t> shape(input.getShape());
  shape.back() = out;
  return RankedTensorType::get(shape, input.getElementType());
}

LogicalResult LinearOp::verify() {
  Value bias = getBias();
  return checkResultType(*this, inferResultType(getInput().getType(),
                                                getWeight().getType(),
                                                bias ? bias.getType() : Type(),
                                                [&] { return emitOpError(); }));
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops
//===----------------------------------------------------------------------===//

/// The NumPy broadcast of two operand types.
static FailureOr<RankedTensorType>
inferBroadcast(Type lhs, Type rhs,
               function_ref<InFlightDiagnostic()> emitError) {
  auto lhsType = cast<RankedTensorType>(lhs);
  auto rhsType = cast<RankedTensorType>(rhs);
  SmallVector<int64_t> shape;
  if (!OpTrait::util::getBroadcastedShape(lhsType.getShape(),
                                          rhsType.getShape(), shape)) {
    return emitError() << "expects broadcast-compatible shapes, got "
                       << formatShape(lhsType.getShape()) << " and "
                       << formatShape(rhsType.getShape());
  }
  return RankedTensorType::get(shape, lhsType.getElementType());
}

#define KILN_BINARY_OP(OpTy)                                                   \
  FailureOr<RankedTensorType> OpTy::inferResultType(                           \
      Type lhs, Type rhs, function_ref<InFlightDiagnostic()> emitError) {      \
    return inferBroadcast(lhs, rhs, emitError);                                \
  }                                                                            \
  LogicalResult OpTy::verify() {                                               \
    return checkResultType(                                                    \
        *this, inferBroadcast(getLhs().getType(), getRhs().getType(),          \
                              [&] { return emitOpError(); }));                 \
  }
KILN_BINARY_OP(AddOp)
KILN_BINARY_OP(SubOp)
KILN_BINARY_OP(MulOp)
KILN_BINARY_OP(DivOp)
#undef KILN_BINARY_OP

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

FailureOr<RankedTensorType>
LayerNormOp::inferResultType(Type inputType, Type scaleType, Type biasType,
                             function_ref<InFlightDiagnostic()> emitError) {
  auto input = cast<RankedTensorType>(inputType);
  if (input.getRank() < 1) {
    return emitError() << "expects an input of rank >= 1, got rank 0";
  }
  int64_t dim = input.getShape().back();
  for (auto [what, type] :
       {std::pair<StringRef, Type>{"scale", scaleType}, {"bias", biasType}}) {
    if (!type) {
      continue;
    }
    auto shape = cast<RankedTensorType>(type).getShape();
    if (shape[0] != dim) {
      return emitError() << "expects a " << what << " of shape [" << dim
                         << "] (the normalised dimension), got "
                         << formatShape(shape);
    }
  }
  return input;
}

LogicalResult LayerNormOp::verify() {
  if (!(getEpsilon().convertToDouble() > 0.0)) {
    return emitOpError("expects a positive epsilon, got ")
           << getEpsilon().convertToDouble();
  }
  Value scale = getScale(), bias = getBias();
  return checkResultType(*this,
                         inferResultType(getInput().getType(),
                                         scale ? scale.getType() : Type(),
                                         bias ? bias.getType() : Type(),
                                         [&] { return emitOpError(); }));
}

#define GET_OP_CLASSES
#include "dialects/Kiln/IR/KilnOps.cpp.inc"
