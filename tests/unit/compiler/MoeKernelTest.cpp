//===- MoeKernelTest.cpp - Mixture of experts: routing, mixing, losses ----===//
//
// The expectations come from a naive MoE written from the formulas: per
// token, logits, scores, selection keys with groups masked to -inf, a
// sorted top-k, weights, and the experts' outputs summed slot by slot; the
// switch loss uses Hugging Face's [k, E] layout literally.
//
//===----------------------------------------------------------------------===//

#include "tests/unit/compiler/InterpreterFixture.h"

#include <algorithm>
#include <cmath>

using namespace kiln::ref;
using namespace kiln::ref::test;

namespace {

using MoeKernel = InterpreterTest;

/// A moe op's sizes and attributes, and its operands.
struct MoeCase {
  std::vector<int64_t> inputShape; // [.., D]
  int experts = 4, hidden = 3, topK = 2;
  bool softmax = true, scoreFirst = true, normalize = false;
  double scaling = 1.0;
  int groups = 1, topkGroups = 1;
  bool top2Sum = false;
  std::string aux = "none";
  double auxCoefficient = 1.0;
  bool shared = false, selectionBias = false;

  int dim() const { return inputShape.back(); }
  int tokens() const {
    int count = 1;
    for (size_t d = 0; d + 1 < inputShape.size(); ++d) {
      count *= inputShape[d];
    }
    return count;
  }
};

/// The IR of @main(x, router, experts..., [shared...], [bias]) returning
/// the moe's three results.
static std::string moeIr(const MoeCase &c) {
  std::string x = tensorType(c.inputShape);
  std::string router = tensorType({c.experts, c.dim()});
  std::string gate = tensorType({c.hidden, c.dim()});
  std::string down = tensorType({c.dim(), c.hidden});
  std::string args = "%x: " + x + ", %r: " + router;
  std::string types = x + ", " + router;
  std::string experts;
  for (int e = 0; e < c.experts; ++e) {
    std::string n = std::to_string(e);
    args += ", %g" + n + ": " + gate + ", %u" + n + ": " + gate + ", %d" + n +
            ": " + down;
    types += ", " + gate + ", " + gate + ", " + down;
    experts += (e ? ", %g" : "%g") + n + ", %u" + n + ", %d" + n;
  }
  std::string extra;
  if (c.shared) {
    args += ", %sg: " + gate + ", %su: " + gate + ", %sd: " + down;
    types += ", " + gate + ", " + gate + ", " + down;
    extra += " shared(%sg, %su, %sd)";
  }
  if (c.selectionBias) {
    args += ", %b: " + tensorType({c.experts});
    types += ", " + tensorType({c.experts});
    extra += " selection_bias(%b)";
  }
  std::string attrs =
      "top_k = " + std::to_string(c.topK) + " : i64, scoring = " +
      enumAttr("moe_scoring", c.softmax ? "softmax" : "sigmoid") +
      ", order = " +
      enumAttr("moe_order",
               c.scoreFirst ? "score_then_topk" : "topk_then_score") +
      ", scaling_factor = " + std::to_string(c.scaling) +
      " : f64, groups = " + std::to_string(c.groups) +
      " : i64, topk_groups = " + std::to_string(c.topkGroups) +
      " : i64, group_score = " +
      enumAttr("group_score", c.top2Sum ? "top2_sum" : "max") +
      ", aux_loss = " + enumAttr("aux_loss", c.aux) +
      ", aux_coefficient = " + std::to_string(c.auxCoefficient) + " : f64" +
      (c.normalize ? ", normalize" : "");
  std::string counts = tensorType({c.experts}, "i64");
  std::string results = "(" + x + ", " + counts + ", tensor<f32>)";
  return "func.func @main(" + args + ") -> " + results +
         " {\n  %y, %n, %a = kiln.moe %x, %r experts(" + experts + ")" + extra +
         " {" + attrs + "} : (" + types + ") -> " + results +
         "\n  return %y, %n, %a : " + x + ", " + counts + ", tensor<f32>\n}\n";
}

/// Random operands for `c`, in the order of moeIr's arguments.
static std::vector<Tensor> moeInputs(const MoeCase &c, uint32_t seed) {
  std::vector<Tensor> in = {randomTensor(c.inputShape, seed),
                            randomTensor({c.experts, c.dim()}, seed + 1)};
  int weights = 3 * c.experts + (c.shared ? 3 : 0);
  for (int w = 0; w < weights; ++w) {
    bool down = w % 3 == 2;
    in.push_back(randomTensor(down ? std::vector<int64_t>{c.dim(), c.hidden}
                                   : std::vector<int64_t>{c.hidden, c.dim()},
                              seed + 2 + w));
  }
  if (c.selectionBias) {
    in.push_back(randomTensor({c.experts}, seed + 100, -0.5, 0.5));
  }
  return in;
}

/// down(silu(gate x) * up x) for the weights at in[first..first+2].
static std::vector<double> naiveExpert(const MoeCase &c,
                                       const std::vector<Tensor> &in, int first,
                                       const float *x) {
  const Tensor &gate = in[first], &up = in[first + 1], &down = in[first + 2];
  std::vector<double> h(c.hidden), y(c.dim(), 0.0);
  for (int f = 0; f < c.hidden; ++f) {
    double g = 0, u = 0;
    for (int d = 0; d < c.dim(); ++d) {
      g += double(gate.floats[f * c.dim() + d]) * x[d];
      u += double(up.floats[f * c.dim() + d]) * x[d];
    }
    h[f] = g / (1 + std::exp(-g)) * u;
  }
  for (int d = 0; d < c.dim(); ++d) {
    for (int f = 0; f < c.hidden; ++f) {
      y[d] += down.floats[d * c.hidden + f] * h[f];
    }
  }
  return y;
}

/// What the naive MoE computes.
struct NaiveMoe {
  std::vector<double> output;
  std::vector<int64_t> counts;
  std::vector<std::vector<int>> selected; // [T][k]
  double aux = 0;
};

static NaiveMoe naiveMoe(const MoeCase &c, const std::vector<Tensor> &in) {
  int tokens = c.tokens(), dim = c.dim(), experts = c.experts, k = c.topK;
  NaiveMoe result;
  result.output.assign(tokens * dim, 0.0);
  result.counts.assign(experts, 0);
  std::vector<std::vector<double>> probabilities, scores;
  for (int t = 0; t < tokens; ++t) {
    const float *x = in[0].floats.data() + t * dim;
    std::vector<double> logits(experts, 0.0), p(experts), s(experts);
    double total = 0;
    for (int e = 0; e < experts; ++e) {
      for (int d = 0; d < dim; ++d) {
        logits[e] += double(in[1].floats[e * dim + d]) * x[d];
      }
      total += std::exp(logits[e]);
    }
    for (int e = 0; e < experts; ++e) {
      p[e] = std::exp(logits[e]) / total;
      s[e] = c.softmax ? p[e] : 1 / (1 + std::exp(-logits[e]));
    }
    probabilities.push_back(p);
    scores.push_back(s);
    std::vector<double> key = c.scoreFirst ? s : logits;
    if (c.selectionBias) {
      for (int e = 0; e < experts; ++e) {
        key[e] += in.back().floats[e];
      }
    }
    if (c.groups > 1) {
      int size = experts / c.groups;
      std::vector<std::pair<double, int>> groupScores;
      for (int g = 0; g < c.groups; ++g) {
        std::vector<double> members(key.begin() + g * size,
                                    key.begin() + (g + 1) * size);
        std::sort(members.rbegin(), members.rend());
        groupScores.push_back(
            {c.top2Sum ? members[0] + members[1] : members[0], -g});
      }
      std::sort(groupScores.rbegin(), groupScores.rend());
      for (int rank = c.topkGroups; rank < c.groups; ++rank) {
        int g = -groupScores[rank].second;
        std::fill(key.begin() + g * size, key.begin() + (g + 1) * size,
                  -INFINITY);
      }
    }
    std::vector<std::pair<double, int>> ranked;
    for (int e = 0; e < experts; ++e) {
      ranked.push_back({key[e], -e}); // Ties: the lower index first.
    }
    std::sort(ranked.rbegin(), ranked.rend());
    std::vector<int> chosen;
    std::vector<double> weights;
    double chosenTotal = 0;
    for (int j = 0; j < k; ++j) {
      chosen.push_back(-ranked[j].second);
      chosenTotal += std::exp(logits[chosen.back()]);
    }
    for (int e : chosen) {
      bool renormalise = !c.scoreFirst && c.softmax;
      weights.push_back(renormalise ? std::exp(logits[e]) / chosenTotal : s[e]);
    }
    double sum = 0;
    for (double w : weights) {
      sum += w;
    }
    for (int j = 0; j < k; ++j) {
      double w =
          (c.normalize ? weights[j] / (sum + 1e-20) : weights[j]) * c.scaling;
      std::vector<double> y = naiveExpert(c, in, 2 + 3 * chosen[j], x);
      for (int d = 0; d < dim; ++d) {
        result.output[t * dim + d] += w * y[d];
      }
      ++result.counts[chosen[j]];
    }
    if (c.shared) {
      std::vector<double> y = naiveExpert(c, in, 2 + 3 * experts, x);
      for (int d = 0; d < dim; ++d) {
        result.output[t * dim + d] += y[d];
      }
    }
    result.selected.push_back(chosen);
  }
  if (c.aux == "switch") {
    // tokens_per_expert [k, E] and router_prob_per_expert [E].
    double loss = 0;
    for (int j = 0; j < k; ++j) {
      for (int e = 0; e < experts; ++e) {
        double fraction = 0, meanP = 0;
        for (int t = 0; t < tokens; ++t) {
          fraction += (result.selected[t][j] == e) / double(tokens);
          meanP += probabilities[t][e] / tokens;
        }
        loss += fraction * meanP;
      }
    }
    result.aux = experts * loss * c.auxCoefficient;
  } else if (c.aux == "sequence") {
    int batch = c.inputShape[0], seq = c.inputShape[1];
    double loss = 0;
    for (int b = 0; b < batch; ++b) {
      for (int e = 0; e < experts; ++e) {
        double count = 0, meanS = 0;
        for (int t = b * seq; t < (b + 1) * seq; ++t) {
          count += std::count(result.selected[t].begin(),
                              result.selected[t].end(), e);
          meanS += scores[t][e] / seq;
        }
        loss += count / (double(seq) * k / experts) * meanS;
      }
    }
    result.aux = loss / batch * c.auxCoefficient;
  }
  return result;
}

/// Runs `c` on `in` and compares all three results with the naive MoE.
static void expectMatchesNaive(const MoeCase &c, const std::vector<Tensor> &in,
                               const std::vector<Tensor> &out) {
  NaiveMoe expected = naiveMoe(c, in);
  ASSERT_EQ(out.size(), 3u);
  expectTensorNear(out[0], c.inputShape, expected.output, 1e-5);
  EXPECT_EQ(out[1].ints, expected.counts);
  expectTensorNear(out[2], {}, {expected.aux}, 1e-6);
}

TEST_F(MoeKernel, MixtralRoutingByHand) {
  // Router = identity, so the logits are the token [0.1, 0.5, 0.3, -0.2].
  // Expert e: gate [1, 1, 1, 1], up [e + 1, 0, 0, 0], down [1, 0, 0, 0]^T,
  // so channel 0 of expert e's output is silu(0.7) * 0.1 * (e + 1).
  MoeCase c;
  c.inputShape = {1, 4};
  c.hidden = 1;
  c.normalize = true;
  std::vector<Tensor> in = {
      floats({1, 4}, {0.1f, 0.5f, 0.3f, -0.2f}),
      floats({4, 4}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1})};
  for (int e = 0; e < 4; ++e) {
    in.push_back(floats({1, 4}, {1, 1, 1, 1}));
    in.push_back(floats({1, 4}, {float(e + 1), 0, 0, 0}));
    in.push_back(floats({4, 1}, {1, 0, 0, 0}));
  }
  std::vector<Tensor> out = run(moeIr(c), in);
  ASSERT_EQ(out.size(), 3u);
  // Experts 1 and 2 win; their softmax weights renormalised to sum 1.
  double g = 0.1f + 0.5f + 0.3f - 0.2f;
  double silu = g / (1 + std::exp(-g));
  double w1 = 1 / (1 + std::exp(0.3 - 0.5)), w2 = 1 - w1;
  double x0 = 0.1f;
  expectTensorNear(out[0], {1, 4}, {silu * x0 * (2 * w1 + 3 * w2), 0, 0, 0},
                   1e-6);
  EXPECT_EQ(out[1].ints, (std::vector<int64_t>{0, 1, 1, 0}));
  expectTensorNear(out[2], {}, {0.0}, 0.0);
}

TEST_F(MoeKernel, RoutingVariantsMatchNaive) {
  for (bool softmax : {true, false}) {
    for (bool scoreFirst : {true, false}) {
      for (bool normalize : {false, true}) {
        MoeCase c;
        c.inputShape = {2, 5, 6};
        c.experts = 5;
        c.softmax = softmax;
        c.scoreFirst = scoreFirst;
        c.normalize = normalize;
        c.scaling = normalize ? 2.5 : 1.0;
        SCOPED_TRACE(moeIr(c));
        std::vector<Tensor> in = moeInputs(c, 10);
        std::vector<Tensor> out = run(moeIr(c), in);
        expectMatchesNaive(c, in, out);
      }
    }
  }
}

TEST_F(MoeKernel, TopKThenSoftmaxIsRenormalisedSoftmaxThenTopK) {
  MoeCase mixtral;
  mixtral.inputShape = {8, 6};
  std::vector<Tensor> in = moeInputs(mixtral, 20);
  std::vector<Tensor> raw = run(moeIr(mixtral), in);
  mixtral.normalize = true;
  std::vector<Tensor> renormalised = run(moeIr(mixtral), in);
  MoeCase mistral = mixtral;
  mistral.normalize = false;
  mistral.scoreFirst = false;
  std::vector<Tensor> selectedOnly = run(moeIr(mistral), in);
  ASSERT_EQ(raw.size(), 3u);
  ASSERT_EQ(renormalised.size(), 3u);
  ASSERT_EQ(selectedOnly.size(), 3u);
  for (size_t i = 0; i < raw[0].floats.size(); ++i) {
    EXPECT_NEAR(selectedOnly[0].floats[i], renormalised[0].floats[i], 1e-6);
  }
  // Without renormalisation the top-2 softmax weights sum to less than 1.
  double difference = 0;
  for (size_t i = 0; i < raw[0].floats.size(); ++i) {
    difference += std::fabs(raw[0].floats[i] - renormalised[0].floats[i]);
  }
  EXPECT_GT(difference, 1e-2);
  EXPECT_EQ(raw[1].ints, selectedOnly[1].ints);
}

/// A single token whose logits (identity router) are `logits`.
static std::vector<Tensor> tokenWithLogits(const MoeCase &c,
                                           std::vector<float> logits) {
  std::vector<Tensor> in = moeInputs(c, 30);
  in[0] = floats({1, c.experts}, logits);
  in[1] = Tensor::zerosF32({c.experts, c.experts});
  for (int e = 0; e < c.experts; ++e) {
    in[1].floats[e * c.experts + e] = 1;
  }
  return in;
}

TEST_F(MoeKernel, GroupsAreChosenByMaxOrTopTwoSum) {
  // Groups of two: {2.5, -3}, {2.0, 1.95}, {1.9, 1.85}, {-1, -1.1}. The
  // best group by max is 0, by the sum of the top-2 softmax scores 1.
  MoeCase c;
  c.inputShape = {1, 8};
  c.experts = 8;
  std::vector<float> logits = {2.5, -3, 2.0, 1.95, 1.9, 1.85, -1, -1.1};
  std::vector<Tensor> in = tokenWithLogits(c, logits);
  std::vector<Tensor> ungrouped = run(moeIr(c), in);
  c.groups = 4;
  std::vector<Tensor> byMax = run(moeIr(c), in);
  expectMatchesNaive(c, in, byMax);
  c.top2Sum = true;
  std::vector<Tensor> byTop2 = run(moeIr(c), in);
  expectMatchesNaive(c, in, byTop2);
  c.topkGroups = 2;
  std::vector<Tensor> twoGroups = run(moeIr(c), in);
  expectMatchesNaive(c, in, twoGroups);
  ASSERT_EQ(ungrouped.size(), 3u);
  EXPECT_EQ(ungrouped[1].ints, (std::vector<int64_t>{1, 0, 1, 0, 0, 0, 0, 0}));
  EXPECT_EQ(byMax[1].ints, (std::vector<int64_t>{1, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(byTop2[1].ints, (std::vector<int64_t>{0, 0, 1, 1, 0, 0, 0, 0}));
  // Groups 1 and 2 compete: experts 2 and 3 still have the best scores.
  EXPECT_EQ(twoGroups[1].ints, (std::vector<int64_t>{0, 0, 1, 1, 0, 0, 0, 0}));
}

TEST_F(MoeKernel, SelectionBiasSelectsButDoesNotWeigh) {
  // Sigmoid scores; the bias makes expert 2 (logit 0) win, and its weight
  // is sigmoid(0) = 0.5, not the biased 2.5.
  MoeCase c;
  c.inputShape = {1, 4};
  c.topK = 1;
  c.softmax = false;
  c.selectionBias = true;
  std::vector<Tensor> in = tokenWithLogits(c, {1.0, 0.5, 0.0, -0.5});
  in.back() = floats({4}, {0, 0, 2, 0});
  std::vector<Tensor> out = run(moeIr(c), in);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].ints, (std::vector<int64_t>{0, 0, 1, 0}));
  std::vector<double> expert2 =
      naiveExpert(c, in, 2 + 3 * 2, in[0].floats.data());
  std::vector<double> expected;
  for (double y : expert2) {
    expected.push_back(0.5 * y);
  }
  expectTensorNear(out[0], {1, 4}, expected, 1e-6);
  // DeepSeek-V3 style: bias, groups by top-2 sum, normalise, scale 2.5.
  MoeCase v3;
  v3.inputShape = {2, 4, 8};
  v3.experts = 8;
  v3.topK = 3;
  v3.softmax = false;
  v3.selectionBias = true;
  v3.groups = 4;
  v3.topkGroups = 2;
  v3.top2Sum = true;
  v3.normalize = true;
  v3.scaling = 2.5;
  std::vector<Tensor> v3In = moeInputs(v3, 40);
  std::vector<Tensor> v3Out = run(moeIr(v3), v3In);
  expectMatchesNaive(v3, v3In, v3Out);
}

TEST_F(MoeKernel, SharedExpertIsAddedToEveryToken) {
  MoeCase c;
  c.inputShape = {6, 5};
  c.shared = true;
  std::vector<Tensor> in = moeInputs(c, 50);
  std::vector<Tensor> out = run(moeIr(c), in);
  expectMatchesNaive(c, in, out);
  // Without the shared expert the output drops by exactly shared(x).
  MoeCase routedOnly = c;
  routedOnly.shared = false;
  std::vector<Tensor> routedIn(in.begin(), in.end() - 3);
  std::vector<Tensor> routed = run(moeIr(routedOnly), routedIn);
  ASSERT_EQ(routed.size(), 3u);
  for (int t = 0; t < 6; ++t) {
    std::vector<double> shared =
        naiveExpert(c, in, 2 + 3 * c.experts, in[0].floats.data() + t * 5);
    for (int d = 0; d < 5; ++d) {
      EXPECT_NEAR(out[0].floats[t * 5 + d] - routed[0].floats[t * 5 + d],
                  shared[d], 1e-5);
    }
  }
}

TEST_F(MoeKernel, SwitchLossIsHuggingFacesFormula) {
  MoeCase c;
  c.inputShape = {16, 6};
  c.normalize = true;
  c.aux = "switch";
  c.auxCoefficient = 0.5;
  std::vector<Tensor> in = moeInputs(c, 60);
  std::vector<Tensor> out = run(moeIr(c), in);
  expectMatchesNaive(c, in, out);
  int64_t assignments = 0;
  for (int64_t n : out[1].ints) {
    assignments += n;
  }
  EXPECT_EQ(assignments, 16 * 2);
  // Sigmoid scoring still averages the softmax probabilities.
  c.softmax = false;
  std::vector<Tensor> sigmoid = run(moeIr(c), in);
  expectMatchesNaive(c, in, sigmoid);
}

TEST_F(MoeKernel, SequenceLossAveragesOverSequences) {
  MoeCase c;
  c.inputShape = {3, 8, 6};
  c.experts = 6;
  c.topK = 3;
  c.aux = "sequence";
  c.auxCoefficient = 0.001;
  std::vector<Tensor> in = moeInputs(c, 70);
  std::vector<Tensor> out = run(moeIr(c), in);
  expectMatchesNaive(c, in, out);
  EXPECT_GT(out[2].floats[0], 0.0f);
  c.softmax = false; // Averages the sigmoid scores instead.
  std::vector<Tensor> sigmoid = run(moeIr(c), in);
  expectMatchesNaive(c, in, sigmoid);
}

} // namespace
