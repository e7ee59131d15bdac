//===- SourceKernels.cpp - Parameters and constants -----------------------===//
//
// The ops that bring data into the graph. A parameter is loaded in its
// declared (checkpoint) shape and then permuted into the stored layout the
// op's result type has.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/OpKernels.h"
#include "compiler/reference/TensorLayout.h"
#include "compiler/weights/PanelLayout.h"
#include "dialects/Kiln/IR/ShapeChecks.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::ref;

FailureOr<Tensor> ref::runParam(ParamOp op, WeightSource &weights) {
  SmallVector<int64_t> checkpoint = op.getDeclaredShape();
  FailureOr<std::vector<float>> data =
      weights.load(op.getName(), checkpoint, op.getLoc());
  if (failed(data)) {
    return failure();
  }
  int64_t count = elementCount(checkpoint);
  if (static_cast<int64_t>(data->size()) != count) {
    return op.emitOpError("expects ")
           << count << " values for parameter '" << op.getName()
           << "' of shape " << formatShape(checkpoint) << ", got "
           << data->size();
  }
  // Read in the shape the layout starts from: a checkpoint shape differs
  // from it only by a reshape of the same row-major data.
  SmallVector<int64_t> declared = op.getLayoutSourceShape();
  Tensor tensor;
  tensor.shape.assign(declared.begin(), declared.end());
  if (isa<FloatType>(op.getType().getElementType())) {
    tensor.floats = std::move(*data);
  } else {
    // Weight sources hold floats; an integer parameter (a lookup table)
    // must hold integral values that survive the round trip exactly.
    tensor.isFloat = false;
    for (auto [i, value] : llvm::enumerate(*data)) {
      if (!std::isfinite(value) || std::nearbyint(value) != value) {
        return op.emitOpError("expects integral values for integer "
                              "parameter '")
               << op.getName() << "', got " << value << " at element " << i;
      }
      tensor.ints.push_back(static_cast<int64_t>(value));
    }
  }
  if (std::optional<ArrayRef<int64_t>> permutation = op.getPermutation()) {
    tensor = transposed(tensor, *permutation);
  }
  if (std::optional<int64_t> panel = op.getPanel()) {
    SmallVector<int64_t> source = op.getPanelSourceShape();
    tensor.floats =
        toPanels(tensor.floats, source.data(), source.size(), *panel);
    tensor.shape.assign(op.getType().getShape().begin(),
                        op.getType().getShape().end());
  }
  return tensor;
}

FailureOr<Tensor> ref::runConstant(ConstantOp op) {
  ElementsAttr value = op.getValue();
  RankedTensorType type = op.getType();
  Tensor tensor;
  tensor.shape.assign(type.getShape().begin(), type.getShape().end());
  if (isa<FloatType>(type.getElementType())) {
    if (auto values = value.tryGetValues<APFloat>()) {
      for (const APFloat &element : *values) {
        tensor.floats.push_back(element.convertToFloat());
      }
    } else if (auto floats = value.tryGetValues<float>()) {
      tensor.floats.assign(floats->begin(), floats->end());
    } else {
      return op.emitOpError("cannot read the elements of ") << value;
    }
  } else {
    tensor.isFloat = false;
    auto values = value.tryGetValues<APInt>();
    if (!values) {
      return op.emitOpError("cannot read the elements of ") << value;
    }
    for (const APInt &element : *values) {
      tensor.ints.push_back(element.getSExtValue());
    }
  }
  return tensor;
}
