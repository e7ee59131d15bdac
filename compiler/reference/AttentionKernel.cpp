//===- AttentionKernel.cpp - Multi-head attention with structured masks ---===//
//
// Per batch, query head and query row: the visible keys' scores
// q.k * scale (+ bias) in double, their softmax, and the weighted sum of
// value rows. Every structured mask leaves a contiguous range [lo, hi) of
// visible keys; a bias additionally hides keys whose bias is -inf. Hidden
// keys get probability exactly 0. A row without any visible key yields
// what `empty_rows` says instead of the NaN of a softmax over nothing:
// zeros, or (`all_keys`) attention to every key with its unmasked score.
// The scale is applied in double either way (`scale_on` changes only f32
// rounding), and `softmax_f32` is moot when everything is f32 or wider.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/OpKernels.h"
#include "compiler/reference/TensorLayout.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::ref;

namespace {
/// The range of keys that the structural mask lets a query row see.
struct KeyRange {
  int64_t lo, hi;
};
} // namespace

/// The visible keys of query row `i` of batch `b` under `kind`. Run-time
/// lengths and spans outside [0, Sk] are clamped into it.
static KeyRange visibleKeys(MaskKind kind, const Tensor *mask, int64_t b,
                            int64_t i, int64_t sq, int64_t sk) {
  auto clampKey = [&](int64_t j) { return std::clamp<int64_t>(j, 0, sk); };
  switch (kind) {
  case MaskKind::None:
  case MaskKind::Bias:
    return {0, sk};
  case MaskKind::Causal:
    // Key j is visible when j <= i + Sk - Sq (queries are the last Sq
    // positions of the key sequence).
    return {0, clampKey(i + sk - sq + 1)};
  case MaskKind::KeyPadding:
    return {0, clampKey(mask->ints[b])};
  case MaskKind::RowSpans: {
    const int64_t *span = mask->ints.data() + (b * sq + i) * 2;
    return {clampKey(span[0]), clampKey(span[1])};
  }
  }
  llvm_unreachable("unknown mask kind");
}

/// Writes to `out` ([headDim]) the softmax of the visible `scores` applied
/// to the value rows at `values` (row stride `stride`). Hidden keys
/// contribute exactly nothing, whatever their values.
static void mixValues(const std::vector<double> &scores,
                      const std::vector<bool> &visible, const float *values,
                      int64_t stride, float *out, int64_t headDim) {
  double max = -INFINITY;
  for (size_t j = 0; j < scores.size(); ++j) {
    if (visible[j]) {
      max = std::max(max, scores[j]);
    }
  }
  std::vector<double> sum(headDim, 0.0);
  double total = 0.0;
  for (size_t j = 0; j < scores.size(); ++j) {
    double weight = visible[j] ? std::exp(scores[j] - max) : 0.0;
    if (weight == 0.0) {
      continue;
    }
    total += weight;
    for (int64_t c = 0; c < headDim; ++c) {
      sum[c] += weight * values[j * stride + c];
    }
  }
  for (int64_t c = 0; c < headDim; ++c) {
    out[c] = static_cast<float>(sum[c] / total);
  }
}

Tensor ref::runAttention(AttentionOp op, const Tensor &query, const Tensor &key,
                         const Tensor &value, const Tensor *mask) {
  int64_t batch = query.shape[0], sq = query.shape[1], sk = key.shape[1];
  int64_t heads = op.getHeads(), kvHeads = op.getKvHeadCount();
  int64_t headDim = op.getHeadDim();
  int64_t qWidth = heads * headDim, kvWidth = kvHeads * headDim;
  int64_t group = heads / kvHeads; // Query heads sharing one kv head.
  double scale = op.getScaleValue();
  bool scaleQuery = op.getScaleOn() == ScalePlacement::Query;
  MaskKind kind = op.getMask();
  std::vector<int64_t> biasStrides;
  if (kind == MaskKind::Bias) {
    biasStrides = broadcastStrides(mask->shape, {batch, heads, sq, sk});
  }

  Tensor result = Tensor::zerosF32({batch, sq, qWidth});
  std::vector<double> q(headDim), scores(sk);
  std::vector<bool> visible(sk);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < heads; ++h) {
      int64_t kvHead = h / group;
      for (int64_t i = 0; i < sq; ++i) {
        const float *qRow = query.floats.data() + (b * sq + i) * qWidth;
        for (int64_t c = 0; c < headDim; ++c) {
          q[c] = qRow[h * headDim + c] * (scaleQuery ? scale : 1.0);
        }
        auto score = [&](int64_t j) {
          const float *kRow =
              key.floats.data() + (b * sk + j) * kvWidth + kvHead * headDim;
          double dot = 0.0;
          for (int64_t c = 0; c < headDim; ++c) {
            dot += q[c] * kRow[c];
          }
          return scaleQuery ? dot : dot * scale;
        };
        KeyRange range = visibleKeys(kind, mask, b, i, sq, sk);
        bool empty = true;
        for (int64_t j = 0; j < sk; ++j) {
          visible[j] = j >= range.lo && j < range.hi;
          if (visible[j]) {
            scores[j] = score(j);
          }
          if (visible[j] && kind == MaskKind::Bias) {
            scores[j] += mask->floats[offsetOf({b, h, i, j}, biasStrides)];
            visible[j] = scores[j] != -INFINITY;
          }
          empty = empty && !visible[j];
        }
        if (empty && (op.getEmptyRows() == EmptyRows::Zero || sk == 0)) {
          continue; // The result row is already zero.
        }
        if (empty) {
          // all_keys: Hugging Face mllama replaces a fully masked row's
          // bias by zeros, so the row attends to every key unmasked.
          for (int64_t j = 0; j < sk; ++j) {
            visible[j] = true;
            scores[j] = score(j);
          }
        }
        float *outRow =
            result.floats.data() + (b * sq + i) * qWidth + h * headDim;
        mixValues(scores, visible,
                  value.floats.data() + b * sk * kvWidth + kvHead * headDim,
                  kvWidth, outRow, headDim);
      }
    }
  }
  return result;
}
