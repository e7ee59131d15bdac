//===- Tensor.h - Host tensors and views of them ----------------*- C++ -*-===//
//
// Tensor owns a dtype, a shape and 64-byte aligned, C-order data. TensorView
// and MutableTensorView are the non-owning descriptions a Session takes: a
// dtype, a shape and a pointer, all kept alive by the caller.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_RUNTIME_TENSOR_H
#define KILN_RUNTIME_TENSOR_H

#include "runtime/AlignedBuffer.h"
#include "runtime/DType.h"
#include "runtime/Span.h"
#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kiln::rt {

/// A read-only, non-owning view of C-order tensor data.
struct TensorView {
  DType dtype = DType::F32;
  Span<const int64_t> shape;
  const void *data = nullptr;
};

/// A writable, non-owning view of C-order tensor data.
struct MutableTensorView {
  DType dtype = DType::F32;
  Span<const int64_t> shape;
  void *data = nullptr;
};

/// Returns the number of elements of `shape`, or an error if a dimension is
/// negative or the byte size of `dtype` elements would exceed 2^62.
StatusOr<uint64_t> checkedElementCount(DType dtype, Span<const int64_t> shape);

/// Formats a tensor type as "f32[32,768]" (a scalar is "f32[]").
std::string formatTensorType(DType dtype, Span<const int64_t> shape);

/// An owning host tensor with 64-byte aligned, zero-initialised data.
class Tensor {
public:
  /// An empty f32 scalar without storage; use create() for real tensors.
  Tensor() = default;

  /// Allocates a zeroed tensor; fails on a negative dimension, an overflowing
  /// size or when memory runs out.
  static StatusOr<Tensor> create(DType dtype, std::vector<int64_t> shape);

  DType dtype() const { return type; }
  const std::vector<int64_t> &shape() const { return dims; }
  /// Number of elements (1 for a scalar).
  uint64_t numElements() const { return elements; }
  /// Size of the data in bytes.
  uint64_t byteSize() const { return elements * dtypeSize(type); }

  /// The data; null when the tensor has no elements.
  void *data() { return storage.data(); }
  const void *data() const { return storage.data(); }
  /// The data as elements of type T (the caller picks T to match dtype()).
  template <typename T> T *dataAs() { return static_cast<T *>(data()); }
  template <typename T> const T *dataAs() const {
    return static_cast<const T *>(data());
  }

  /// A read-only view valid while this tensor lives and is not resized.
  TensorView view() const { return {type, dims, storage.data()}; }
  /// A writable view valid while this tensor lives.
  MutableTensorView mutableView() { return {type, dims, storage.data()}; }

private:
  DType type = DType::F32;
  std::vector<int64_t> dims;
  uint64_t elements = 1;
  AlignedBuffer storage;
};

} // namespace kiln::rt

#endif // KILN_RUNTIME_TENSOR_H
