//===- BitonicSort.cpp - Rows of keys sorted by a sorting network ---------===//
//
// Batcher's bitonic network in the form whose exchanges all put the larger
// key first: for each run length 2w = 2, 4, .., P, slot i of a run's first
// half meets its mirror in the second half (a "mirror" stage), then slots
// w / 2, w / 4, .., 1 apart meet. Which slots meet depends on the slot
// alone, so every read is a plain load at a computed index and nothing
// waits on a comparison.
//
// Every stage reads and writes every key, so the stages are bound by that
// traffic: one generic (a "wide pass") runs up to kStagesPerPass stages of
// a merge at distances above kWide, and the stage at kWide one of its own.
// A wide pass's point at slot i computes the slot's key after its s stages
// from the keys that reach it. Its points are (h_1, .., h_s, a, j),
// slot `a 2 d_1 + h_1 d_1 + .. + h_s d_s + j` for the stages' distances
// d_t (j < d_s), and it stores its keys as it iterates, [.., 2, .., 2,
// P / 2 d_1, d_s] (a "digit" layout), where the next generic finds slot i
// from i's bits. A point reads the run's 2^s slots `e_1 d_1 + .. + e_s d_s
// + j` for every digit e (and, when the first stage is the merge's
// mirror, their mirrors `.. + d_s - 1 - j`), runs the stages on them and
// keeps the key at its own digits h. Those slots are constant offsets past
// j or `d_s - 1 - j`, so every read is a run of consecutive keys as j
// goes, which LLVM vectorizes. (Read relative to the point's own digits,
// at `1 - h_t` across stage t, they were not: with h from the workgroup
// id, LLVM turned `(1 - h) d + j` into `(h d + j) xor d` and loaded every
// key alone.) Stages at distances below kWide run one per generic over
// [.., P / 2w, 2w] in the row's order (the partner `j xor w` within a run
// of at most 8 keys).
//
// On one Zen 4 thread, 8 rows of 32768 slots fully sorted (`kiln-run
// --trace`): 0.05-0.06 ms a stage below kWide, 0.11-0.14 ms the stage at
// kWide, about 0.2 ms a wide pass of three stages (a stage alone at those
// distances took 0.10-0.17 ms), and the whole sort 10.0 ms against 12.5
// with one stage per generic (docs/top-k.md).
//
//===----------------------------------------------------------------------===//

#include "passes/KilnToLinalg/BitonicSort.h"
#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/BodyScalars.h"
#include "passes/KilnToLinalg/GenericBuilder.h"

#include <array>

using namespace mlir;

namespace kiln {
namespace {

/// The narrowest distance a wide pass runs, alone: a pass ending at it runs
/// rows of 8 keys, which LLVM left scalar (1.0-1.5 ms for three stages).
constexpr int64_t kWide = 8;

/// Stages of one merge that a wide pass runs.
constexpr int64_t kStagesPerPass = 3;

/// The most slots of a run that a wide pass's point runs its stages over.
constexpr int64_t kMaxLeaves = int64_t(1) << kStagesPerPass;

/// Keys between two generics: in the row's order, or in the digit layout
/// of the wide pass at distances `digits` that wrote them.
struct Keys {
  Value keys;
  SmallVector<int64_t> digits;
};

class Network {
public:
  Network(GenericBuilder &g, RankedTensorType type)
      : g(g), b(g.builder()), i64(b.getI64Type()), rank(type.getRank()),
        rows(type.getShape().drop_back()), slots(type.getShape().back()) {}

  /// The consecutive stages of one merge at distances `halves` (each half
  /// the one before, the last at least kWide), the first mirrored when
  /// `mirror`, after `previous`.
  Keys widePass(const Keys &previous, ArrayRef<int64_t> halves, bool mirror) {
    int64_t stages = halves.size(), last = halves.back();
    assert(stages <= kStagesPerPass && "a point's slots fit kMaxLeaves");
    SmallVector<int64_t> shape(rows);
    shape.append(stages, 2);
    shape.push_back(slots / (2 * halves.front()));
    shape.push_back(last);
    Value result = keysOver(shape, [&](BodyScalars &s, ArrayRef<Value> row) {
      SmallVector<Value> h;
      for (int64_t t = 0; t < stages; ++t) {
        h.push_back(index(s, rank - 1 + t));
      }
      Value run = index(s, rank - 1 + stages), j = index(s, rank + stages);
      return mirror ? withMirror(s, previous, row, run, j, h, halves)
                    : withoutMirror(s, previous, row, run, j, h, halves);
    });
    GenericBuilder::setElementCost(result, int64_t(2) << (stages - 1));
    return {result, SmallVector<int64_t>(halves)};
  }

  /// The body of a wide pass whose first stage is a merge's mirror: the
  /// run's 2^s slots `e_1 d_1 + .. + e_s d_s + j` (every digit e) and their
  /// mirrors `(1 - e_1) d_1 + .. + (1 - e_s) d_s + d_s - 1 - j`, at
  /// constant offsets past j and past `d_s - 1 - j`; the mirror stage
  /// keeps the larger key at the slots whose e_1 is 0, the other stages
  /// run among the first 2^s, and the one at digits h is the point's.
  Value withMirror(BodyScalars &s, const Keys &previous, ArrayRef<Value> row,
                   Value run, Value j, ArrayRef<Value> h,
                   ArrayRef<int64_t> halves) {
    int64_t stages = halves.size(), leaves = int64_t(1) << stages;
    Value reversed =
        arith::SubIOp::create(s.b, s.l, s.idx(halves.back() - 1), j);
    std::array<Value, kMaxLeaves> keys;
    for (int64_t e = 0; e < leaves; ++e) {
      Value mine = slotKey(s, previous, row, run, halves, e, j);
      Value theirs =
          slotKey(s, previous, row, run, halves, leaves - 1 - e, reversed);
      // The mirror keeps the larger key where e_1 is 0.
      if (e & 1) {
        keys[e] = arith::MinUIOp::create(s.b, s.l, mine, theirs);
      } else {
        keys[e] = arith::MaxUIOp::create(s.b, s.l, mine, theirs);
      }
    }
    return stagesAndPick(s, MutableArrayRef(keys.data(), leaves), h,
                         /*from=*/1);
  }

  /// The body of a wide pass with no mirror: the run's 2^s slots
  /// `e_1 d_1 + .. + e_s d_s + j` (every digit e) through the s stages.
  Value withoutMirror(BodyScalars &s, const Keys &previous, ArrayRef<Value> row,
                      Value run, Value j, ArrayRef<Value> h,
                      ArrayRef<int64_t> halves) {
    int64_t stages = halves.size(), leaves = int64_t(1) << stages;
    std::array<Value, kMaxLeaves> keys;
    for (int64_t e = 0; e < leaves; ++e) {
      keys[e] = slotKey(s, previous, row, run, halves, e, j);
    }
    return stagesAndPick(s, MutableArrayRef(keys.data(), leaves), h,
                         /*from=*/0);
  }

  /// The key of run `run`'s slot `e_1 d_1 + .. + e_s d_s + from` (bit t of
  /// `e` is e_t; d_t the stages' distances `halves`), from `previous`.
  Value slotKey(BodyScalars &s, const Keys &previous, ArrayRef<Value> row,
                Value run, ArrayRef<int64_t> halves, int64_t e, Value from) {
    int64_t offset = 0;
    for (size_t t = 0; t < halves.size(); ++t) {
      offset += (e >> t & 1) * halves[t];
    }
    return read(s, previous, row, run, 2 * halves.front(),
                offset ? s.add(from, s.idx(offset)) : from);
  }

  /// Stages `from`.. of a wide pass over `keys`, the run's slots by their
  /// digits (bit t of the index is e_t), then the key at digits `h`.
  static Value stagesAndPick(BodyScalars &s, MutableArrayRef<Value> keys,
                             ArrayRef<Value> h, int64_t from) {
    int64_t stages = h.size(), leaves = keys.size();
    for (int64_t t = from; t < stages; ++t) {
      for (int64_t e = 0; e < leaves; ++e) {
        if (!(e >> t & 1)) {
          Value x = keys[e], y = keys[e | int64_t(1) << t];
          keys[e] = arith::MaxUIOp::create(s.b, s.l, x, y);
          keys[e | int64_t(1) << t] = arith::MinUIOp::create(s.b, s.l, x, y);
        }
      }
    }
    // Halving by digit: after round t, keys[e] is the key at digits
    // h_1..h_t followed by e's bits.
    for (int64_t t = 0; t < stages; ++t) {
      Value zero = s.cmpi(arith::CmpIPredicate::eq, h[t], s.idx(0));
      leaves /= 2;
      for (int64_t e = 0; e < leaves; ++e) {
        keys[e] = arith::SelectOp::create(s.b, s.l, zero, keys[2 * e],
                                          keys[2 * e + 1]);
      }
    }
    return keys[0];
  }

  /// The stage at distance `half` (below kWide), mirrored or not, after
  /// `previous`; its keys in the row's order.
  Keys stage(const Keys &previous, int64_t half, bool mirror) {
    SmallVector<int64_t> shape(rows);
    shape.append({slots / (2 * half), 2 * half});
    Value result = keysOver(shape, [&](BodyScalars &s, ArrayRef<Value> row) {
      Value run = index(s, rank - 1), own = index(s, rank);
      Value other =
          mirror
              ? arith::SubIOp::create(s.b, s.l, s.idx(2 * half - 1), own)
                    .getResult()
              : arith::XOrIOp::create(s.b, s.l, own, s.idx(half)).getResult();
      Value first = s.cmpi(arith::CmpIPredicate::ult, own, s.idx(half));
      return exchange(s, first, read(s, previous, row, run, 2 * half, own),
                      read(s, previous, row, run, 2 * half, other));
    });
    GenericBuilder::setElementCost(result, 2);
    SmallVector<int64_t> flat(rows);
    flat.push_back(slots);
    result = ReshapeOp::create(b, g.location(),
                               RankedTensorType::get(flat, i64), result);
    return {result, {}};
  }

private:
  /// A generic with one point per key of a tensor of `shape`, whose
  /// `body` gets the point's row indices (the dimensions before the row's).
  Value keysOver(ArrayRef<int64_t> shape,
                 function_ref<Value(BodyScalars &, ArrayRef<Value>)> body) {
    unsigned loops = shape.size();
    return g.generic({}, {}, g.empty(shape, i64), g.identity(loops),
                     GenericBuilder::parallel(loops),
                     [&](OpBuilder &nb, Location l, ValueRange) {
                       BodyScalars s{nb, l};
                       SmallVector<Value> row;
                       for (unsigned d = 0; d + 1 < rank; ++d) {
                         row.push_back(index(s, d));
                       }
                       return body(s, row);
                     });
  }

  static Value index(BodyScalars &s, unsigned dim) {
    return linalg::IndexOp::create(s.b, s.l, dim);
  }

  static Value mul(BodyScalars &s, Value x, int64_t c) {
    return arith::MulIOp::create(s.b, s.l, x, s.idx(c));
  }

  /// The larger of two keys when `first`, else the smaller.
  static Value exchange(BodyScalars &s, Value first, Value x, Value y) {
    Value larger = arith::MaxUIOp::create(s.b, s.l, x, y);
    Value smaller = arith::MinUIOp::create(s.b, s.l, x, y);
    return arith::SelectOp::create(s.b, s.l, first, larger, smaller);
  }

  /// The key of slot `run size + offset` (offset < size) from `previous`.
  /// In a digit layout, whose last distance is then `size`, the offset is
  /// the index of the last dimension and the run's bits give the others:
  /// every index is the reader's own, shifted, or its offset, so that LLVM
  /// sees the loads of consecutive offsets as consecutive (finding the
  /// digits from the slot's bits instead, it did not).
  Value read(BodyScalars &s, const Keys &previous, ArrayRef<Value> row,
             Value run, int64_t size, Value offset) {
    SmallVector<Value> at(row);
    if (previous.digits.empty()) {
      at.push_back(s.add(mul(s, run, size), offset));
      return s.at(previous.keys, at);
    }
    assert(previous.digits.back() == size && "a run is a digit layout's row");
    auto bits = [&](int64_t distance, bool one) {
      Value shifted =
          distance == size
              ? run
              : arith::ShRUIOp::create(s.b, s.l, run,
                                       s.idx(llvm::Log2_64(distance / size)))
                    .getResult();
      return one ? arith::AndIOp::create(s.b, s.l, shifted, s.idx(1))
                       .getResult()
                 : shifted;
    };
    for (int64_t digit : previous.digits) {
      at.push_back(bits(digit, /*one=*/true));
    }
    at.push_back(bits(2 * previous.digits.front(), /*one=*/false));
    at.push_back(offset);
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
  Keys sorted{keys, {}};
  for (int64_t run = 2; run <= type.getShape().back(); run *= 2) {
    // Wide passes of up to kStagesPerPass stages from the widest, then
    // the stage at kWide alone, then the narrow ones.
    SmallVector<int64_t> wide;
    for (int64_t half = run / 2; half > kWide; half /= 2) {
      wide.push_back(half);
    }
    for (size_t first = 0; first < wide.size(); first += kStagesPerPass) {
      size_t count = std::min<size_t>(kStagesPerPass, wide.size() - first);
      sorted = network.widePass(sorted, ArrayRef(wide).slice(first, count),
                                /*mirror=*/first == 0);
    }
    if (run / 2 >= kWide) {
      sorted = network.widePass(sorted, {kWide}, /*mirror=*/run / 2 == kWide);
    }
    for (int64_t half = std::min(run / 2, kWide / 2); half >= 1; half /= 2) {
      sorted = network.stage(sorted, half, /*mirror=*/half == run / 2);
    }
  }
  return sorted.keys;
}

} // namespace kiln
