//===- TensorLayout.cpp - Row-major indexing of reference tensors ---------===//

#include "compiler/reference/TensorLayout.h"

#include <algorithm>

using namespace kiln;
using namespace kiln::ref;

int64_t ref::elementCount(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t size : shape) {
    count *= size;
  }
  return count;
}

int64_t Tensor::numElements() const { return elementCount(shape); }

Tensor Tensor::zerosF32(std::vector<int64_t> shape) {
  Tensor tensor;
  tensor.floats.assign(elementCount(shape), 0.0f);
  tensor.shape = std::move(shape);
  return tensor;
}

Tensor Tensor::zerosInt(std::vector<int64_t> shape) {
  Tensor tensor;
  tensor.isFloat = false;
  tensor.ints.assign(elementCount(shape), 0);
  tensor.shape = std::move(shape);
  return tensor;
}

std::vector<int64_t> ref::rowMajorStrides(llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d) {
    strides[d] = strides[d + 1] * shape[d + 1];
  }
  return strides;
}

std::vector<int64_t> ref::broadcastStrides(llvm::ArrayRef<int64_t> from,
                                           llvm::ArrayRef<int64_t> to) {
  std::vector<int64_t> own = rowMajorStrides(from);
  std::vector<int64_t> strides(to.size(), 0);
  size_t lead = to.size() - from.size();
  for (size_t d = 0; d < from.size(); ++d) {
    strides[lead + d] = from[d] == 1 ? 0 : own[d];
  }
  return strides;
}

std::vector<int64_t> ref::broadcastShapes(llvm::ArrayRef<int64_t> lhs,
                                          llvm::ArrayRef<int64_t> rhs) {
  size_t rank = std::max(lhs.size(), rhs.size());
  std::vector<int64_t> shape(rank, 1);
  for (size_t d = 0; d < rank; ++d) {
    int64_t l = d < rank - lhs.size() ? 1 : lhs[d - (rank - lhs.size())];
    int64_t r = d < rank - rhs.size() ? 1 : rhs[d - (rank - rhs.size())];
    shape[d] = l == 1 ? r : l;
  }
  return shape;
}

Tensor ref::materializeView(const Tensor &input, llvm::ArrayRef<int64_t> shape,
                            llvm::ArrayRef<int64_t> strides, int64_t base) {
  std::vector<int64_t> resultShape(shape.begin(), shape.end());
  Tensor result = input.isFloat ? Tensor::zerosF32(resultShape)
                                : Tensor::zerosInt(resultShape);
  forEachIndex(shape, [&](llvm::ArrayRef<int64_t> index, int64_t linear) {
    int64_t source = offsetOf(index, strides, base);
    if (input.isFloat) {
      result.floats[linear] = input.floats[source];
    } else {
      result.ints[linear] = input.ints[source];
    }
  });
  return result;
}

Tensor ref::transposed(const Tensor &input,
                       llvm::ArrayRef<int64_t> permutation) {
  std::vector<int64_t> inputStrides = rowMajorStrides(input.shape);
  std::vector<int64_t> shape, strides;
  for (int64_t dim : permutation) {
    shape.push_back(input.shape[dim]);
    strides.push_back(inputStrides[dim]);
  }
  return materializeView(input, shape, strides);
}

Tensor ref::fromDoubles(std::vector<int64_t> shape,
                        const std::vector<double> &values) {
  Tensor result = Tensor::zerosF32(std::move(shape));
  for (size_t i = 0; i < values.size(); ++i) {
    result.floats[i] = static_cast<float>(values[i]);
  }
  return result;
}
