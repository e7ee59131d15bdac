//===- TensorLayout.h - Row-major indexing of reference tensors -*- C++ -*-===//
//
// Every reference tensor is dense and row-major. Transposes, slices and
// broadcasts are all "strided views" of such a tensor: a base offset plus
// one stride per result dimension (0 for a broadcast dimension). The
// kernels describe what they read as such a view and let
// `materializeView` copy it, so that the index arithmetic lives here once.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_COMPILER_REFERENCE_TENSORLAYOUT_H
#define KILN_COMPILER_REFERENCE_TENSORLAYOUT_H

#include "compiler/reference/ReferenceInterpreter.h"

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <vector>

namespace kiln::ref {

/// The number of elements of `shape` (1 for a scalar).
int64_t elementCount(llvm::ArrayRef<int64_t> shape);

/// The row-major strides of `shape`, in elements.
std::vector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape);

/// Strides that read a row-major tensor of shape `from` as if it had the
/// NumPy-broadcast shape `to`: aligned at the trailing dimension, 0 where
/// `from` has size 1 or no dimension at all. `from` must broadcast to `to`.
std::vector<int64_t> broadcastStrides(llvm::ArrayRef<int64_t> from,
                                      llvm::ArrayRef<int64_t> to);

/// The NumPy broadcast of two shapes; they must be compatible.
std::vector<int64_t> broadcastShapes(llvm::ArrayRef<int64_t> lhs,
                                     llvm::ArrayRef<int64_t> rhs);

/// Visits every multi-index of `shape` in row-major order, passing the
/// index and its linear position.
template <typename Fn>
void forEachIndex(llvm::ArrayRef<int64_t> shape, Fn &&fn) {
  int64_t count = elementCount(shape);
  std::vector<int64_t> index(shape.size(), 0);
  for (int64_t linear = 0; linear < count; ++linear) {
    fn(llvm::ArrayRef<int64_t>(index), linear);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++index[d] < shape[d]) {
        break;
      }
      index[d] = 0;
    }
  }
}

/// The element offset `base + sum(index[d] * strides[d])`.
inline int64_t offsetOf(llvm::ArrayRef<int64_t> index,
                        llvm::ArrayRef<int64_t> strides, int64_t base = 0) {
  int64_t offset = base;
  for (size_t d = 0; d < index.size(); ++d) {
    offset += index[d] * strides[d];
  }
  return offset;
}

/// A new row-major tensor of `shape` whose element at index `i` is element
/// `offsetOf(i, strides, base)` of `input` (float or integer).
Tensor materializeView(const Tensor &input, llvm::ArrayRef<int64_t> shape,
                       llvm::ArrayRef<int64_t> strides, int64_t base = 0);

/// `input` transposed: result dimension i is input dimension
/// `permutation[i]`.
Tensor transposed(const Tensor &input, llvm::ArrayRef<int64_t> permutation);

/// A float tensor of `shape` holding `values` rounded to f32.
Tensor fromDoubles(std::vector<int64_t> shape,
                   const std::vector<double> &values);

/// The dot product of `n` floats at `a` and `b`, accumulated in double.
inline double dot(const float *a, const float *b, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    sum += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  }
  return sum;
}

} // namespace kiln::ref

#endif // KILN_COMPILER_REFERENCE_TENSORLAYOUT_H
