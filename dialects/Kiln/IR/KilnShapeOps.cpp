//===- KilnShapeOps.cpp - Verifiers of the kiln shape ops -----------------===//
//
// Reshape, broadcast, transpose, concat, slice, gather, reductions, top-k.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "dialects/Kiln/IR/ShapeChecks.h"

#include "mlir/Dialect/Traits.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace kiln;

static Type elementTypeOf(Type type) {
  return cast<ShapedType>(type).getElementType();
}

//===----------------------------------------------------------------------===//
// ReshapeOp, BroadcastOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getType());
  if (input.getElementType() != result.getElementType()) {
    return emitOpError("expects the element type to stay ")
           << input.getElementType() << ", got " << result.getElementType();
  }
  // Counted without wrapping: 2^62 + 1 rows of 4 made 2^64 + 4 elements,
  // which getNumElements gives as 4.
  auto count = [](RankedTensorType type) -> std::optional<int64_t> {
    int64_t elements = 1;
    for (int64_t dim : type.getShape()) {
      std::optional<int64_t> next = llvm::checkedMul(elements, dim);
      if (!next) {
        return std::nullopt;
      }
      elements = *next;
    }
    return elements;
  };
  if (!count(input) || !count(result)) {
    return emitOpError("expects element counts below 2^63, got ")
           << formatShape(input.getShape()) << " to "
           << formatShape(result.getShape());
  }
  if (input.getNumElements() != result.getNumElements()) {
    return emitOpError("expects the element count to stay ")
           << input.getNumElements() << ", got " << result.getNumElements()
           << " (" << formatShape(input.getShape()) << " to "
           << formatShape(result.getShape()) << ")";
  }
  return success();
}

LogicalResult BroadcastOp::verify() {
  ArrayRef<int64_t> input = shapeOf(getInput().getType());
  ArrayRef<int64_t> result = shapeOf(getType());
  SmallVector<int64_t> broadcast;
  if (elementTypeOf(getInput().getType()) != elementTypeOf(getType())) {
    return emitOpError("expects the element type to stay ")
           << elementTypeOf(getInput().getType());
  }
  if (input.size() > result.size() ||
      !OpTrait::util::getBroadcastedShape(input, result, broadcast) ||
      ArrayRef<int64_t>(broadcast) != result) {
    return emitOpError("expects a shape that broadcasts to ")
           << formatShape(result) << ", got " << formatShape(input);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

FailureOr<RankedTensorType>
TransposeOp::inferResultType(Type inputType, ArrayRef<int64_t> permutation,
                             function_ref<InFlightDiagnostic()> emitError) {
  ArrayRef<int64_t> shape = shapeOf(inputType);
  int64_t rank = shape.size();
  SmallVector<bool> seen(rank, false);
  bool valid = static_cast<int64_t>(permutation.size()) == rank;
  for (int64_t d : permutation) {
    valid = valid && d >= 0 && d < rank && !seen[d];
    if (valid) {
      seen[d] = true;
    }
  }
  if (!valid) {
    return emitError() << "expects a permutation of [0, " << rank << "), got "
                       << formatShape(permutation);
  }
  SmallVector<int64_t> result;
  for (int64_t d : permutation) {
    result.push_back(shape[d]);
  }
  return RankedTensorType::get(result, elementTypeOf(inputType));
}

LogicalResult TransposeOp::verify() {
  return checkResultType(*this,
                         inferResultType(getInput().getType(), getPermutation(),
                                         [&] { return emitOpError(); }));
}

//===----------------------------------------------------------------------===//
// ConcatOp
//===----------------------------------------------------------------------===//

FailureOr<RankedTensorType>
ConcatOp::inferResultType(TypeRange inputs, int64_t axis,
                          function_ref<InFlightDiagnostic()> emitError) {
  if (inputs.empty()) {
    return emitError() << "expects at least one input";
  }
  // Each input is one branch of the lowered op's body, and bufferization
  // grows with the square of the branches reading one tensor: 1024 inputs
  // compile in about 2 s, 3000 took 17 s.
  constexpr size_t kMaxInputs = 1024;
  if (inputs.size() > kMaxInputs) {
    return emitError() << "expects at most " << kMaxInputs << " inputs, got "
                       << inputs.size() << " (concatenate in stages)";
  }
  ArrayRef<int64_t> first = shapeOf(inputs[0]);
  std::optional<int64_t> dim = normalizeAxis(axis, first.size());
  if (!dim) {
    return emitError() << "expects an axis in [" << -int64_t(first.size())
                       << ", " << first.size() << "), got " << axis;
  }
  SmallVector<int64_t> shape(first);
  shape[*dim] = 0;
  for (auto [i, type] : llvm::enumerate(inputs)) {
    if (elementTypeOf(type) != elementTypeOf(inputs[0])) {
      return emitError() << "expects input " << i << " to have input 0's "
                         << "element type " << elementTypeOf(inputs[0])
                         << ", got " << elementTypeOf(type);
    }
    ArrayRef<int64_t> other = shapeOf(type);
    bool compatible = other.size() == first.size();
    for (size_t d = 0; compatible && d < other.size(); ++d) {
      compatible = d == static_cast<size_t>(*dim) || other[d] == first[d];
    }
    if (!compatible) {
      return emitError() << "expects input " << i << " to match input 0 "
                         << "except along axis " << *dim << ", got "
                         << formatShape(other) << " and " << formatShape(first);
    }
    if (llvm::AddOverflow(shape[*dim], other[*dim], shape[*dim])) {
      return emitError() << "expects the inputs' sizes along axis " << *dim
                         << " to add up to less than 2^63";
    }
  }
  return RankedTensorType::get(shape, elementTypeOf(inputs[0]));
}

LogicalResult ConcatOp::verify() {
  return checkResultType(*this,
                         inferResultType(getInputs().getTypes(), getAxis(),
                                         [&] { return emitOpError(); }));
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::verify() {
  ArrayRef<int64_t> shape = shapeOf(getInput().getType());
  ArrayRef<int64_t> offsets = getOffsets(), sizes = getSizes(),
                    strides = getStrides();
  if (offsets.size() != shape.size() || sizes.size() != shape.size() ||
      strides.size() != shape.size()) {
    return emitOpError("expects ")
           << shape.size() << " offsets, sizes and strides, got "
           << offsets.size() << ", " << sizes.size() << " and "
           << strides.size();
  }
  for (size_t d = 0; d < shape.size(); ++d) {
    // The last index taken, offset + (size - 1) * stride, compared without
    // computing it: a stride of 2^62 made it wrap negative and pass.
    if (strides[d] < 1 || offsets[d] < 0 || sizes[d] < 0 ||
        (sizes[d] > 0 &&
         (offsets[d] >= shape[d] ||
          sizes[d] - 1 > (shape[d] - 1 - offsets[d]) / strides[d]))) {
      return emitOpError("expects the window to lie inside the input: ")
             << "dimension " << d << " of size " << shape[d]
             << " cannot take offset " << offsets[d] << ", size " << sizes[d]
             << ", stride " << strides[d];
    }
  }
  return checkResultType(
      *this, RankedTensorType::get(sizes, elementTypeOf(getInput().getType())));
}

//===----------------------------------------------------------------------===//
// GatherOp
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::verify() {
  ArrayRef<int64_t> table = shapeOf(getTable().getType());
  std::optional<int64_t> axis = normalizeAxis(getAxis(), table.size());
  if (!axis) {
    return emitOpError("expects an axis in [")
           << -int64_t(table.size()) << ", " << table.size() << "), got "
           << static_cast<int64_t>(getAxis());
  }
  SmallVector<int64_t> shape(table.take_front(*axis));
  llvm::append_range(shape, shapeOf(getIndices().getType()));
  llvm::append_range(shape, table.drop_front(*axis + 1));
  return checkResultType(
      *this, RankedTensorType::get(shape, elementTypeOf(getTable().getType())));
}

//===----------------------------------------------------------------------===//
// ReduceOp, TopKOp
//===----------------------------------------------------------------------===//

FailureOr<RankedTensorType>
ReduceOp::inferResultType(Type inputType, ArrayRef<int64_t> axes, bool keepDims,
                          function_ref<InFlightDiagnostic()> emitError) {
  ArrayRef<int64_t> shape = shapeOf(inputType);
  int64_t rank = shape.size();
  SmallVector<bool> reduced(rank, false);
  if (axes.empty()) {
    return emitError() << "expects at least one axis";
  }
  for (int64_t axis : axes) {
    std::optional<int64_t> dim = normalizeAxis(axis, rank);
    if (!dim || reduced[*dim]) {
      return emitError() << "expects distinct axes in [" << -rank << ", "
                         << rank << "), got " << formatShape(axes);
    }
    reduced[*dim] = true;
  }
  SmallVector<int64_t> result;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d]) {
      result.push_back(shape[d]);
    } else if (keepDims) {
      result.push_back(1);
    }
  }
  return RankedTensorType::get(result, elementTypeOf(inputType));
}

LogicalResult ReduceOp::verify() {
  return checkResultType(*this, inferResultType(getInput().getType(), getAxes(),
                                                getKeepDims(),
                                                [&] { return emitOpError(); }));
}

LogicalResult TopKOp::verify() {
  ArrayRef<int64_t> shape = shapeOf(getInput().getType());
  if (shape.empty()) {
    return emitOpError("expects an input of rank >= 1, got rank 0");
  }
  // The compiled code ranks a row with 64-bit keys holding the index in 32.
  if (shape.back() > 0xfffffffe) {
    return emitOpError("expects rows of at most 4294967294 elements, got ")
           << shape.back();
  }
  uint64_t k = getK();
  if (k < 1 || k > static_cast<uint64_t>(shape.back())) {
    return emitOpError("expects k in [1, ")
           << shape.back() << "] (the last dimension), got " << k;
  }
  SmallVector<int64_t> expected(shape);
  expected.back() = getK();
  if (shapeOf(getValues().getType()) != ArrayRef<int64_t>(expected) ||
      shapeOf(getIndices().getType()) != ArrayRef<int64_t>(expected)) {
    return emitOpError("expects values and indices of shape ")
           << formatShape(expected);
  }
  return success();
}
