//===- Tensor.cpp - Host tensors and views of them ------------------------===//
//
// Shapes come from files (artifacts, .npy) as well as from callers, so every
// element count is computed with overflow checks before anything is
// allocated or any offset is derived from it.
//
//===----------------------------------------------------------------------===//

#include "runtime/Tensor.h"

namespace kiln::rt {

StatusOr<uint64_t> checkedElementCount(DType dtype, Span<const int64_t> shape) {
  // Sizes stay below 2^62 bytes so that offset arithmetic never overflows.
  constexpr uint64_t kMaxBytes = uint64_t(1) << 62;
  uint64_t limit = kMaxBytes / dtypeSize(dtype);
  uint64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      return makeError(StatusCode::InvalidArgument, "dimension ", i,
                       " is negative (", shape[i], ")");
    }
    uint64_t dim = static_cast<uint64_t>(shape[i]);
    if (dim != 0 && count > limit / dim) {
      return makeError(StatusCode::InvalidArgument, "shape ",
                       formatTensorType(dtype, shape),
                       " is too large (more than 2^62 bytes)");
    }
    count *= dim;
  }
  return count;
}

std::string formatTensorType(DType dtype, Span<const int64_t> shape) {
  std::string text = dtypeName(dtype);
  text += '[';
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) {
      text += ',';
    }
    text += std::to_string(shape[i]);
  }
  text += ']';
  return text;
}

StatusOr<Tensor> Tensor::create(DType dtype, std::vector<int64_t> shape) {
  StatusOr<uint64_t> count = checkedElementCount(dtype, shape);
  if (!count.ok()) {
    return count.status();
  }
  StatusOr<AlignedBuffer> buffer =
      AlignedBuffer::allocate(*count * dtypeSize(dtype), "tensor");
  if (!buffer.ok()) {
    return buffer.status();
  }
  Tensor tensor;
  tensor.type = dtype;
  tensor.dims = std::move(shape);
  tensor.elements = *count;
  tensor.storage = std::move(buffer).value();
  return tensor;
}

} // namespace kiln::rt
