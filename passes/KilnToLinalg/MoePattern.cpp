//===- MoePattern.cpp - Mixture of experts as dense linalg ----------------===//
//
// The structured lowering of kiln.moe, written with kiln ops (which the same
// conversion lowers in turn) and a few routing generics:
//   logits = x R^T; scores = softmax or sigmoid(logits)
//   eligible[t, e]  expert e's group is among the best topk_groups
//   rank[t, e]      eligible experts ranked by selection value, ties to the
//                   lower index
//   w, idx [T, K]   slot k holds the expert of rank k and its weight
//   y = shared(x) + sum over slots k of w[:, k] * expert_idx[:, k](x)
// The experts run over the tokens routed to them only (MoeExperts.cpp); the
// shared experts run densely, their sum the start of the weighted sum.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/BodyScalars.h"
#include "passes/KilnToLinalg/GenericBuilder.h"
#include "passes/KilnToLinalg/KilnToLinalgPatterns.h"
#include "passes/KilnToLinalg/MoeExperts.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;

namespace kiln {
namespace {

struct LowerMoe : OpConversionPattern<MoeOp> {
  LowerMoe(MLIRContext *context, int64_t outputBudget)
      : OpConversionPattern(context), outputBudget(outputBudget) {}

  LogicalResult
  matchAndRewrite(MoeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type(), i64 = rewriter.getI64Type();
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    int64_t d = inputType.getShape().back();
    int64_t tokens = inputType.getNumElements() / d;
    int64_t experts = op.getNumExperts(), k = op.getTopK();
    auto t2 = [&](int64_t a, int64_t c, Type e) {
      return RankedTensorType::get({a, c}, e);
    };
    Value x = ReshapeOp::create(rewriter, loc, t2(tokens, d, f32),
                                adaptor.getInput());

    // Router scores and the values experts are selected by.
    Value logits = LinearOp::create(rewriter, loc, t2(tokens, experts, f32), x,
                                    adaptor.getRouter(), Value());
    bool sigmoid = op.getScoring() == MoeScoring::Sigmoid;
    Value scores =
        sigmoid
            ? SigmoidOp::create(rewriter, loc, logits).getResult()
            : SoftmaxOp::create(rewriter, loc, logits, -1, true).getResult();
    bool topkFirst = op.getOrder() == MoeOrder::TopKThenScore;
    Value select = topkFirst ? logits : scores;
    if (Value bias = adaptor.getSelectionBias()) {
      select =
          AddOp::create(rewriter, loc, t2(tokens, experts, f32), select, bias);
    }
    Value eligible = eligibleExperts(g, op, select, tokens, experts);
    Value rank = ranks(g, select, eligible, tokens, experts);
    auto [weights, indices] =
        route(g, op, logits, scores, eligible, rank, tokens, experts, k);

    Value shared;
    if (!adaptor.getShared().empty()) {
      ValueRange sw = adaptor.getShared();
      shared = expert(rewriter, loc, x, sw[0], sw[1], sw[2], tokens, d);
    }
    Value y = lowerRoutedExperts(g, x, weights, indices, adaptor.getExperts(),
                                 shared, outputBudget);
    Value result = ReshapeOp::create(rewriter, loc, inputType, y);

    // counts[e] = #{(t, k) : idx[t, k] == e}
    Value counts = g.generic(
        indices, {g.dims(3, {1, 2})},
        linalg::FillOp::create(
            rewriter, loc,
            ValueRange{arith::ConstantOp::create(
                rewriter, loc, rewriter.getI64IntegerAttr(0))},
            ValueRange{g.empty({experts}, i64)})
            .getResult(0),
        g.dims(3, {0}),
        {utils::IteratorType::parallel, utils::IteratorType::reduction,
         utils::IteratorType::reduction},
        [](OpBuilder &b, Location l, ValueRange a) {
          Value e = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, 0));
          Value hit =
              arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, a[0], e);
          Value one = arith::ExtUIOp::create(b, l, b.getI64Type(), hit);
          return arith::AddIOp::create(b, l, a[1], one).getResult();
        });
    // The switch loss averages softmax probabilities whatever the scoring.
    Value auxScores = scores;
    if (sigmoid && op.getAuxLoss() == AuxLoss::Switch) {
      auxScores = SoftmaxOp::create(rewriter, loc, logits, -1, true);
    }
    Value aux =
        auxLoss(rewriter, g, op, auxScores, indices, tokens, experts, k);
    rewriter.replaceOp(op, {result, counts, aux});
    return success();
  }

  /// down(silu(gate x) * up x) for tokens x [T, D].
  static Value expert(OpBuilder &b, Location loc, Value x, Value gate, Value up,
                      Value down, int64_t tokens, int64_t d) {
    int64_t hidden = cast<RankedTensorType>(gate.getType()).getDimSize(0);
    auto hiddenType = RankedTensorType::get({tokens, hidden}, b.getF32Type());
    Value a = LinearOp::create(b, loc, hiddenType, x, gate, Value());
    Value u = LinearOp::create(b, loc, hiddenType, x, up, Value());
    Value h = MulOp::create(b, loc, hiddenType,
                            SiluOp::create(b, loc, a).getResult(), u);
    return LinearOp::create(b, loc,
                            RankedTensorType::get({tokens, d}, b.getF32Type()),
                            h, down, Value());
  }

  /// eligible[t, e] (1 or 0): expert e's group is among the `topk_groups`
  /// best groups of token t (all experts when there is one group).
  static Value eligibleExperts(GenericBuilder &g, MoeOp op, Value select,
                               int64_t tokens, int64_t experts) {
    int64_t groups = op.getGroups(), per = experts / groups;
    int64_t keep = op.getTopkGroups();
    bool top2 = op.getGroupScore() == GroupScore::Top2Sum;
    return g.generic(
        {}, {}, g.empty({tokens, experts}, g.builder().getF32Type()),
        g.identity(2), GenericBuilder::parallel(2),
        [&](OpBuilder &b, Location l, ValueRange) -> Value {
          BodyScalars r{b, l};
          if (groups == 1) {
            return r.f32(1.0);
          }
          Value t = linalg::IndexOp::create(b, l, 0);
          Value e = linalg::IndexOp::create(b, l, 1);
          auto value = [&](Value expert) {
            return tensor::ExtractOp::create(b, l, select,
                                             ValueRange{t, expert})
                .getResult();
          };
          // Score of group `grp`: its max, or the sum of its two largest.
          auto groupScore = [&](Value grp) -> Value {
            Value first = arith::MulIOp::create(b, l, grp, r.idx(per));
            ValueRange best = r.forEach(
                per, {r.f32(-INFINITY), r.f32(-INFINITY)},
                [&](Value i, ValueRange c) -> SmallVector<Value> {
                  Value v = value(arith::AddIOp::create(b, l, first, i));
                  Value above1 = r.ranksAbove(v, c[0]);
                  Value above2 = r.ranksAbove(v, c[1]);
                  Value m1 = arith::SelectOp::create(b, l, above1, v, c[0]);
                  Value m2 = arith::SelectOp::create(
                      b, l, above1, c[0],
                      arith::SelectOp::create(b, l, above2, v, c[1]));
                  return {m1, m2};
                });
            // A group of one expert has no second member: its top-2 sum
            // is that expert's key alone (not key + -inf).
            return top2 && per > 1
                       ? arith::AddFOp::create(b, l, best[0], best[1])
                             .getResult()
                       : best[0];
          };
          Value mine = arith::DivUIOp::create(b, l, e, r.idx(per));
          Value myScore = groupScore(mine);
          Value rank = r.forEach(
              groups, {r.idx(0)},
              [&](Value grp, ValueRange c) -> SmallVector<Value> {
                Value ahead = r.before(groupScore(grp), grp, myScore, mine);
                return {arith::SelectOp::create(
                    b, l, ahead, arith::AddIOp::create(b, l, c[0], r.idx(1)),
                    c[0])};
              })[0];
          Value kept = r.cmpi(arith::CmpIPredicate::slt, rank, r.idx(keep));
          return arith::SelectOp::create(b, l, kept, r.f32(1.0), r.f32(0.0));
        });
  }

  /// rank[t, e]: how many eligible experts come before e.
  static Value ranks(GenericBuilder &g, Value select, Value eligible,
                     int64_t tokens, int64_t experts) {
    OpBuilder &builder = g.builder();
    return g.generic(
        {select}, {g.identity(2)},
        g.empty({tokens, experts}, builder.getI64Type()), g.identity(2),
        GenericBuilder::parallel(2),
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          BodyScalars r{b, l};
          Value t = linalg::IndexOp::create(b, l, 0);
          Value e = linalg::IndexOp::create(b, l, 1);
          Value count = r.forEach(
              experts, {r.idx(0)},
              [&](Value other, ValueRange c) -> SmallVector<Value> {
                Value v = tensor::ExtractOp::create(b, l, select,
                                                    ValueRange{t, other});
                Value ok = r.cmpf(arith::CmpFPredicate::OGT,
                                  tensor::ExtractOp::create(
                                      b, l, eligible, ValueRange{t, other}),
                                  r.f32(0.5));
                Value ahead = arith::AndIOp::create(
                    b, l, ok, r.before(v, other, a[0], e));
                return {arith::SelectOp::create(
                    b, l, ahead, arith::AddIOp::create(b, l, c[0], r.idx(1)),
                    c[0])};
              })[0];
          return arith::IndexCastOp::create(b, l, b.getI64Type(), count);
        });
  }

  /// Slot k of token t: the eligible expert of rank k and its weight.
  static std::pair<Value, Value>
  route(GenericBuilder &g, MoeOp op, Value logits, Value scores, Value eligible,
        Value rank, int64_t tokens, int64_t experts, int64_t k) {
    OpBuilder &builder = g.builder();
    bool topkFirst = op.getOrder() == MoeOrder::TopKThenScore;
    bool sigmoid = op.getScoring() == MoeScoring::Sigmoid;
    bool normalize = op.getNormalize();
    double scaling = op.getScalingFactor().convertToDouble();
    SmallVector<Value> results = g.generic(
        {}, {},
        {g.empty({tokens, k}, builder.getF32Type()),
         g.empty({tokens, k}, builder.getI64Type())},
        {g.identity(2), g.identity(2)}, GenericBuilder::parallel(2),
        [&](OpBuilder &b, Location l, ValueRange) -> SmallVector<Value> {
          BodyScalars r{b, l};
          Value t = linalg::IndexOp::create(b, l, 0);
          Value slot = linalg::IndexOp::create(b, l, 1);
          auto at = [&](Value tensor, Value e) {
            return tensor::ExtractOp::create(b, l, tensor, ValueRange{t, e})
                .getResult();
          };
          auto rankOf = [&](Value e) {
            return arith::IndexCastOp::create(b, l, b.getIndexType(),
                                              at(rank, e))
                .getResult();
          };
          auto selected = [&](Value e, Value below) {
            Value ok =
                r.cmpf(arith::CmpFPredicate::OGT, at(eligible, e), r.f32(0.5));
            return arith::AndIOp::create(
                b, l, ok, r.cmpi(arith::CmpIPredicate::slt, rankOf(e), below));
          };
          // The raw weight of a selected expert, before normalisation.
          Value top = Value();
          if (topkFirst && !sigmoid) {
            // Softmax over the selected logits: shift by the rank-0 one.
            top = r.forEach(
                experts, {r.f32(-INFINITY)},
                [&](Value e, ValueRange c) -> SmallVector<Value> {
                  Value first = arith::AndIOp::create(
                      b, l,
                      r.cmpf(arith::CmpFPredicate::OGT, at(eligible, e),
                             r.f32(0.5)),
                      r.cmpi(arith::CmpIPredicate::eq, rankOf(e), r.idx(0)));
                  return {arith::SelectOp::create(b, l, first, at(logits, e),
                                                  c[0])};
                })[0];
          }
          auto raw = [&](Value e) -> Value {
            if (!topkFirst) {
              return at(scores, e);
            }
            if (sigmoid) {
              return at(scores, e);
            }
            return math::ExpOp::create(
                b, l, arith::SubFOp::create(b, l, at(logits, e), top));
          };
          ValueRange found = r.forEach(
              experts, {r.idx(0)},
              [&](Value e, ValueRange c) -> SmallVector<Value> {
                Value hit = arith::AndIOp::create(
                    b, l,
                    r.cmpf(arith::CmpFPredicate::OGT, at(eligible, e),
                           r.f32(0.5)),
                    r.cmpi(arith::CmpIPredicate::eq, rankOf(e), slot));
                return {arith::SelectOp::create(b, l, hit, e, c[0])};
              });
          Value chosen = found[0];
          Value weight = raw(chosen);
          bool softmaxOfSelected = topkFirst && !sigmoid;
          if (normalize || softmaxOfSelected) {
            Value total = r.forEach(
                experts, {r.f32(0.0)},
                [&](Value e, ValueRange c) -> SmallVector<Value> {
                  Value in = selected(e, r.idx(op.getTopK()));
                  Value sum = arith::AddFOp::create(b, l, c[0], raw(e));
                  return {arith::SelectOp::create(b, l, in, sum, c[0])};
                })[0];
            if (normalize && !softmaxOfSelected) {
              total = arith::AddFOp::create(b, l, total, r.f32(1e-20));
            }
            weight = arith::DivFOp::create(b, l, weight, total);
          }
          if (scaling != 1.0) {
            weight = arith::MulFOp::create(b, l, weight, r.f32(scaling));
          }
          return {weight,
                  arith::IndexCastOp::create(b, l, b.getI64Type(), chosen)};
        });
    return {results[0], results[1]};
  }

  /// The load-balancing loss chosen by `aux_loss`, times its coefficient.
  static Value auxLoss(OpBuilder &b, GenericBuilder &g, MoeOp op, Value scores,
                       Value indices, int64_t tokens, int64_t experts,
                       int64_t k) {
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    auto scalar = RankedTensorType::get({}, f32);
    double coefficient = op.getAuxCoefficient().convertToDouble();
    if (op.getAuxLoss() == AuxLoss::None) {
      return arith::ConstantOp::create(b, loc,
                                       DenseElementsAttr::get(scalar, 0.0f));
    }
    // Per (group of tokens, expert) assignment counts as floats; a group is
    // the whole batch (switch) or one sequence (sequence).
    bool sequence = op.getAuxLoss() == AuxLoss::Sequence;
    auto shape = cast<RankedTensorType>(op.getInput().getType()).getShape();
    int64_t groups = sequence ? shape[0] : 1, per = tokens / groups;
    auto groupedScores = ReshapeOp::create(
        b, loc, RankedTensorType::get({groups, per, experts}, f32), scores);
    auto groupedIndices = ReshapeOp::create(
        b, loc, RankedTensorType::get({groups, per, k}, b.getI64Type()),
        indices);
    Value counts = g.generic(
        groupedIndices.getResult(), {g.dims(4, {0, 2, 3})},
        g.filled({groups, experts}, 0.0), g.dims(4, {0, 1}),
        {utils::IteratorType::parallel, utils::IteratorType::parallel,
         utils::IteratorType::reduction, utils::IteratorType::reduction},
        [](OpBuilder &nb, Location l, ValueRange a) {
          Value e = arith::IndexCastOp::create(
              nb, l, nb.getI64Type(), linalg::IndexOp::create(nb, l, 1));
          Value hit =
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, a[0], e);
          Value one = arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(1));
          Value add = arith::AddFOp::create(nb, l, a[1], one);
          return arith::SelectOp::create(nb, l, hit, add, a[1]).getResult();
        });
    auto perGroup = RankedTensorType::get({groups, experts}, f32);
    Value meanScores = ReduceOp::create(
        b, loc, perGroup, ReduceKindAttr::get(b.getContext(), ReduceKind::Mean),
        groupedScores, b.getDenseI64ArrayAttr({1}), UnitAttr());
    // switch: E * sum_e (counts_e / T) P_e; sequence: mean_b sum_e
    // counts_be / (S k / E) * P_be. Both are (factor) * mean_b sum_e c P.
    double factor = sequence ? static_cast<double>(experts) / (per * k)
                             : static_cast<double>(experts) / tokens;
    factor *= coefficient;
    Value product = MulOp::create(b, loc, perGroup, counts, meanScores);
    Value total = ReduceOp::create(
        b, loc, scalar, ReduceKindAttr::get(b.getContext(), ReduceKind::Sum),
        product, b.getDenseI64ArrayAttr({0, 1}), UnitAttr());
    Value scale = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(scalar, static_cast<float>(factor / groups)));
    return MulOp::create(b, loc, scalar, total, scale);
  }

  /// Bytes the routed experts' outputs may take at once (0: no limit).
  int64_t outputBudget;
};

} // namespace

void populateMoeLoweringPatterns(RewritePatternSet &patterns,
                                 int64_t memoryBudgetKib) {
  // Half the budget, in bytes; any budget too large to count in bytes
  // never groups.
  int64_t half =
      memoryBudgetKib <= 0 ||
              memoryBudgetKib > std::numeric_limits<int64_t>::max() / 512
          ? 0
          : memoryBudgetKib * 512;
  patterns.add<LowerMoe>(patterns.getContext(), half);
}

} // namespace kiln
