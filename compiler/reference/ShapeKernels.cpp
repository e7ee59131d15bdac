//===- ShapeKernels.cpp - Reshape, broadcast, concat, slice, gather -------===//
//
// Data movement only; these kernels work on float and integer tensors
// alike. Transpose is `transposed` in TensorLayout.h.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/OpKernels.h"
#include "compiler/reference/TensorLayout.h"

#include <algorithm>
#include <cassert>

using namespace mlir;
using namespace kiln;
using namespace kiln::ref;

Tensor ref::runReshape(const Tensor &input, ArrayRef<int64_t> shape) {
  Tensor result = input;
  result.shape.assign(shape.begin(), shape.end());
  return result;
}

Tensor ref::runBroadcast(const Tensor &input, ArrayRef<int64_t> shape) {
  return materializeView(input, shape, broadcastStrides(input.shape, shape));
}

Tensor ref::runConcat(ArrayRef<const Tensor *> inputs, int64_t axis) {
  std::vector<int64_t> shape = inputs.front()->shape;
  shape[axis] = 0;
  for (const Tensor *input : inputs) {
    shape[axis] += input->shape[axis];
  }
  bool isFloat = inputs.front()->isFloat;
  Tensor result = isFloat ? Tensor::zerosF32(shape) : Tensor::zerosInt(shape);
  std::vector<int64_t> strides = rowMajorStrides(shape);
  int64_t start = 0; // Where the current input begins along `axis`.
  for (const Tensor *input : inputs) {
    forEachIndex(input->shape, [&](ArrayRef<int64_t> index, int64_t linear) {
      int64_t target = offsetOf(index, strides, start * strides[axis]);
      if (isFloat) {
        result.floats[target] = input->floats[linear];
      } else {
        result.ints[target] = input->ints[linear];
      }
    });
    start += input->shape[axis];
  }
  return result;
}

Tensor ref::runSlice(const Tensor &input, ArrayRef<int64_t> offsets,
                     ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides) {
  std::vector<int64_t> inputStrides = rowMajorStrides(input.shape);
  std::vector<int64_t> viewStrides;
  int64_t base = 0;
  for (size_t d = 0; d < inputStrides.size(); ++d) {
    base += offsets[d] * inputStrides[d];
    viewStrides.push_back(strides[d] * inputStrides[d]);
  }
  return materializeView(input, sizes, viewStrides, base);
}

Tensor ref::runGather(const Tensor &table, const Tensor &indices,
                      int64_t axis) {
  // View the table as [outer, rows, inner] and the result as
  // [outer, indices, inner].
  ArrayRef<int64_t> tableShape = table.shape;
  int64_t outer = elementCount(tableShape.take_front(axis));
  int64_t rows = tableShape[axis];
  int64_t inner = elementCount(tableShape.drop_front(axis + 1));
  int64_t count = indices.numElements();

  std::vector<int64_t> shape(tableShape.take_front(axis).begin(),
                             tableShape.take_front(axis).end());
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), tableShape.drop_front(axis + 1).begin(),
               tableShape.drop_front(axis + 1).end());
  Tensor result =
      table.isFloat ? Tensor::zerosF32(shape) : Tensor::zerosInt(shape);
  // Kiln tensors have positive sizes (KilnOps.td), so clamping has a target.
  assert(rows > 0 && "the verifier refuses zero-size tensors");
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < count; ++i) {
      // Out-of-range indices are clamped, as the op specifies.
      int64_t row = std::clamp<int64_t>(indices.ints[i], 0, rows - 1);
      int64_t source = (o * rows + row) * inner;
      int64_t target = (o * count + i) * inner;
      for (int64_t r = 0; r < inner; ++r) {
        if (table.isFloat) {
          result.floats[target + r] = table.floats[source + r];
        } else {
          result.ints[target + r] = table.ints[source + r];
        }
      }
    }
  }
  return result;
}
