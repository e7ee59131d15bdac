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
// The weighted sum y reads every expert's output, so they all live until
// it runs: E * T * D floats (2 GiB for one DeepSeekMoE-16B layer at 4096
// tokens). When that would pass the output budget (half of
// kiln-lower-to-linalg's `memory-budget-kib`), the experts are summed in
// as few groups as keep within it, of sizes differing by at most one, each
// group's sum as its experts finish: y_0 = shared + the first group's
// slots, y_g = y_{g-1} + group g's, each group's slots in slot order.
// Under the same budget kiln-schedule-regions keeps program order, so each
// group's outputs die at its sum and the next group reuses their memory.
// Each extra group reads y, writes it and loads all k slots' rows once
// more ((k + 2) T D floats; the select drops the slots outside the group
// after their loads, which keeps the loop free of branches), against the
// group's expert GEMMs; the terms of a token are then added group by
// group, which rounds differently from one sum in slot order.
//
// The row limit (passes/OpClassification.h) makes the generated code skip
// the row tiles past count_e and stop its GEMM row blocks at count_e, so the
// expert work is the routed rows' (it grows with top-k, not with the number
// of experts) and the weights are read in place. Every per-expert op reads
// its expert's tensors as operands and never the expert's number, so the
// dispatches of all experts are one executable.
//
// Memory: the buffers are sized T rows per expert; the outputs held at
// once grow with E * T up to the budget, the rows touched with k * T.
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/MoeExperts.h"
#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/BodyScalars.h"
#include "passes/OpClassification.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

#include <algorithm>

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

/// row[t, j] (i64): the row of token t's slot j in its expert's output,
/// prefix[t, e_j] - 1.
Value slotRows(GenericBuilder &g, Value indices, Value prefix) {
  auto type = cast<RankedTensorType>(indices.getType());
  return g.generic({indices}, {g.identity(2)}, i64Tensor(g, type.getShape()),
                   g.identity(2), GenericBuilder::parallel(2),
                   [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
                     BodyScalars s{nb, l};
                     Value t = linalg::IndexOp::create(nb, l, 0);
                     Value position = s.at(prefix, {t, s.toIndex(args[0])});
                     return arith::SubIOp::create(nb, l, position, s.i64(1));
                   });
}

/// How many weighted sums the experts take: one, unless their outputs
/// (`bytes` each) would take more than `budget` bytes together; then as few
/// as keep each group's outputs within it (a group holds at least one
/// expert).
int64_t combineGroups(int64_t numExperts, int64_t bytes, int64_t budget) {
  if (budget <= 0 || numExperts * bytes <= budget) {
    return 1;
  }
  int64_t most = std::max<int64_t>(1, budget / bytes);
  return llvm::divideCeil(numExperts, most);
}

/// y[t, :] = base[t, :] + sum over the slots j of token t whose expert e_j
/// is one of `outputs`' (experts first, first + 1, ...) of
/// w[t, j] o_{e_j}[row[t, j], :], in slot order; `base` null is 0.
Value combine(GenericBuilder &g, Value base, ArrayRef<Value> outputs,
              int64_t first, int64_t numExperts, Value weights, Value indices,
              Value rows) {
  auto outType = cast<RankedTensorType>(outputs.front().getType());
  int64_t k = cast<RankedTensorType>(indices.getType()).getDimSize(1);
  int64_t n = outputs.size();
  bool all = n == numExperts;
  // The group's last expert is the switch's default, so every region is
  // one load of the same element, which kiln-cpu-hoist-invariant-loads
  // turns into one pick of the buffer per token and slot. With every
  // expert in the group, expert ids (top-k over [0, E)) never reach
  // anything else; otherwise a slot outside the group adds nothing (a
  // select, not a product with 0: rows past an expert's count hold
  // anything, NaN included). Its row is still within every expert's T.
  SmallVector<int64_t> cases;
  for (int64_t e = 0; e + 1 < n; ++e) {
    cases.push_back(e);
  }
  SmallVector<Value> inputs;
  if (base) {
    inputs.push_back(base);
  }
  return g.generic(
      inputs, SmallVector<AffineMap>(inputs.size(), g.identity(2)),
      g.empty(outType.getShape(), outType.getElementType()), g.identity(2),
      GenericBuilder::parallel(2),
      [&](OpBuilder &nb, Location l, ValueRange args) -> Value {
        BodyScalars s{nb, l};
        Value t = linalg::IndexOp::create(nb, l, 0);
        Value col = linalg::IndexOp::create(nb, l, 1);
        Value sum =
            base ? args[0]
                 : arith::ConstantOp::create(nb, l, nb.getF32FloatAttr(0.0f));
        for (int64_t j = 0; j < k; ++j) {
          Value slot = s.idx(j);
          Value local = s.toIndex(s.at(indices, {t, slot}));
          if (first != 0) {
            local = arith::SubIOp::create(nb, l, local, s.idx(first));
          }
          Value row = s.toIndex(s.at(rows, {t, slot}));
          auto pick = scf::IndexSwitchOp::create(
              nb, l, TypeRange{nb.getF32Type()}, local, cases, cases.size());
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
          Value added = arith::AddFOp::create(nb, l, sum, term);
          if (all) {
            sum = added;
            continue;
          }
          // Unsigned: an expert below `first` wraps past n.
          Value inGroup = arith::CmpIOp::create(
              nb, l, arith::CmpIPredicate::ult, local, s.idx(n));
          sum = arith::SelectOp::create(nb, l, inGroup, added, sum);
        }
        return sum;
      });
}

} // namespace

Value lowerRoutedExperts(GenericBuilder &g, Value x, Value weights,
                         Value indices, ValueRange experts, Value shared,
                         int64_t outputBudget) {
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

  // Each expert over its rows; after each group of experts, their weighted
  // sum, so that only one group's outputs are live at once.
  Type f32 = b.getF32Type();
  int64_t searchSteps = llvm::Log2_64_Ceil(tokens) + 1;
  // Group g holds experts [g E / G, (g + 1) E / G): sizes that differ by at
  // most one, none above the budget's.
  int64_t groups = combineGroups(numExperts, tokens * d * 4, outputBudget);
  int64_t group = 0;
  Value y = shared, rows;
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
    if (e + 1 == (group + 1) * numExperts / groups) {
      ++group;
      if (!rows) {
        rows = slotRows(g, indices, prefix);
      }
      int64_t first = e + 1 - outputs.size();
      y = combine(g, y, outputs, first, numExperts, weights, indices, rows);
      // A later group's sum joining the first one's dispatch would keep
      // every output live until it.
      if (first != 0) {
        y.getDefiningOp()->setAttr(kStartsDispatchAttr, b.getUnitAttr());
      }
      outputs.clear();
    }
  }
  return y;
}

} // namespace kiln
