//===- MoeExperts.cpp - Routed experts over their own tokens only ---------===//
//
// Grouped expert GEMMs with shapes fixed at compile time and row counts
// known only at run time. Each expert gets a buffer of T rows (T tokens: no
// expert can get more) and the count of rows it uses:
//
//   member[t, e]   1 when one of token t's slots chose expert e
//   prefix[t, e]   sum of member[t', e] over t' <= t (blocked: sums of
//                  blocks of 32 tokens, then the rest of t's block)
//   prefix_e[t]    prefix[t, e], one tensor per expert (one generic)
//   count_e        max of prefix_e: the rows expert e uses
//   token_e[c]     the token of row c: the first t with prefix_e[t] > c
//                  (a binary search; rows past count_e repeat the last token)
//   xg_e[c, :]     x[token_e[c], :]                       row-limited
//   h_e            silu(xg_e gate_e^T) * (xg_e up_e^T)     row-limited GEMMs
//   o_e            h_e down_e^T                            row-limited GEMM
//   y[t, :]        shared[t, :] + sum_j w[t, j] o_{e_j}[prefix[t, e_j] - 1, :]
//
// The row limit (passes/OpClassification.h) makes the generated code skip
// the row tiles past count_e and stop its GEMM row blocks at count_e, so the
// expert work is the routed rows' (it grows with top-k, not with the number
// of experts) and the weights are read in place. Every per-expert op reads
// its expert's tensors as operands and never the expert's number, so the
// dispatches of all experts are one executable.
//
// Memory: the buffers are sized T rows per expert; the arena grows with
// E * T, the rows touched with k * T.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/MoeExperts.h"
#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/BodyScalars.h"
#include "passes/OpClassification.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace kiln {
namespace {

constexpr int64_t kPrefixBlock = 32;

Value i64Tensor(GenericBuilder &g, ArrayRef<int64_t> shape) {
  return g.empty(shape, g.builder().getI64Type());
}

/// C [T, N] = A [T, K] B^T (B [N, K]) over the first `count` rows of A,
/// `expected` of them on average.
Value rowLimitedLinear(GenericBuilder &g, Value a, Value weight, Value count,
                       int64_t expected) {
  OpBuilder &b = g.builder();
  int64_t rows = cast<RankedTensorType>(a.getType()).getDimSize(0);
  int64_t cols = cast<RankedTensorType>(weight.getType()).getDimSize(0);
  Value c = g.generic(
      {a, weight, count}, {g.dims(3, {0, 2}), g.dims(3, {1, 2}), g.dims(3, {})},
      g.filled({rows, cols}, 0.0), g.dims(3, {0, 1}),
      {utils::IteratorType::parallel, utils::IteratorType::parallel,
       utils::IteratorType::reduction},
      [](OpBuilder &nb, Location l, ValueRange args) {
        Value product = arith::MulFOp::create(nb, l, args[0], args[1]);
        return arith::AddFOp::create(nb, l, args[3], product).getResult();
      });
  c.getDefiningOp()->setAttr(kRowLimitAttr, b.getI64IntegerAttr(expected));
  return c;
}

} // namespace

Value lowerRoutedExperts(GenericBuilder &g, Value x, Value weights,
                         Value indices, ValueRange experts, Value shared) {
  OpBuilder &b = g.builder();
  Location loc = g.location();
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t tokens = xType.getDimSize(0), d = xType.getDimSize(1);
  int64_t k = cast<RankedTensorType>(indices.getType()).getDimSize(1);
  int64_t numExperts = experts.size() / 3;
  // Rows per expert with a balanced router: each token sends k rows.
  int64_t expected = llvm::divideCeil(tokens * k, numExperts);
  auto parallel = GenericBuilder::parallel;

  // member[t, e]
  Value member = g.generic(
      {}, {}, i64Tensor(g, {tokens, numExperts}), g.identity(2), parallel(2),
      [&](OpBuilder &nb, Location l, ValueRange) -> Value {
        BodyScalars s{nb, l};
        Value t = linalg::IndexOp::create(nb, l, 0);
        Value e = s.toI64(linalg::IndexOp::create(nb, l, 1));
        Value hit = arith::ConstantOp::create(nb, l, nb.getBoolAttr(false));
        for (int64_t j = 0; j < k; ++j) {
          Value chosen = s.at(indices, {t, s.idx(j)});
          hit = arith::OrIOp::create(
              nb, l, hit,
              arith::CmpIOp::create(nb, l, arith::CmpIPredicate::eq, chosen,
                                    e));
        }
        return arith::ExtUIOp::create(nb, l, nb.getI64Type(), hit);
      });
  // blockSums[blk, e], then prefix[t, e].
  int64_t blocks = llvm::divideCeil(tokens, kPrefixBlock);
  Value blockSums = g.generic(
      {}, {}, i64Tensor(g, {blocks, numExperts}), g.identity(2), parallel(2),
      [&](OpBuilder &nb, Location l, ValueRange) -> Value {
        BodyScalars s{nb, l};
        Value blk = linalg::IndexOp::create(nb, l, 0);
        Value e = linalg::IndexOp::create(nb, l, 1);
        Value first = arith::MulIOp::create(nb, l, blk, s.idx(kPrefixBlock));
        Value end = arith::MinUIOp::create(
            nb, l, s.add(first, s.idx(kPrefixBlock)), s.idx(tokens));
        return s.sum(first, end, [&](Value t) { return s.at(member, {t, e}); });
      });
  Value prefix = g.generic(
      {}, {}, i64Tensor(g, {tokens, numExperts}), g.identity(2), parallel(2),
      [&](OpBuilder &nb, Location l, ValueRange) -> Value {
        BodyScalars s{nb, l};
        Value t = linalg::IndexOp::create(nb, l, 0);
        Value e = linalg::IndexOp::create(nb, l, 1);
        Value blk = arith::DivUIOp::create(nb, l, t, s.idx(kPrefixBlock));
        Value before = s.sum(s.idx(0), blk,
                             [&](Value i) { return s.at(blockSums, {i, e}); });
        Value first = arith::MulIOp::create(nb, l, blk, s.idx(kPrefixBlock));
        Value within = s.sum(first, s.add(t, s.idx(1)),
                             [&](Value i) { return s.at(member, {i, e}); });
        return s.add(before, within);
      });
  // prefix_e, one tensor per expert.
  SmallVector<Value> inits;
  for (int64_t e = 0; e < numExperts; ++e) {
    inits.push_back(i64Tensor(g, {tokens}));
  }
  SmallVector<Value> prefixOf = g.generic(
      {}, {}, inits, SmallVector<AffineMap>(numExperts, g.identity(1)),
      parallel(1),
      [&](OpBuilder &nb, Location l, ValueRange) -> SmallVector<Value> {
        BodyScalars s{nb, l};
        Value t = linalg::IndexOp::create(nb, l, 0);
        SmallVector<Value> columns;
        for (int64_t e = 0; e < numExperts; ++e) {
          columns.push_back(s.at(prefix, {t, s.idx(e)}));
        }
        return columns;
      });

  // Each expert over its rows.
  Type f32 = b.getF32Type();
  int64_t searchSteps = llvm::Log2_64_Ceil(tokens) + 1;
  SmallVector<Value> outputs;
  for (int64_t e = 0; e < numExperts; ++e) {
    Value zero = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
    Value count = g.generic(
        {prefixOf[e]}, {g.dims(1, {0})},
        linalg::FillOp::create(b, loc, ValueRange{zero},
                               ValueRange{i64Tensor(g, {})})
            .getResult(0),
        g.dims(1, {}), {utils::IteratorType::reduction},
        [](OpBuilder &nb, Location l, ValueRange args) {
          return arith::MaxSIOp::create(nb, l, args[0], args[1]).getResult();
        });
    Value prefixE = prefixOf[e];
    Value token = g.generic(
        {}, {}, i64Tensor(g, {tokens}), g.identity(1), parallel(1),
        [&](OpBuilder &nb, Location l, ValueRange) -> Value {
          BodyScalars s{nb, l};
          Value row = s.toI64(linalg::IndexOp::create(nb, l, 0));
          // The first t in [lo, hi] with prefix_e[t] > row.
          auto loop = scf::ForOp::create(
              nb, l, s.idx(0), s.idx(searchSteps), s.idx(1),
              ValueRange{s.idx(0), s.idx(tokens - 1)},
              [&](OpBuilder &lb, Location, Value, ValueRange range) {
                BodyScalars in{lb, l};
                Value lo = range[0], hi = range[1];
                Value mid =
                    arith::DivUIOp::create(lb, l, in.add(lo, hi), in.idx(2));
                Value above =
                    arith::CmpIOp::create(lb, l, arith::CmpIPredicate::sgt,
                                          in.at(prefixE, {mid}), row);
                Value next =
                    arith::MinUIOp::create(lb, l, in.add(mid, in.idx(1)), hi);
                scf::YieldOp::create(
                    lb, l,
                    ValueRange{arith::SelectOp::create(lb, l, above, lo, next),
                               arith::SelectOp::create(lb, l, above, mid, hi)});
              });
          return s.toI64(loop.getResult(0));
        });
    Value gathered =
        g.generic({token, count}, {g.dims(2, {0}), g.dims(2, {})},
                  g.empty({tokens, d}, f32), g.identity(2), parallel(2),
                  [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                    BodyScalars s{nb, l};
                    return s.at(x, {s.toIndex(args[0]),
                                    linalg::IndexOp::create(nb, l, 1)});
                  });
    gathered.getDefiningOp()->setAttr(kRowLimitAttr,
                                      b.getI64IntegerAttr(expected));

    ValueRange w = experts.slice(3 * e, 3);
    Value gate = rowLimitedLinear(g, gathered, w[0], count, expected);
    Value activated = SiluOp::create(b, loc, gate);
    Value up = rowLimitedLinear(g, gathered, w[1], count, expected);
    Value hidden = MulOp::create(b, loc, up.getType(), activated, up);
    outputs.push_back(rowLimitedLinear(g, hidden, w[2], count, expected));
  }

  // row[t, j]: the row of token t's slot j in its expert's output.
  Value rows = g.generic(
      {indices}, {g.identity(2)}, i64Tensor(g, {tokens, k}), g.identity(2),
      parallel(2), [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        BodyScalars s{nb, l};
        Value t = linalg::IndexOp::create(nb, l, 0);
        Value position = s.at(prefix, {t, s.toIndex(args[0])});
        return arith::SubIOp::create(nb, l, position, s.i64(1));
      });
  // y[t, :] = shared[t, :] + sum_j w[t, j] o_{e_j}[row[t, j], :]
  // Expert ids come from top-k over [0, E), so the last expert is the
  // switch's default: every region is then one load of the same element,
  // which kiln-cpu-hoist-invariant-loads turns into one pick of the buffer
  // per token and slot.
  SmallVector<int64_t> cases;
  for (int64_t e = 0; e + 1 < numExperts; ++e) {
    cases.push_back(e);
  }
  SmallVector<Value> inputs;
  if (shared) {
    inputs.push_back(shared);
  }
  return g.generic(
      inputs, SmallVector<AffineMap>(inputs.size(), g.identity(2)),
      g.empty({tokens, d}, f32), g.identity(2), parallel(2),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        BodyScalars s{nb, l};
        Value t = linalg::IndexOp::create(nb, l, 0);
        Value col = linalg::IndexOp::create(nb, l, 1);
        Value sum =
            shared ? args[0]
                   : arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0.0f));
        for (int64_t j = 0; j < k; ++j) {
          Value slot = s.idx(j);
          Value expert = s.toIndex(s.at(indices, {t, slot}));
          Value row = s.toIndex(s.at(rows, {t, slot}));
          auto pick = scf::IndexSwitchOp::create(nb, l, TypeRange{f32}, expert,
                                                 cases, cases.size());
          for (auto [region, output] :
               llvm::zip(pick.getCaseRegions(), outputs)) {
            OpBuilder::InsertionGuard guard(nb);
            nb.createBlock(&region);
            scf::YieldOp::create(nb, l, s.at(output, {row, col}));
          }
          {
            OpBuilder::InsertionGuard guard(nb);
            nb.createBlock(&pick.getDefaultRegion());
            scf::YieldOp::create(nb, l, s.at(outputs.back(), {row, col}));
          }
          Value term = arith::MulFOp::create(nb, l, s.at(weights, {t, slot}),
                                             pick.getResult(0));
          sum = arith::AddFOp::create(nb, l, sum, term);
        }
        return sum;
      });
}

} // namespace kiln
