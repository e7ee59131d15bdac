//===- KilnOps.cpp - Verifiers and shape inference of kiln ops ------------===//
//
// Parameters, constants, contractions, elementwise ops and norms. Each op
// with a non-trivial result type has an `inferResultType` that frontends use
// to build it and that its verifier uses to check it, so that both report
// the same message. Shape ops are in KilnShapeOps.cpp, attention, MoE, RoPE
// and patch embedding in KilnCompositeOps.cpp, folds in KilnFolds.cpp.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "dialects/Kiln/IR/ShapeChecks.h"
#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <limits>

using namespace mlir;
using namespace kiln;

std::string kiln::formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  llvm::raw_string_ostream os(text);
  llvm::interleaveComma(shape, os);
  os << "]";
  return text;
}

LogicalResult kiln::checkResultType(Operation *op,
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

std::optional<int64_t> kiln::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return std::nullopt;
  }
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  if (getName().empty()) {
    return emitOpError("expects a non-empty parameter name");
  }
  if (std::optional<ArrayRef<int64_t>> permutation = getPermutation()) {
    // The permutation applies to the declared parameter, before any panels.
    int64_t rank = getType().getRank() - (getPanel() ? 1 : 0);
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
  if (std::optional<int64_t> panel = getPanel()) {
    ArrayRef<int64_t> shape = getType().getShape();
    if (*panel < 1 || shape.size() < 3 || shape.back() != *panel) {
      return emitOpError("expects a panel layout [G.., N/p, K, p] with p = ")
             << *panel << ", got " << formatShape(shape);
    }
    if (std::optional<int64_t> columns = getPanelColumns()) {
      int64_t panels = shape[shape.size() - 3];
      if (*columns < 1 || *columns % *panel == 0 ||
          llvm::divideCeilSigned(*columns, *panel) != panels) {
        return emitOpError("expects panel_columns N with ceil(N / ")
               << *panel << ") = " << panels << " panels and " << *panel
               << " not dividing N, got " << *columns;
      }
    }
  } else if (getPanelColumns()) {
    return emitOpError("expects panel_columns only with panel");
  }
  if (std::optional<ArrayRef<int64_t>> dims = getCheckpointShape()) {
    int64_t count = 1;
    for (int64_t dim : *dims) {
      if (dim < 0) {
        return emitOpError("expects a checkpoint shape of sizes >= 0, got ")
               << formatShape(*dims);
      }
      count *= dim;
    }
    SmallVector<int64_t> source = getLayoutSourceShape();
    if (count != ShapedType::getNumElements(source)) {
      return emitOpError("expects a checkpoint shape with as many elements "
                         "as ")
             << formatShape(source) << ", got " << formatShape(*dims);
    }
  }
  return success();
}

SmallVector<int64_t> ParamOp::getDeclaredShape() {
  if (std::optional<ArrayRef<int64_t>> checkpoint = getCheckpointShape()) {
    return SmallVector<int64_t>(*checkpoint);
  }
  return getLayoutSourceShape();
}

LogicalResult kiln::checkParameterDeclarations(Operation *scope) {
  llvm::StringMap<ParamOp> first;
  WalkResult walk = scope->walk([&](ParamOp param) {
    auto [it, inserted] = first.try_emplace(param.getName(), param);
    ParamOp earlier = it->second;
    if (inserted || (earlier.getDeclaredShape() == param.getDeclaredShape() &&
                     earlier.getType().getElementType() ==
                         param.getType().getElementType())) {
      return WalkResult::advance();
    }
    InFlightDiagnostic error = emitError(param.getLoc(), "parameter '")
                               << param.getName() << "' is declared as "
                               << param.getType()
                               << " here and differently before";
    error.attachNote(earlier.getLoc())
        << "declared as " << earlier.getType() << " here";
    return WalkResult::interrupt();
  });
  return failure(walk.wasInterrupted());
}

LogicalResult ConstantOp::verify() {
  // The reference interpreter cannot read a resource blob's elements and
  // folds (a reshape of the constant) do not see them: a compile failed
  // with "'arith.constant' is not lowered to a dispatch".
  if (isa<DenseResourceElementsAttr>(getValue())) {
    return emitOpError("expects its values written in the model "
                       "(dense<...>), not a dense_resource blob");
  }
  return success();
}

SmallVector<int64_t> ParamOp::getPanelSourceShape() {
  ArrayRef<int64_t> shape = getType().getShape();
  std::optional<int64_t> panel = getPanel();
  if (!panel) {
    return SmallVector<int64_t>(shape);
  }
  // [G.., ceil(N/p), K, p] -> [G.., N, K].
  SmallVector<int64_t> source(shape.drop_back(3));
  int64_t rank = shape.size();
  source.push_back(getPanelColumns().value_or(shape[rank - 3] * *panel));
  source.push_back(shape[rank - 2]);
  return source;
}

SmallVector<int64_t> ParamOp::getLayoutSourceShape() {
  SmallVector<int64_t> permuted = getPanelSourceShape();
  SmallVector<int64_t> declared(permuted);
  if (std::optional<ArrayRef<int64_t>> permutation = getPermutation()) {
    for (auto [i, dim] : llvm::enumerate(*permutation)) {
      declared[dim] = permuted[i];
    }
  }
  return declared;
}

//===----------------------------------------------------------------------===//
// LinearOp, MatmulOp
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
  if (biasType && shapeOf(biasType)[0] != out) {
    return emitError() << "expects a bias of shape [" << out << "], got "
                       << formatShape(shapeOf(biasType));
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

FailureOr<RankedTensorType>
MatmulOp::inferResultType(Type lhsType, Type rhsType, bool transposeLhs,
                          bool transposeRhs,
                          function_ref<InFlightDiagnostic()> emitError) {
  ArrayRef<int64_t> lhs = shapeOf(lhsType), rhs = shapeOf(rhsType);
  if (lhs.size() < 2 || rhs.size() < 2) {
    return emitError() << "expects operands of rank >= 2, got "
                       << formatShape(lhs) << " and " << formatShape(rhs);
  }
  int64_t m = lhs[lhs.size() - (transposeLhs ? 1 : 2)];
  int64_t k = lhs[lhs.size() - (transposeLhs ? 2 : 1)];
  int64_t rk = rhs[rhs.size() - (transposeRhs ? 1 : 2)];
  int64_t n = rhs[rhs.size() - (transposeRhs ? 2 : 1)];
  if (k != rk) {
    return emitError() << "expects the contracted sizes to match, got " << k
                       << " and " << rk << " (shapes " << formatShape(lhs)
                       << " and " << formatShape(rhs) << ")";
  }
  SmallVector<int64_t> batch;
  if (!OpTrait::util::getBroadcastedShape(lhs.drop_back(2), rhs.drop_back(2),
                                          batch)) {
    return emitError() << "expects broadcast-compatible batch dimensions, got "
                       << formatShape(lhs.drop_back(2)) << " and "
                       << formatShape(rhs.drop_back(2));
  }
  batch.append({m, n});
  return RankedTensorType::get(batch,
                               cast<ShapedType>(lhsType).getElementType());
}

LogicalResult MatmulOp::verify() {
  return checkResultType(*this,
                         inferResultType(getLhs().getType(), getRhs().getType(),
                                         getTransposeLhs(), getTransposeRhs(),
                                         [&] { return emitOpError(); }));
}

//===----------------------------------------------------------------------===//
// Elementwise binary ops
//===----------------------------------------------------------------------===//

/// The NumPy broadcast of two operand types.
static FailureOr<RankedTensorType>
inferBroadcast(Type lhs, Type rhs,
               function_ref<InFlightDiagnostic()> emitError) {
  SmallVector<int64_t> shape;
  if (!OpTrait::util::getBroadcastedShape(shapeOf(lhs), shapeOf(rhs), shape)) {
    return emitError() << "expects broadcast-compatible shapes, got "
                       << formatShape(shapeOf(lhs)) << " and "
                       << formatShape(shapeOf(rhs));
  }
  return RankedTensorType::get(shape, cast<ShapedType>(lhs).getElementType());
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
KILN_BINARY_OP(MaximumOp)
#undef KILN_BINARY_OP

//===----------------------------------------------------------------------===//
// Softmax and norms
//===----------------------------------------------------------------------===//

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getType().getRank();
  if (!normalizeAxis(getAxis(), rank)) {
    return emitOpError("expects an axis in [")
           << -rank << ", " << rank << "), got "
           << static_cast<int64_t>(getAxis());
  }
  return success();
}

/// Checks a norm's epsilon and its affine operands against dimension `dim`.
static LogicalResult checkNorm(Operation *op, double epsilon, int64_t dim,
                               ArrayRef<std::pair<StringRef, Value>> affine) {
  // The kernels add it in f32: below f32's smallest normal number it was 0
  // there (a constant row then gave NaN, against the reference's 0).
  if (!(epsilon >= std::numeric_limits<float>::min() &&
        epsilon <= std::numeric_limits<float>::max())) {
    return op->emitOpError("expects a positive epsilon that f32 holds as a "
                           "normal number (at least 1.17549435e-38), got ")
           << epsilon;
  }
  for (auto [what, value] : affine) {
    if (value && shapeOf(value.getType())[0] != dim) {
      return op->emitOpError("expects a ")
             << what << " of shape [" << dim
             << "] (the normalised dimension), got "
             << formatShape(shapeOf(value.getType()));
    }
  }
  return success();
}

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
    if (type && shapeOf(type)[0] != dim) {
      return emitError() << "expects a " << what << " of shape [" << dim
                         << "] (the normalised dimension), got "
                         << formatShape(shapeOf(type));
    }
  }
  return input;
}

LogicalResult LayerNormOp::verify() {
  if (getType().getRank() < 1) {
    return emitOpError("expects an input of rank >= 1, got rank 0");
  }
  if (failed(checkNorm(*this, getEpsilon().convertToDouble(),
                       getType().getShape().back(),
                       {{"scale", getScale()}, {"bias", getBias()}}))) {
    return failure();
  }
  return checkResultType(*this, cast<RankedTensorType>(getInput().getType()));
}

LogicalResult RmsNormOp::verify() {
  if (getType().getRank() < 1) {
    return emitOpError("expects an input of rank >= 1, got rank 0");
  }
  if (failed(checkNorm(*this, getEpsilon().convertToDouble(),
                       getType().getShape().back(), {{"scale", getScale()}}))) {
    return failure();
  }
  return checkResultType(*this, cast<RankedTensorType>(getInput().getType()));
}

#define GET_OP_CLASSES
#include "dialects/Kiln/IR/KilnOps.cpp.inc"
