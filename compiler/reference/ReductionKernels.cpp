//===- ReductionKernels.cpp - Reductions and top-k ------------------------===//

#include "compiler/reference/OpKernels.h"
#include "compiler/reference/TensorLayout.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace kiln;
using namespace kiln::ref;

Tensor ref::runReduce(const Tensor &input, ReduceKind kind,
                      ArrayRef<int64_t> axes, bool keepDims) {
  // Accumulate into the keep_dims shape: reduced dimensions have size 1
  // there and contribute stride 0, so each input element finds its slot.
  std::vector<int64_t> kept = input.shape;
  int64_t reducedCount = 1;
  for (int64_t axis : axes) {
    reducedCount *= input.shape[axis];
    kept[axis] = 1;
  }
  std::vector<int64_t> strides = rowMajorStrides(kept);
  for (int64_t axis : axes) {
    strides[axis] = 0;
  }
  double init = kind == ReduceKind::Max   ? -INFINITY
                : kind == ReduceKind::Min ? INFINITY
                                          : 0.0;
  std::vector<double> acc(elementCount(kept), init);
  forEachIndex(input.shape, [&](ArrayRef<int64_t> index, int64_t linear) {
    double &slot = acc[offsetOf(index, strides)];
    double x = input.floats[linear];
    switch (kind) {
    case ReduceKind::Sum:
    case ReduceKind::Mean:
      slot += x;
      break;
    // NaN propagates, as in torch.amax / torch.amin.
    case ReduceKind::Max:
      slot = (std::isnan(x) || x > slot) ? x : slot;
      break;
    case ReduceKind::Min:
      slot = (std::isnan(x) || x < slot) ? x : slot;
      break;
    }
  });
  if (kind == ReduceKind::Mean) {
    for (double &value : acc) {
      value /= reducedCount;
    }
  }
  std::vector<int64_t> shape;
  for (size_t d = 0; d < kept.size(); ++d) {
    if (keepDims || !llvm::is_contained(axes, static_cast<int64_t>(d))) {
      shape.push_back(kept[d]);
    }
  }
  return fromDoubles(shape, acc);
}

std::pair<Tensor, Tensor> ref::runTopK(const Tensor &input, int64_t k) {
  int64_t length = input.shape.back();
  int64_t rows = elementCount(ArrayRef<int64_t>(input.shape).drop_back());
  std::vector<int64_t> shape = input.shape;
  shape.back() = k;
  Tensor values = Tensor::zerosF32(shape), indices = Tensor::zerosInt(shape);
  std::vector<int64_t> order(length);
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = input.floats.data() + r * length;
    std::iota(order.begin(), order.end(), 0);
    // Descending; NaN ranks above every number (as torch.topk); a stable
    // sort keeps tied elements in ascending index order.
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return ranksAbove(row[a], row[b]);
    });
    for (int64_t j = 0; j < k; ++j) {
      values.floats[r * k + j] = row[order[j]];
      indices.ints[r * k + j] = order[j];
    }
  }
  return {values, indices};
}
