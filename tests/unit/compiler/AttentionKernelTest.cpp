//===- AttentionKernelTest.cpp - Attention, masks, GQA, empty rows --------===//
//
// The expectations come from a naive attention that builds each head's
// full score matrix with -inf at hidden keys (after repeat_kv for grouped
// queries), applies softmax row by row, and treats a row of only -inf as
// the op specifies: zeros, or (all_keys) the row without any mask.
//
//===----------------------------------------------------------------------===//

#include "tests/unit/compiler/InterpreterFixture.h"

#include <cmath>
#include <functional>

using namespace kiln::ref;
using namespace kiln::ref::test;

namespace {

using AttentionKernel = InterpreterTest;

/// The sizes and mask of one naive attention.
struct AttentionCase {
  int batch, sq, sk, heads, kvHeads, headDim;
  double scale;
  bool emptyZero = false;
  /// Whether query row i of batch b may see key j.
  std::function<bool(int, int, int)> visible = [](int, int, int) {
    return true;
  };
  /// The additive bias of (b, h, i, j).
  std::function<double(int, int, int, int)> bias = [](int, int, int, int) {
    return 0.0;
  };
};

static std::vector<double> naiveAttention(const AttentionCase &c,
                                          const Tensor &q, const Tensor &k,
                                          const Tensor &v) {
  int qWidth = c.heads * c.headDim, kvWidth = c.kvHeads * c.headDim;
  std::vector<double> out(c.batch * c.sq * qWidth, 0.0);
  for (int b = 0; b < c.batch; ++b) {
    for (int h = 0; h < c.heads; ++h) {
      int kvh = h / (c.heads / c.kvHeads); // repeat_kv
      auto dot = [&](int b, int h, int i, int j) {
        double sum = 0;
        for (int d = 0; d < c.headDim; ++d) {
          sum += double(q.floats[(b * c.sq + i) * qWidth + h * c.headDim + d]) *
                 k.floats[(b * c.sk + j) * kvWidth + kvh * c.headDim + d];
        }
        return sum;
      };
      for (int i = 0; i < c.sq; ++i) {
        std::vector<double> scores(c.sk, -INFINITY);
        for (int j = 0; j < c.sk; ++j) {
          if (!c.visible(b, i, j)) {
            continue;
          }
          scores[j] = dot(b, h, i, j) * c.scale + c.bias(b, h, i, j);
        }
        double max = -INFINITY;
        for (double s : scores) {
          max = std::max(max, s);
        }
        if (max == -INFINITY && c.emptyZero) {
          continue;
        }
        if (max == -INFINITY) {
          // all_keys: the row's mask (and bias) is dropped entirely.
          for (int j = 0; j < c.sk; ++j) {
            scores[j] = dot(b, h, i, j) * c.scale;
            max = std::max(max, scores[j]);
          }
        }
        std::vector<double> p(c.sk);
        double sum = 0;
        for (int j = 0; j < c.sk; ++j) {
          p[j] = std::exp(scores[j] - max);
          sum += p[j];
        }
        for (double &pj : p) {
          pj /= sum;
        }
        for (int j = 0; j < c.sk; ++j) {
          for (int d = 0; d < c.headDim; ++d) {
            out[(b * c.sq + i) * qWidth + h * c.headDim + d] +=
                p[j] * v.floats[(b * c.sk + j) * kvWidth + kvh * c.headDim + d];
          }
        }
      }
    }
  }
  return out;
}

/// A function @main(q, k, v[, mask]) returning one attention with `attrs`.
static std::string attentionIr(const AttentionCase &c, std::string attrs,
                               std::string maskType = "") {
  std::string q = tensorType({c.batch, c.sq, c.heads * c.headDim});
  std::string kv = tensorType({c.batch, c.sk, c.kvHeads * c.headDim});
  std::string maskArg = maskType.empty() ? "" : ", %m: " + maskType;
  std::string maskUse = maskType.empty() ? "" : " mask(%m)";
  std::string maskTypeUse = maskType.empty() ? "" : ", " + maskType;
  return "func.func @main(%q: " + q + ", %k: " + kv + ", %v: " + kv + maskArg +
         ") -> " + q + " {\n  %0 = kiln.attention %q, %k, %v" + maskUse + " {" +
         attrs + "} : (" + q + ", " + kv + ", " + kv + maskTypeUse + ") -> " +
         q + "\n  return %0 : " + q + "\n}\n";
}

/// Random q, k, v for `c`.
static std::vector<Tensor> qkv(const AttentionCase &c, uint32_t seed) {
  return {randomTensor({c.batch, c.sq, c.heads * c.headDim}, seed, -2, 2),
          randomTensor({c.batch, c.sk, c.kvHeads * c.headDim}, seed + 1, -2, 2),
          randomTensor({c.batch, c.sk, c.kvHeads * c.headDim}, seed + 2)};
}

TEST_F(AttentionKernel, OneHeadByHand) {
  AttentionCase c{1, 1, 2, 1, 1, 1, 1.0};
  std::vector<Tensor> out =
      run(attentionIr(c, "heads = 1 : i64, scale = 1.0 : f64"),
          {floats({1, 1, 1}, {1}), floats({1, 2, 1}, {0, 1}),
           floats({1, 2, 1}, {10, 20})});
  ASSERT_EQ(out.size(), 1u);
  double p1 = std::exp(1.0) / (1.0 + std::exp(1.0));
  expectTensorNear(out[0], {1, 1, 1}, {10 * (1 - p1) + 20 * p1}, 1e-7);
}

TEST_F(AttentionKernel, UnmaskedMultiHeadWithDefaultScale) {
  AttentionCase c{2, 3, 5, 2, 2, 4, 0.5}; // head_dim^-0.5
  std::vector<Tensor> in = qkv(c, 10);
  std::vector<Tensor> out = run(attentionIr(c, "heads = 2 : i64"), in);
  ASSERT_EQ(out.size(), 1u);
  expectTensorNear(out[0], {2, 3, 8}, naiveAttention(c, in[0], in[1], in[2]),
                   1e-6);
}

TEST_F(AttentionKernel, ScaleOnScoresOrQueryAgree) {
  AttentionCase c{1, 3, 4, 2, 2, 4, 0.3};
  std::vector<Tensor> in = qkv(c, 20);
  std::vector<double> expected = naiveAttention(c, in[0], in[1], in[2]);
  for (const char *placement : {"scores", "query"}) {
    std::vector<Tensor> out =
        run(attentionIr(c, "heads = 2 : i64, scale = 0.3 : f64, scale_on = " +
                               enumAttr("scale_placement", placement)),
            in);
    ASSERT_EQ(out.size(), 1u);
    expectTensorNear(out[0], {1, 3, 8}, expected, 1e-6);
  }
}

TEST_F(AttentionKernel, GroupedQueriesShareKvHeads) {
  AttentionCase gqa{2, 3, 4, 4, 2, 3, 1.0 / std::sqrt(3.0)};
  std::vector<Tensor> in = qkv(gqa, 30);
  std::vector<Tensor> grouped =
      run(attentionIr(gqa, "heads = 4 : i64, kv_heads = 2 : i64"), in);
  ASSERT_EQ(grouped.size(), 1u);
  expectTensorNear(grouped[0], {2, 3, 12},
                   naiveAttention(gqa, in[0], in[1], in[2]), 1e-6);
  // The same as multi-head attention on k and v with each kv head
  // repeated for its two query heads.
  AttentionCase mha = gqa;
  mha.kvHeads = 4;
  std::vector<Tensor> expanded = {in[0], Tensor::zerosF32({2, 4, 12}),
                                  Tensor::zerosF32({2, 4, 12})};
  for (int t = 0; t < 2; ++t) {
    for (int row = 0; row < 8; ++row) {
      for (int h = 0; h < 4; ++h) {
        for (int d = 0; d < 3; ++d) {
          expanded[t + 1].floats[row * 12 + h * 3 + d] =
              in[t + 1].floats[row * 6 + (h / 2) * 3 + d];
        }
      }
    }
  }
  std::vector<Tensor> reference =
      run(attentionIr(mha, "heads = 4 : i64"), expanded);
  ASSERT_EQ(reference.size(), 1u);
  EXPECT_EQ(grouped[0].floats, reference[0].floats);
}

TEST_F(AttentionKernel, CausalWithFewerQueriesThanKeys) {
  // Queries are the last 2 of 4 positions: row i sees keys j <= i + 2.
  AttentionCase c{2, 2, 4, 1, 1, 4, 0.5};
  c.visible = [](int, int i, int j) { return j <= i + 2; };
  std::vector<Tensor> in = qkv(c, 40);
  std::vector<Tensor> out =
      run(attentionIr(c, "heads = 1 : i64, mask = " +
                             enumAttr("mask_kind", "causal")),
          in);
  ASSERT_EQ(out.size(), 1u);
  expectTensorNear(out[0], {2, 2, 4}, naiveAttention(c, in[0], in[1], in[2]),
                   1e-6);
}

TEST_F(AttentionKernel, CausalRowsWithoutKeysSeeAllKeysOrZero) {
  // 4 queries, 2 keys: rows 0 and 1 see nothing (j <= i - 2).
  AttentionCase c{1, 4, 2, 1, 1, 2, 1.0 / std::sqrt(2.0)};
  c.visible = [](int, int i, int j) { return j <= i - 2; };
  std::vector<Tensor> in = qkv(c, 50);
  std::string causal =
      "heads = 1 : i64, mask = " + enumAttr("mask_kind", "causal");
  std::vector<Tensor> allKeys = run(attentionIr(c, causal), in);
  std::vector<Tensor> zero =
      run(attentionIr(
              c, causal + ", empty_rows = " + enumAttr("empty_rows", "zero")),
          in);
  std::vector<Tensor> unmasked = run(attentionIr(c, "heads = 1 : i64"), in);
  ASSERT_EQ(allKeys.size(), 1u);
  ASSERT_EQ(zero.size(), 1u);
  ASSERT_EQ(unmasked.size(), 1u);
  expectTensorNear(allKeys[0], {1, 4, 2},
                   naiveAttention(c, in[0], in[1], in[2]), 1e-6);
  // all_keys rows are the unmasked rows: ordinary softmax weights, not the
  // mean of the values.
  for (int e = 0; e < 4; ++e) {
    EXPECT_EQ(allKeys[0].floats[e], unmasked[0].floats[e]);
  }
  const std::vector<float> &v = in[2].floats;
  EXPECT_GT(std::fabs(allKeys[0].floats[0] - (v[0] + v[2]) / 2), 1e-4);
  c.emptyZero = true;
  expectTensorNear(zero[0], {1, 4, 2}, naiveAttention(c, in[0], in[1], in[2]),
                   1e-6);
  for (int e = 0; e < 4; ++e) {
    EXPECT_EQ(zero[0].floats[e], 0.0f);
  }
  EXPECT_EQ(zero[0].floats[4], allKeys[0].floats[4]);
}

TEST_F(AttentionKernel, KeyPaddingHidesKeysFromTheLength) {
  // Lengths 3, 0 (no key) and 9 (clamped to all 5).
  std::vector<int64_t> lengths = {3, 0, 9};
  AttentionCase c{3, 2, 5, 2, 1, 2, 0.5};
  c.visible = [&](int b, int, int j) { return j < lengths[b]; };
  std::vector<Tensor> in = qkv(c, 60);
  in.push_back(ints({3}, lengths));
  for (bool emptyZero : {false, true}) {
    c.emptyZero = emptyZero;
    std::string attrs = "heads = 2 : i64, kv_heads = 1 : i64, scale = 0.5 : "
                        "f64, mask = " +
                        enumAttr("mask_kind", "key_padding") +
                        ", empty_rows = " +
                        enumAttr("empty_rows", emptyZero ? "zero" : "all_keys");
    std::vector<Tensor> out =
        run(attentionIr(c, attrs, tensorType({3}, "i64")), in);
    ASSERT_EQ(out.size(), 1u);
    expectTensorNear(out[0], {3, 2, 4}, naiveAttention(c, in[0], in[1], in[2]),
                     1e-6);
  }
}

TEST_F(AttentionKernel, MaskedKeysGetProbabilityExactlyZero) {
  // Hidden value rows hold 1e30: any non-zero weight would dominate.
  AttentionCase c{1, 2, 4, 1, 1, 2, 1.0 / std::sqrt(2.0)};
  c.visible = [](int, int, int j) { return j < 2; };
  std::vector<Tensor> in = qkv(c, 70);
  for (int j = 2; j < 4; ++j) {
    in[2].floats[j * 2] = in[2].floats[j * 2 + 1] = 1e30f;
  }
  in.push_back(ints({1}, {2}));
  std::vector<Tensor> out = run(
      attentionIr(
          c, "heads = 1 : i64, mask = " + enumAttr("mask_kind", "key_padding"),
          tensorType({1}, "i32")),
      in);
  ASSERT_EQ(out.size(), 1u);
  expectTensorNear(out[0], {1, 2, 2}, naiveAttention(c, in[0], in[1], in[2]),
                   1e-6);
}

TEST_F(AttentionKernel, RowSpansGiveEachRowItsKeyRange) {
  // Spans [0, 3), [2, 6), [4, 4) (empty) and [-5, 99) (clamped to all).
  std::vector<int64_t> spans = {0, 3, 2, 6, 4, 4, -5, 99};
  AttentionCase c{1, 4, 6, 2, 2, 2, 0.5};
  c.visible = [&](int, int i, int j) {
    return j >= spans[2 * i] && j < spans[2 * i + 1];
  };
  std::vector<Tensor> in = qkv(c, 80);
  in.push_back(ints({1, 4, 2}, spans));
  for (bool emptyZero : {false, true}) {
    c.emptyZero = emptyZero;
    std::vector<Tensor> out = run(
        attentionIr(c,
                    "heads = 2 : i64, scale = 0.5 : f64, mask = " +
                        enumAttr("mask_kind", "row_spans") + ", empty_rows = " +
                        enumAttr("empty_rows", emptyZero ? "zero" : "all_keys"),
                    tensorType({1, 4, 2}, "i32")),
        in);
    ASSERT_EQ(out.size(), 1u);
    expectTensorNear(out[0], {1, 4, 4}, naiveAttention(c, in[0], in[1], in[2]),
                     1e-6);
  }
}

TEST_F(AttentionKernel, BiasBroadcastsAndHidesMinusInfinity) {
  // Bias [1, H, 1, Sk]: per head and key. Head 1 hides key 0 with -inf.
  AttentionCase c{2, 3, 3, 2, 2, 2, 1.0 / std::sqrt(2.0)};
  Tensor bias = floats({1, 2, 1, 3}, {0.5, -1, 2, -INFINITY, 0.25, 0});
  c.bias = [&](int, int h, int, int j) {
    return double(bias.floats[h * 3 + j]);
  };
  c.visible = [&](int, int, int j) { return true; };
  std::vector<Tensor> in = qkv(c, 90);
  in.push_back(bias);
  std::vector<Tensor> out = run(
      attentionIr(c, "heads = 2 : i64, mask = " + enumAttr("mask_kind", "bias"),
                  tensorType({1, 2, 1, 3})),
      in);
  ASSERT_EQ(out.size(), 1u);
  // The naive -inf bias gives exp(-inf) = 0 for key 0 of head 1.
  expectTensorNear(out[0], {2, 3, 4}, naiveAttention(c, in[0], in[1], in[2]),
                   1e-6);
}

TEST_F(AttentionKernel, BiasRowOfMinusInfinityIsAnEmptyRow) {
  // Bias [Sq, Sk]: row 1 hides every key.
  AttentionCase c{1, 2, 3, 1, 1, 2, 1.0 / std::sqrt(2.0)};
  Tensor bias = floats({2, 3}, {1, 0, -1, -INFINITY, -INFINITY, -INFINITY});
  c.visible = [](int, int i, int) { return i == 0; };
  c.bias = [&](int, int, int i, int j) {
    return i == 0 ? double(bias.floats[j]) : 0.0;
  };
  std::vector<Tensor> in = qkv(c, 100);
  in.push_back(bias);
  std::vector<Tensor> out = run(
      attentionIr(c, "heads = 1 : i64, mask = " + enumAttr("mask_kind", "bias"),
                  tensorType({2, 3})),
      in);
  ASSERT_EQ(out.size(), 1u);
  expectTensorNear(out[0], {1, 2, 2}, naiveAttention(c, in[0], in[1], in[2]),
                   1e-6);
}

} // namespace
