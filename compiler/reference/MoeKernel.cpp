//===- MoeKernel.cpp - Mixture of SwiGLU experts --------------------------===//
//
// Mixes the routed experts' outputs in ascending expert order (Hugging
// Face Mixtral's index_add_ order), adds the shared expert, and derives the
// assignment counts and the load-balancing losses from the routing. Expert
// activations stay in double; only the op's results are rounded.
//
//===----------------------------------------------------------------------===//

#include "compiler/reference/MoeRouting.h"
#include "compiler/reference/OpKernels.h"
#include "compiler/reference/TensorLayout.h"

#include <cmath>

using namespace mlir;
using namespace kiln;
using namespace kiln::ref;

/// One SwiGLU expert on token `x` ([D]): down(silu(gate x) * up x), added
/// to `out` ([D]) times `weight`.
static void addExpert(const float *x, const Tensor &gate, const Tensor &up,
                      const Tensor &down, double weight,
                      std::vector<double> &out) {
  int64_t hidden = gate.shape[0], dim = gate.shape[1];
  std::vector<double> activation(hidden);
  for (int64_t f = 0; f < hidden; ++f) {
    double g = dot(x, gate.floats.data() + f * dim, dim);
    double u = dot(x, up.floats.data() + f * dim, dim);
    activation[f] = g / (1.0 + std::exp(-g)) * u;
  }
  for (int64_t d = 0; d < dim; ++d) {
    const float *row = down.floats.data() + d * hidden;
    double sum = 0.0;
    for (int64_t f = 0; f < hidden; ++f) {
      sum += row[f] * activation[f];
    }
    out[d] += weight * sum;
  }
}

/// Hugging Face's `load_balancing_loss_func` for one layer:
/// E * sum_{j,e} f[j, e] * P[e], f[j, e] the fraction of tokens whose slot
/// j chose e and P[e] the mean full-softmax probability of e. Summed over
/// the slots j, f is counts[e] / T.
static double switchLoss(const MoeRouting &routing,
                         const std::vector<int64_t> &counts) {
  double loss = 0.0;
  for (int64_t e = 0; e < routing.experts; ++e) {
    double meanProbability = 0.0;
    for (int64_t t = 0; t < routing.tokens; ++t) {
      meanProbability += routing.probabilities[t * routing.experts + e];
    }
    meanProbability /= routing.tokens;
    loss += static_cast<double>(counts[e]) / routing.tokens * meanProbability;
  }
  return routing.experts * loss;
}

/// DeepSeek's sequence-level loss: per sequence b,
/// sum_e ce[b, e] * mean_t scores[b, t, e] with ce[b, e] the assignments of
/// e in b over S * k / E; then the mean over sequences.
static double sequenceLoss(const MoeRouting &routing, int64_t sequences) {
  int64_t seq = routing.tokens / sequences, experts = routing.experts;
  double expected = static_cast<double>(seq) * routing.topK / experts;
  double loss = 0.0;
  for (int64_t b = 0; b < sequences; ++b) {
    std::vector<double> assigned(experts, 0.0), meanScore(experts, 0.0);
    for (int64_t t = b * seq; t < (b + 1) * seq; ++t) {
      for (int64_t j = 0; j < routing.topK; ++j) {
        assigned[routing.selected[t * routing.topK + j]] += 1.0;
      }
      for (int64_t e = 0; e < experts; ++e) {
        meanScore[e] += routing.scores[t * experts + e] / seq;
      }
    }
    for (int64_t e = 0; e < experts; ++e) {
      loss += assigned[e] / expected * meanScore[e];
    }
  }
  return loss / sequences;
}

MoeResults ref::runMoe(MoeOp op, const Tensor &input, const Tensor &router,
                       ArrayRef<const Tensor *> experts,
                       ArrayRef<const Tensor *> shared,
                       const Tensor *selectionBias) {
  MoeRouting routing = routeTokens(op, input, router, selectionBias);
  int64_t dim = input.shape.back(), tokens = routing.tokens;
  int64_t numExperts = routing.experts, k = routing.topK;

  std::vector<double> output(tokens * dim, 0.0), row(dim);
  std::vector<int64_t> counts(numExperts, 0);
  for (int64_t t = 0; t < tokens; ++t) {
    const float *x = input.floats.data() + t * dim;
    std::fill(row.begin(), row.end(), 0.0);
    for (int64_t e = 0; e < numExperts; ++e) {
      for (int64_t j = 0; j < k; ++j) {
        if (routing.selected[t * k + j] != e) {
          continue;
        }
        ++counts[e];
        addExpert(x, *experts[3 * e], *experts[3 * e + 1], *experts[3 * e + 2],
                  routing.weights[t * k + j], row);
      }
    }
    if (!shared.empty()) {
      addExpert(x, *shared[0], *shared[1], *shared[2], 1.0, row);
    }
    std::copy(row.begin(), row.end(), output.begin() + t * dim);
  }

  MoeResults results;
  results.output = fromDoubles(input.shape, output);
  results.counts = Tensor::zerosInt({numExperts});
  results.counts.ints = counts;
  double loss = 0.0; // aux_loss = none.
  if (op.getAuxLoss() == AuxLoss::Switch) {
    loss = switchLoss(routing, counts);
  } else if (op.getAuxLoss() == AuxLoss::Sequence) {
    loss = sequenceLoss(routing, input.shape[0]);
  }
  results.aux =
      fromDoubles({}, {loss * op.getAuxCoefficient().convertToDouble()});
  return results;
}
