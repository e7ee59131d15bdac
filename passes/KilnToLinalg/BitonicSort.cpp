//===- BitonicSort.cpp - Rows of keys sorted by a sorting network ---------===//
//
// Batcher's bitonic network in the form whose exchanges all put the larger
// key first: for each run length 2w = 2, 4, .., P, slot i of a run's first
// half meets its mirror in the second half (a "mirror" stage), then slots
// w / 2, w / 4, .., 1 apart meet. A stage is one generic with one point per
// slot, reading its own key and its partner's from the previous stage's
// tensor; which slots meet depends on the slot alone, so every read is a
// plain load at a computed index and nothing waits on a comparison.
//
// Where a stage leaves its keys decides whether those loads are vectors.
// A stage at distance w < kWide runs over [.., P / 2w, 2w] in the row's
// order (its partner `j xor w`, or `2w - 1 - j` for a mirror, inside a run
// of at most 8 keys). A wider stage runs over [.., 2, P / 2w, w] and stores
// key `a 2w + h w + j` at (h, a, j): both halves of a run are then rows of
// w consecutive keys, and the next stage (at w / 2) finds its own run a's
// halves as consecutive keys of that tensor, at (a mod 2, a / 2, ..). A
// mirror stage reads the row's order (the stage before it is at distance
// 1), its partners running backwards. With every stage in the row's
// order, the partner `j xor w` was a gather for LLVM: such a stage at
// w >= 8 over 8 rows of 32768 keys took 0.15-0.25 ms, against 0.03-0.08
// ms since. Mirror stages at distances of 64 and more take 0.035 ms; at 8
// to 32 about 0.18 ms, because LLVM unrolls their loop over the run's w
// keys and vectorizes the loop over runs instead, with gathers (the
// other stages at those distances stay scalar there, at 0.06 ms).
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/BitonicSort.h"
#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/BodyScalars.h"
#include "passes/KilnToLinalg/GenericBuilder.h"

using namespace mlir;

namespace kiln {
namespace {

/// The narrowest distance whose stage stores its runs' halves apart.
constexpr int64_t kWide = 8;

/// A stage's result: the keys and the distance of the stage that wrote
/// them (0 for the keys before the first stage, in the row's order).
struct Keys {
  Value keys;
  int64_t half;
  bool split() const { return half >= kWide; }
};

class Network {
public:
  Network(GenericBuilder &g, RankedTensorType type)
      : g(g), b(g.builder()), i64(b.getI64Type()), rank(type.getRank()),
        rows(type.getShape().drop_back()), slots(type.getShape().back()) {}

  /// The stage at distance `half`, mirrored or not, after `previous`.
  Keys stage(const Keys &previous, int64_t half, bool mirror) {
    bool split = half >= kWide;
    SmallVector<int64_t> shape(rows);
    if (split) {
      shape.append({2, slots / (2 * half), half});
    } else {
      shape.append({slots / (2 * half), 2 * half});
    }
    unsigned loops = shape.size();
    Value result = g.generic(
        {}, {}, g.empty(shape, i64), g.identity(loops),
        GenericBuilder::parallel(loops),
        [&](OpBuilder &nb, Location l, ValueRange) {
          BodyScalars s{nb, l};
          SmallVector<Value> row;
          for (unsigned d = 0; d + 1 < rank; ++d) {
            row.push_back(linalg::IndexOp::create(nb, l, d));
          }
          // The run a, the slot's offset in it and its partner's, and
          // whether the slot is in the run's first half (the larger key).
          Value run, own, other, first;
          auto mul = [&](Value x, int64_t c) {
            return arith::MulIOp::create(nb, l, x, s.idx(c)).getResult();
          };
          auto sub = [&](int64_t c, Value x) {
            return arith::SubIOp::create(nb, l, s.idx(c), x).getResult();
          };
          if (split) {
            Value h = linalg::IndexOp::create(nb, l, rank - 1);
            run = linalg::IndexOp::create(nb, l, rank);
            Value j = linalg::IndexOp::create(nb, l, rank + 1);
            own = s.add(mul(h, half), j);
            Value otherHalf = mul(sub(1, h), half);
            other = s.add(otherHalf, mirror ? sub(half - 1, j) : j);
            first = s.cmpi(arith::CmpIPredicate::eq, h, s.idx(0));
          } else {
            run = linalg::IndexOp::create(nb, l, rank - 1);
            own = linalg::IndexOp::create(nb, l, rank);
            other = mirror ? sub(2 * half - 1, own)
                           : arith::XOrIOp::create(nb, l, own, s.idx(half))
                                 .getResult();
            first = s.cmpi(arith::CmpIPredicate::ult, own, s.idx(half));
          }
          Value mine = read(s, previous, row, run, own, half);
          Value theirs = read(s, previous, row, run, other, half);
          Value larger = arith::MaxUIOp::create(nb, l, mine, theirs);
          Value smaller = arith::MinUIOp::create(nb, l, mine, theirs);
          return arith::SelectOp::create(nb, l, first, larger, smaller)
              .getResult();
        });
    GenericBuilder::setElementCost(result, 2);
    if (!split) {
      SmallVector<int64_t> flat(rows);
      flat.push_back(slots);
      result = ReshapeOp::create(b, g.location(),
                                 RankedTensorType::get(flat, i64), result);
    }
    return {result, half};
  }

private:
  /// The key at `offset` of run `run` (of 2 `half` slots) from `previous`:
  /// in the row's order, or split by the stage at distance 2 `half`, whose
  /// run `run / 2` holds this run as its half `run mod 2`.
  Value read(BodyScalars &s, const Keys &previous, ArrayRef<Value> row,
             Value run, Value offset, int64_t half) {
    SmallVector<Value> at(row);
    if (!previous.split()) {
      at.push_back(
          s.add(arith::MulIOp::create(s.b, s.l, run, s.idx(2 * half)), offset));
    } else {
      assert(previous.half == 2 * half && "a split stage feeds its next one");
      at.push_back(arith::AndIOp::create(s.b, s.l, run, s.idx(1)));
      at.push_back(arith::ShRUIOp::create(s.b, s.l, run, s.idx(1)));
      at.push_back(offset);
    }
    return s.at(previous.keys, at);
  }

  GenericBuilder &g;
  OpBuilder &b;
  Type i64;
  unsigned rank;
  ArrayRef<int64_t> rows;
  int64_t slots;
};

} // namespace

Value sortRowsDescending(GenericBuilder &g, Value keys) {
  auto type = cast<RankedTensorType>(keys.getType());
  assert(llvm::isPowerOf2_64(type.getShape().back()) && "whole stages only");
  Network network(g, type);
  Keys sorted{keys, 0};
  for (int64_t run = 2; run <= type.getShape().back(); run *= 2) {
    sorted = network.stage(sorted, run / 2, /*mirror=*/true);
    for (int64_t half = run / 4; half >= 1; half /= 2) {
      sorted = network.stage(sorted, half, /*mirror=*/false);
    }
  }
  return sorted.keys;
}

} // namespace kiln
