//===- MoeRouting.cpp - Which experts each token of a moe op uses ---------===//
//
// Per token: router logits x R^T, their scores, the selection keys (scores
// for score_then_topk, logits for topk_then_score, plus the selection
// bias), group-limited selection, top-k, and the mixing weights. All of it
// in double; ties are broken towards the lower expert or group index.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/MoeRouting.h"
#include "compiler/reference/OpKernels.h"
#include "compiler/reference/TensorLayout.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace mlir;
using namespace kiln;
using namespace kiln::ref;

/// The logistic function.
static double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// The softmax of `logits`.
static std::vector<double> softmax(const std::vector<double> &logits) {
  double max = *std::max_element(logits.begin(), logits.end());
  std::vector<double> result(logits.size());
  double sum = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    result[i] = std::exp(logits[i] - max);
    sum += result[i];
  }
  for (double &p : result) {
    p /= sum;
  }
  return result;
}

/// The positions of the `k` largest of `keys` among those `eligible`, best
/// first (NaN above every number); equal keys keep ascending position order.
static std::vector<int64_t> topPositions(const std::vector<double> &keys,
                                         const std::vector<bool> &eligible,
                                         int64_t k) {
  std::vector<int64_t> order;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (eligible[i]) {
      order.push_back(i);
    }
  }
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return ranksAbove(keys[a], keys[b]);
  });
  order.resize(std::min<size_t>(order.size(), k));
  return order;
}

/// Which experts may be selected once groups are taken into account:
/// all of them with one group; otherwise the members of the `topk_groups`
/// groups whose `max` or `top2_sum` of selection keys is best.
static std::vector<bool> eligibleExperts(MoeOp op,
                                         const std::vector<double> &keys) {
  int64_t experts = keys.size(), groups = op.getGroups();
  if (groups == 1) {
    return std::vector<bool>(experts, true);
  }
  int64_t size = experts / groups;
  std::vector<double> groupScores(groups);
  for (int64_t g = 0; g < groups; ++g) {
    std::vector<double> members(keys.begin() + g * size,
                                keys.begin() + (g + 1) * size);
    std::sort(members.begin(), members.end(), ranksAbove);
    // A group of one expert has no second member: its top-2 sum is that
    // expert's key alone.
    groupScores[g] = op.getGroupScore() == GroupScore::Max
                         ? members[0]
                         : members[0] + (size > 1 ? members[1] : 0.0);
  }
  std::vector<int64_t> best = topPositions(
      groupScores, std::vector<bool>(groups, true), op.getTopkGroups());
  std::vector<bool> eligible(experts, false);
  for (int64_t g : best) {
    std::fill(eligible.begin() + g * size, eligible.begin() + (g + 1) * size,
              true);
  }
  return eligible;
}

MoeRouting ref::routeTokens(MoeOp op, const Tensor &input, const Tensor &router,
                            const Tensor *selectionBias) {
  MoeRouting routing;
  int64_t dim = input.shape.back();
  routing.tokens = elementCount(ArrayRef<int64_t>(input.shape).drop_back());
  routing.experts = router.shape[0];
  routing.topK = op.getTopK();
  int64_t experts = routing.experts, k = routing.topK;
  bool softmaxScoring = op.getScoring() == MoeScoring::Softmax;
  bool scoreFirst = op.getOrder() == MoeOrder::ScoreThenTopK;
  double scaling = op.getScalingFactor().convertToDouble();

  for (int64_t t = 0; t < routing.tokens; ++t) {
    std::vector<double> logits(experts);
    for (int64_t e = 0; e < experts; ++e) {
      logits[e] = dot(input.floats.data() + t * dim,
                      router.floats.data() + e * dim, dim);
    }
    std::vector<double> probabilities = softmax(logits);
    std::vector<double> scores = probabilities;
    if (!softmaxScoring) {
      std::transform(logits.begin(), logits.end(), scores.begin(), sigmoid);
    }
    // The bias shifts what is compared, never the weights.
    std::vector<double> keys = scoreFirst ? scores : logits;
    for (int64_t e = 0; selectionBias && e < experts; ++e) {
      keys[e] += selectionBias->floats[e];
    }
    std::vector<int64_t> selected =
        topPositions(keys, eligibleExperts(op, keys), k);

    std::vector<double> weights(k);
    if (scoreFirst || !softmaxScoring) {
      // Sigmoid is elementwise, so scoring before or after top-k agrees.
      for (int64_t j = 0; j < k; ++j) {
        weights[j] = scores[selected[j]];
      }
    } else {
      // topk_then_score with softmax: over the selected logits only.
      std::vector<double> chosen(k);
      for (int64_t j = 0; j < k; ++j) {
        chosen[j] = logits[selected[j]];
      }
      weights = softmax(chosen);
    }
    if (op.getNormalize()) {
      double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
      for (double &w : weights) {
        w /= sum + 1e-20;
      }
    }
    for (double &w : weights) {
      w *= scaling;
    }

    llvm::append_range(routing.selected, selected);
    llvm::append_range(routing.weights, weights);
    llvm::append_range(routing.scores, scores);
    llvm::append_range(routing.probabilities, probabilities);
  }
  return routing;
}
