//===- TopKPattern.cpp - top_k through unique integer keys ----------------===//
//
// top_k as generics of one point per row, per block or per slot, whose
// bodies read the row with scalar loops (LLVM vectorizes the reductions
// among them); LowerTopK's comment gives the phases and their work.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/BitonicSort.h"
#include "passes/KilnToLinalg/BodyScalars.h"
#include "passes/KilnToLinalg/GenericBuilder.h"
#include "passes/KilnToLinalg/KilnToLinalgPatterns.h"
#include "passes/OpClassification.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;

namespace kiln {
namespace {

/// top_k through integer keys that order the row as top_k does (larger
/// first, NaN above every number and tied with NaN, ties to the lower
/// index), unique within a row, so that an unsigned comparison is the
/// whole order. A key is computed where it is read (the row's ordered
/// words, its high halves, are stored once where the k-th key is found by
/// its bits over the row):
///
///   key(r, i)    (monotone bits of x, NaN highest, -0 as +0) << 32
///                | (0xfffffffe - i)
///   max[r, b]    the largest key of block b of 64 elements          n
///   floor[r]     the k-th largest block maximum (when there are at
///                least k blocks: pruned)                    k * n / 64
///   reach[r, b]  keys >= floor in block b of 256 elements           n
///   threshold[r] floor when at most `slots` (4 k) keys reach it: the
///                candidates, about k on data that is not sorted;
///                else (and unpruned) the k-th key itself by k passes,
///                each the largest key below the last one, over the
///                k blocks that reach floor          k * (n / 64 + 64 k)
///                (unpruned: over the row, k n), or by its bits where
///                those cost less                       (33 + log2 n) n
///                (unpruned, over `words[r, i]`, written once        n)
///   masks[r, q]  a bit per key of chunk q (64 keys) that reaches the
///                threshold (pruned: 0 for chunks whose maximum is
///                below it, without reading them)                    n
///   count[r, b]  the members of block b of 256: its masks' set bits
///   before[r, b] the members of the blocks before b (up to 512
///                blocks)                                   (n / 256)^2 / 2
///   member[r, c] the c-th index (in index order) whose key reaches the
///                threshold, for c below their number m: its block by a
///                count over `before` (or a walk over the counts), then
///                its chunk by the block's masks, then the set bit
///                                                    m (n / 256 + 4)
///   rank[r, c]   the members with a larger key than member c      m * m
///   out[r, j]    the member whose rank is j                       k * m
///   (more than 256 slots: the members' keys sorted instead)
///   sorted[r, c] the keys, padded to P = a power of two slots, after the
///                stages of a bitonic network (BitonicSort.cpp), each an
///                exchange of every slot's key with its partner's
///                                                 P log2(P)^2 / 2
///   out[r, j]    sorted[r, j], decoded                                k
///
/// Slot j recomputing its own rank over the row, as the op was lowered
/// first, took k n^2 comparisons: a top-50 of 64 rows of a 32000-word
/// vocabulary ran for minutes. The k passes for every row were then 64 k^2
/// steps a row (five times the row for k = 50); the candidates took the
/// top-50 from 6.5 to 3.0 ms on one Zen 4 core, with the keys no longer a
/// tensor (it was written once and read by three phases).
struct LowerTopK : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;

  static constexpr int64_t kBlock = 256;
  static constexpr int64_t kPruneBlock = 64;
  /// Keys per bit mask of the member search (the bits of an i64).
  static constexpr int64_t kChunk = 64;
  /// The most blocks whose members' prefix is computed (its cost grows
  /// with their square; past it each member walks the counts).
  static constexpr int64_t kPrefixBlocks = 512;
  /// Candidates ranked among themselves, at most, per output slot.
  static constexpr int64_t kCandidatesPerSlot = 4;
  /// The most members ranked by counting, m^2 comparisons; more are
  /// sorted by a bitonic network, about m log^2(m) / 2 steps in as many
  /// generics as the network has stages.
  static constexpr int64_t kCountedRankSlots = 256;

  LogicalResult
  matchAndRewrite(TopKOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    auto values = cast<RankedTensorType>(op.getValues().getType());
    unsigned rank = type.getRank();
    int64_t n = type.getShape().back(), k = op.getK();
    int64_t blocks = llvm::divideCeil(n, kBlock);
    Type i64 = rewriter.getI64Type();
    ArrayRef<int64_t> rows = type.getShape().drop_back();
    AffineMap perRow =
        g.dims(rank, llvm::to_vector(llvm::seq<unsigned>(0, rank - 1)));
    // The row of the current point, read at the body's top level (a
    // linalg.index must be directly in the generic's body).
    SmallVector<Value> row;
    auto readRow = [&](OpBuilder &b, Location l) {
      row.clear();
      for (unsigned d = 0; d + 1 < rank; ++d) {
        row.push_back(linalg::IndexOp::create(b, l, d));
      }
    };
    auto rowAt = [&](Value i) {
      SmallVector<Value> at(row);
      at.push_back(i);
      return at;
    };
    // A generic over the rows and one more dim of `last` entries (blocks
    // or slots) reading `inputs`, each per row or of the result's shape;
    // `body` gets the entry's index along that dim.
    auto perEntry =
        [&](ValueRange inputs, int64_t last,
            function_ref<Value(BodyScalars &, Value, ValueRange)> body) {
          SmallVector<int64_t> shape(rows);
          shape.push_back(last);
          SmallVector<AffineMap> maps;
          for (Value input : inputs) {
            maps.push_back(cast<RankedTensorType>(input.getType()).getRank() ==
                                   rank
                               ? g.identity(rank)
                               : perRow);
          }
          return g.generic(
              inputs, maps, g.empty(shape, rewriter.getI64Type()),
              g.identity(rank), GenericBuilder::parallel(rank),
              [&](OpBuilder &b, Location l, ValueRange args) {
                readRow(b, l);
                BodyScalars s{b, l};
                return body(s, linalg::IndexOp::create(b, l, rank - 1), args);
              });
        };
    // Elements [lb, ub) of block `block` of `size` elements of a row.
    auto blockRange = [&](BodyScalars &s, Value block, int64_t size) {
      Value lb = arith::MulIOp::create(s.b, s.l, block, s.idx(size));
      Value ub = arith::MinSIOp::create(
          s.b, s.l, arith::AddIOp::create(s.b, s.l, lb, s.idx(size)), s.idx(n));
      return std::pair{lb, ub};
    };
    auto constant = [](OpBuilder &b, Location l, Type t, int64_t v) {
      return arith::ConstantOp::create(b, l, b.getIntegerAttr(t, v))
          .getResult();
    };

    // The key of element i of the current row, computed where it is read:
    // as a tensor of i64 the keys were twice the row's bytes, written once
    // and read by three phases; over 64 rows of 32000 the phase that wrote
    // them took a third of the op's time (memory-bound).
    // The key's high word: the bits of element i of the current row,
    // ordered as unsigned i32.
    auto orderedAt = [&](BodyScalars &s, Value i) {
      OpBuilder &b = s.b;
      Location l = s.l;
      Type i32 = b.getI32Type();
      Value element = s.at(x, rowAt(i));
      Value zero = s.f32(0.0);
      Value v = arith::SelectOp::create(
          b, l, s.cmpf(arith::CmpFPredicate::OEQ, element, zero), zero,
          element);
      Value bits = arith::BitcastOp::create(b, l, i32, v);
      // Negative floats order reversed (all bits flipped), the others above
      // them (sign bit set).
      Value negative =
          s.cmpi(arith::CmpIPredicate::slt, bits, constant(b, l, i32, 0));
      Value flipped =
          arith::XOrIOp::create(b, l, bits, constant(b, l, i32, -1));
      Value raised = arith::OrIOp::create(
          b, l, bits, constant(b, l, i32, int64_t(INT32_MIN)));
      return arith::SelectOp::create(
                 b, l, s.cmpf(arith::CmpFPredicate::UNO, element, element),
                 constant(b, l, i32, -1),
                 arith::SelectOp::create(b, l, negative, flipped, raised))
          .getResult();
    };
    auto keyAt = [&](BodyScalars &s, Value i) {
      OpBuilder &b = s.b;
      Location l = s.l;
      Value ordered = orderedAt(s, i);
      Value high = arith::ShLIOp::create(
          b, l, arith::ExtUIOp::create(b, l, i64, ordered), s.i64(32));
      return arith::OrIOp::create(
                 b, l, high,
                 arith::SubIOp::create(b, l, s.i64(0xfffffffe), s.toI64(i)))
          .getResult();
    };

    // Keys are never 0 (the lowest, -inf's, has high bits 0x007fffff) nor
    // all ones (the low bits stop at 0xfffffffe). `kth` runs k passes, each
    // the largest key below the last one, `pass(below, best)` folding one
    // pass's keys into `best`.
    auto kth = [&](BodyScalars &s,
                   function_ref<Value(Value below, Value best)> pass) {
      return s.forEach(k, ValueRange{s.i64(-1)},
                       [&](Value, ValueRange previous) -> SmallVector<Value> {
                         return {pass(previous[0], s.i64(0))};
                       })[0];
    };
    auto foldBelow = [&](BodyScalars &s, Value key, Value below, Value best) {
      Value in = s.cmpi(arith::CmpIPredicate::ult, key, below);
      return arith::MaxUIOp::create(
                 s.b, s.l, best,
                 arith::SelectOp::create(s.b, s.l, in, key, s.i64(0)))
          .getResult();
    };
    auto foldRange = [&](BodyScalars &s, Value lb, Value ub, Value below,
                         Value best) {
      return s.loop(lb, ub, ValueRange{best},
                    [&](Value i, ValueRange acc) -> SmallVector<Value> {
                      return {foldBelow(s, keyAt(s, i), below, acc[0])};
                    })[0];
    };
    // With at least k blocks of `kPruneBlock` keys, the k-th largest block
    // maximum `floor` bounds the k-th key from below (k keys reach it), and
    // exactly k blocks reach `floor`: each pass reads those blocks' keys and
    // every block's maximum, k (n / B + k B) steps instead of k n.
    int64_t pruneBlocks = llvm::divideCeil(n, kPruneBlock);
    bool prune = pruneBlocks >= k && pruneBlocks > 1;
    Value blockMax, floor;
    if (prune) {
      blockMax = perEntry({}, pruneBlocks,
                          [&](BodyScalars &s, Value block, ValueRange) {
                            auto [lb, ub] = blockRange(s, block, kPruneBlock);
                            // Below all ones: every key.
                            return foldRange(s, lb, ub, s.i64(-1), s.i64(0));
                          });
      GenericBuilder::setElementCost(blockMax, kPruneBlock);
      floor = g.generic(
          {}, {}, g.empty(rows, i64), g.identity(rank - 1),
          GenericBuilder::parallel(rank - 1),
          [&](OpBuilder &b, Location l, ValueRange) {
            readRow(b, l);
            BodyScalars s{b, l};
            return kth(s, [&](Value below, Value best) {
              return s.forEach(
                  pruneBlocks, ValueRange{best},
                  [&](Value blk, ValueRange acc) -> SmallVector<Value> {
                    return {foldBelow(s, s.at(blockMax, rowAt(blk)), below,
                                      acc[0])};
                  })[0];
            });
          });
      GenericBuilder::setElementCost(floor, double(k) * pruneBlocks);
    }
    // An scf.if yielding one i64: `then()` or `otherwise()`.
    auto choose = [](BodyScalars &s, Value cond, function_ref<Value()> then,
                     function_ref<Value()> otherwise) {
      auto branch = scf::IfOp::create(s.b, s.l, s.b.getI64Type(), cond,
                                      /*withElseRegion=*/true);
      OpBuilder::InsertionGuard guard(s.b);
      s.b.setInsertionPointToStart(branch.thenBlock());
      scf::YieldOp::create(s.b, s.l, then());
      s.b.setInsertionPointToStart(branch.elseBlock());
      scf::YieldOp::create(s.b, s.l, otherwise());
      return branch.getResult(0);
    };
    // The k-th key by its bits, from the highest: a bit joins the key when
    // at least k keys reach the key so far with that bit set; each bit is a
    // count over the row that LLVM vectorizes, in 32-bit lanes. The high
    // word first: t, the largest with k elements whose high word reaches
    // it. Then the low word among the `above` elements past t and those
    // tied at t (the k-th key is one of these: ties rank by index, the low
    // word ~(i + 1) larger for a lower i). Every low word has the bits from
    // the width of n up set, and so has the k-th key's: only 32 + that
    // width bits are sought.
    int64_t indexBits = llvm::Log2_64_Ceil(uint64_t(n) + 1);
    // Where the k-th key is found by its bits over the whole row
    // (unpruned), the row's ordered words are written once,
    // `orderedWords`, for the counts to read: computed where read, the 48
    // counts of a top-1000 of 32000 transformed every element 48 times (6.6
    // of 9.5 ms, 2.5 since). Pruned, the bits are a fallback for rows
    // where too many keys reach the floor, and the words would be a pass
    // over every row for a phase that most rows skip. The other phases
    // read each key once or twice and compute it (reading the words there
    // gained nothing).
    Value orderedWords;
    auto wordAt = [&](BodyScalars &s, Value i) {
      return orderedWords ? s.at(orderedWords, rowAt(i)) : orderedAt(s, i);
    };
    auto kthKeyByBits = [&](BodyScalars &s) {
      OpBuilder &b = s.b;
      Location l = s.l;
      Type i32 = b.getI32Type();
      // The elements of the row where `test(high word, i)` holds.
      auto count = [&](function_ref<Value(Value, Value)> test) {
        Value total =
            s.loop(s.idx(0), s.idx(n), ValueRange{constant(b, l, i32, 0)},
                   [&](Value i, ValueRange acc) -> SmallVector<Value> {
                     Value in = arith::ExtUIOp::create(b, l, i32,
                                                       test(wordAt(s, i), i));
                     return {arith::AddIOp::create(b, l, acc[0], in)};
                   })[0];
        return arith::ExtUIOp::create(b, l, i64, total).getResult();
      };
      // `bits` bits of a word from bit `top` down, starting from `init`:
      // bit p joins when `reaching(word with p)` is at least k.
      auto search = [&](int64_t bits, int64_t top, int64_t init,
                        function_ref<Value(Value)> reaching) {
        return s.forEach(bits, ValueRange{constant(b, l, i32, init)},
                         [&](Value t, ValueRange word) -> SmallVector<Value> {
                           Value position = arith::SubIOp::create(
                               b, l, constant(b, l, i32, top),
                               arith::IndexCastOp::create(b, l, i32, t));
                           Value candidate = arith::OrIOp::create(
                               b, l, word[0],
                               arith::ShLIOp::create(
                                   b, l, constant(b, l, i32, 1), position));
                           Value enough = s.cmpi(arith::CmpIPredicate::sge,
                                                 reaching(candidate), s.i64(k));
                           return {arith::SelectOp::create(b, l, enough,
                                                           candidate, word[0])};
                         })[0];
      };
      Value high = search(32, 31, 0, [&](Value candidate) {
        return count([&](Value ordered, Value) {
          return s.cmpi(arith::CmpIPredicate::uge, ordered, candidate);
        });
      });
      Value above = count([&](Value ordered, Value) {
        return s.cmpi(arith::CmpIPredicate::ugt, ordered, high);
      });
      int64_t alwaysSet = int64_t(0xffffffffull & ~((1ull << indexBits) - 1));
      Value low = search(
          indexBits, indexBits - 1, int32_t(alwaysSet), [&](Value candidate) {
            return s.add(
                above, count([&](Value ordered, Value i) {
                  Value word = arith::SubIOp::create(
                      b, l, constant(b, l, i32, int32_t(0xfffffffe)),
                      arith::IndexCastOp::create(b, l, i32, i));
                  return arith::AndIOp::create(
                             b, l,
                             s.cmpi(arith::CmpIPredicate::eq, ordered, high),
                             s.cmpi(arith::CmpIPredicate::uge, word, candidate))
                      .getResult();
                }));
          });
      return arith::OrIOp::create(
                 b, l,
                 arith::ShLIOp::create(
                     b, l, arith::ExtUIOp::create(b, l, i64, high), s.i64(32)),
                 arith::ExtUIOp::create(b, l, i64, low))
          .getResult();
    };
    // k passes of the largest key below the last cost k n steps (or, pruned,
    // k (n / 64 + 64 k)): past 33 + indexBits counts of the row (`above`
    // is one), the bits.
    double passSteps = prune
                           ? double(k) * (pruneBlocks + double(k) * kPruneBlock)
                           : double(k) * n;
    double bitSteps = double(33 + indexBits) * n;
    bool byBits = bitSteps < passSteps;
    if (byBits && !prune) {
      orderedWords = g.generic(
          {}, {}, g.empty(type.getShape(), rewriter.getI32Type()),
          g.identity(rank), GenericBuilder::parallel(rank),
          [&](OpBuilder &b, Location l, ValueRange) {
            readRow(b, l);
            BodyScalars s{b, l};
            return orderedAt(s, linalg::IndexOp::create(b, l, rank - 1));
          });
      GenericBuilder::setElementCost(orderedWords, 1);
    }
    double kthSteps = std::min(passSteps, bitSteps);
    // The k-th key by k passes over the row, or over the blocks whose
    // maximum reaches `floorKey`, or by its bits.
    auto kthKey = [&](BodyScalars &s, Value floorKey) {
      if (byBits) {
        return kthKeyByBits(s);
      }
      if (!prune) {
        return kth(s, [&](Value below, Value best) {
          return foldRange(s, s.idx(0), s.idx(n), below, best);
        });
      }
      return kth(s, [&](Value below, Value best) {
        return s.forEach(pruneBlocks, ValueRange{best},
                         [&](Value blk, ValueRange acc) -> SmallVector<Value> {
                           Value reaches =
                               s.cmpi(arith::CmpIPredicate::uge,
                                      s.at(blockMax, rowAt(blk)), floorKey);
                           return {choose(
                               s, reaches,
                               [&] {
                                 auto [lb, ub] =
                                     blockRange(s, blk, kPruneBlock);
                                 return foldRange(s, lb, ub, below, acc[0]);
                               },
                               [&] { return acc[0]; })};
                         })[0];
      });
    };
    // Keys of block `block` of kBlock elements that reach `threshold`.
    auto countReaching = [&](BodyScalars &s, Value block, Value threshold) {
      auto [lb, ub] = blockRange(s, block, kBlock);
      return s.sum(lb, ub, [&](Value i) {
        Value in = s.cmpi(arith::CmpIPredicate::uge, keyAt(s, i), threshold);
        return arith::ExtUIOp::create(s.b, s.l, i64, in).getResult();
      });
    };
    // [rows, blocks]: the keys of each block that reach the row's
    // `thresholds` entry.
    auto blockCounts = [&](Value thresholds) {
      Value counts =
          perEntry(thresholds, blocks,
                   [&](BodyScalars &s, Value block, ValueRange args) {
                     return countReaching(s, block, args[0]);
                   });
      GenericBuilder::setElementCost(counts, kBlock);
      return counts;
    };

    // The members: the keys that reach the row's threshold. Pruned, the
    // threshold is `floor` when at most `slots` keys reach it (on data that
    // is not sorted, about k of them: k - 1 block maxima above it and the
    // keys near them), and they are the candidates, ranked below among
    // themselves; else, and unpruned, it is the k-th key itself (k passes
    // or its bits), reached by exactly k keys. The k passes over the k blocks
    // that reach `floor` were 64 k^2 steps per row, five times a 32000-word row
    // for k = 50; the candidates cost one more pass over the row, and (the
    // member search) a pass over the row for the masks and about
    // m (n / 256 + 4) steps for m of them.
    int64_t slots =
        prune ? std::max(k, std::min(n, kCandidatesPerSlot * k)) : k;
    Value threshold, memberCount;
    if (prune) {
      Value reachFloor = blockCounts(floor);
      SmallVector<Value> bounds = g.generic(
          floor, {g.identity(rank - 1)},
          {g.empty(rows, i64), g.empty(rows, i64)},
          {g.identity(rank - 1), g.identity(rank - 1)},
          GenericBuilder::parallel(rank - 1),
          [&](OpBuilder &b, Location l, ValueRange args) -> SmallVector<Value> {
            readRow(b, l);
            BodyScalars s{b, l};
            Value reached = s.sum(s.idx(0), s.idx(blocks), [&](Value blk) {
              return s.at(reachFloor, rowAt(blk));
            });
            Value few =
                s.cmpi(arith::CmpIPredicate::sle, reached, s.i64(slots));
            Value key = choose(
                s, few, [&] { return args[0]; },
                [&] { return kthKey(s, args[0]); });
            return {key, arith::SelectOp::create(b, l, few, reached, s.i64(k))};
          });
      GenericBuilder::setElementCost(bounds[0], double(blocks) + kthSteps);
      threshold = bounds[0];
      memberCount = bounds[1];
    } else {
      threshold = g.generic({}, {}, g.empty(rows, i64), g.identity(rank - 1),
                            GenericBuilder::parallel(rank - 1),
                            [&](OpBuilder &b, Location l, ValueRange) {
                              readRow(b, l);
                              BodyScalars s{b, l};
                              return kthKey(s, Value());
                            });
      GenericBuilder::setElementCost(threshold, kthSteps);
      memberCount = g.generic({}, {}, g.empty(rows, i64), g.identity(rank - 1),
                              GenericBuilder::parallel(rank - 1),
                              [&](OpBuilder &b, Location l, ValueRange) {
                                return BodyScalars{b, l}.i64(k);
                              });
    }

    // member[r, c]: the c-th index (in index order) whose key reaches the
    // threshold, for c below the member count. masks[r, q]: a bit per key
    // of chunk q (64 keys) that reaches the threshold (a loop that LLVM
    // vectorizes), and count[r, b] the members of block b, the set bits of
    // its chunks. Each member used to compute the bits of its block's 256
    // keys itself: about 110 ns a member, 4.1 of the 13.9 ms of a top-1000
    // of 64 rows of 32000.
    // Pruned, a chunk is a block of `blockMax`: one whose maximum is below
    // the threshold has no member and reads no key (the candidates of a
    // top-50 of 32000 sit in about a tenth of the chunks).
    static_assert(kChunk == kPruneBlock, "pruned chunks are blockMax's");
    int64_t chunks = llvm::divideCeil(n, kChunk);
    int64_t chunksPerBlock = kBlock / kChunk;
    auto chunkBits = [&](BodyScalars &s, Value chunk, Value thresholdKey) {
      OpBuilder &b = s.b;
      Location l = s.l;
      auto [start, end] = blockRange(s, chunk, kChunk);
      Value first = s.toI64(start);
      return s.loop(
          start, end, ValueRange{s.i64(0)}, [&](Value i, ValueRange acc) {
            Value in = arith::ExtUIOp::create(
                b, l, i64,
                s.cmpi(arith::CmpIPredicate::uge, keyAt(s, i), thresholdKey));
            Value at = arith::SubIOp::create(b, l, s.toI64(i), first);
            return SmallVector<Value>{arith::OrIOp::create(
                b, l, acc[0], arith::ShLIOp::create(b, l, in, at))};
          })[0];
    };
    Value masks = perEntry(
        prune ? ValueRange{threshold, blockMax} : ValueRange{threshold}, chunks,
        [&](BodyScalars &s, Value chunk, ValueRange args) {
          if (!prune) {
            return chunkBits(s, chunk, args[0]);
          }
          return choose(
              s, s.cmpi(arith::CmpIPredicate::uge, args[1], args[0]),
              [&] { return chunkBits(s, chunk, args[0]); },
              [&] { return s.i64(0); });
        });
    GenericBuilder::setElementCost(masks, kChunk);
    // Chunk `i` of block `block`.
    auto chunkOf = [&](BodyScalars &s, Value block, Value i) {
      return s.add(
          arith::MulIOp::create(s.b, s.l, block, s.idx(chunksPerBlock)), i);
    };
    // The mask of chunk `i` of block `block`, 0 past the row's last chunk.
    auto blockMask = [&](BodyScalars &s, Value block, Value i) {
      Value chunk = chunkOf(s, block, i);
      Value inRow = s.cmpi(arith::CmpIPredicate::slt, chunk, s.idx(chunks));
      Value clamped =
          arith::MinSIOp::create(s.b, s.l, chunk, s.idx(chunks - 1));
      return arith::SelectOp::create(s.b, s.l, inRow,
                                     s.at(masks, rowAt(clamped)), s.i64(0))
          .getResult();
    };
    Value count =
        perEntry({}, blocks, [&](BodyScalars &s, Value block, ValueRange) {
          return s.sum(s.idx(0), s.idx(chunksPerBlock), [&](Value i) {
            return math::CtPopOp::create(s.b, s.l, blockMask(s, block, i))
                .getResult();
          });
        });
    GenericBuilder::setElementCost(count, chunksPerBlock);
    // The index of the `wanted`-th member (from 0) of block `block`: the
    // chunk that holds it by the counts of the block's masks, and in it the
    // wanted-th set bit, found by clearing the lower ones.
    auto memberInBlock = [&](BodyScalars &s, Value block, Value wanted) {
      OpBuilder &b = s.b;
      Location l = s.l;
      // Carried: the members still to skip (-1 once found) and the index.
      ValueRange found = s.forEach(
          chunksPerBlock, ValueRange{wanted, s.i64(0)},
          [&](Value i, ValueRange carried) -> SmallVector<Value> {
            Value bits = blockMask(s, block, i);
            Value first = s.toI64(arith::MulIOp::create(
                b, l, chunkOf(s, block, i), s.idx(kChunk)));
            Value members = math::CtPopOp::create(b, l, bits);
            Value skip = carried[0];
            Value here = arith::AndIOp::create(
                b, l, s.cmpi(arith::CmpIPredicate::sge, skip, s.i64(0)),
                s.cmpi(arith::CmpIPredicate::slt, skip, members));
            // The wanted bit is the lowest once `skip` lower ones are
            // cleared (the loop runs only in the chunk that holds it).
            Value clears =
                s.toIndex(arith::SelectOp::create(b, l, here, skip, s.i64(0)));
            Value rest = s.loop(
                s.idx(0), clears, ValueRange{bits}, [&](Value, ValueRange m) {
                  return SmallVector<Value>{arith::AndIOp::create(
                      b, l, m[0], arith::SubIOp::create(b, l, m[0], s.i64(1)))};
                })[0];
            Value index =
                s.add(first, math::CountTrailingZerosOp::create(b, l, rest));
            Value left = arith::SelectOp::create(
                b, l, s.cmpi(arith::CmpIPredicate::slt, skip, s.i64(0)), skip,
                arith::SubIOp::create(b, l, skip, members));
            return {arith::SelectOp::create(b, l, here, s.i64(-1), left),
                    arith::SelectOp::create(b, l, here, index, carried[1])};
          });
      return found[1];
    };
    // before[r, b]: the members of the blocks before block b, an exclusive
    // prefix of the counts, each entry its own sum (blocks^2 / 2 steps a
    // row, so only up to kPrefixBlocks blocks). A member then finds its
    // block with a count over `before` that LLVM vectorizes; the walk
    // carrying the running count was m n / 256 dependent steps a row.
    Value before;
    if (blocks <= kPrefixBlocks) {
      before =
          perEntry({}, blocks, [&](BodyScalars &s, Value block, ValueRange) {
            return s.sum(s.idx(0), block,
                         [&](Value blk) { return s.at(count, rowAt(blk)); });
          });
      GenericBuilder::setElementCost(before, std::max<int64_t>(1, blocks / 2));
    }
    Value member = perEntry(
        memberCount, slots, [&](BodyScalars &s, Value slot, ValueRange args) {
          OpBuilder &b = s.b;
          Location l = s.l;
          Value c = s.toI64(slot);
          auto find = [&]() -> Value {
            // The block holding member c, and the members before it: the
            // last block with at most c members before it (a count that
            // LLVM vectorizes), or a walk carrying the running count.
            Value block, skipped;
            if (before) {
              Value atMost = s.sum(s.idx(0), s.idx(blocks), [&](Value blk) {
                Value fits = s.cmpi(arith::CmpIPredicate::sle,
                                    s.at(before, rowAt(blk)), c);
                return arith::ExtUIOp::create(b, l, i64, fits).getResult();
              });
              block = s.toIndex(arith::SubIOp::create(b, l, atMost, s.i64(1)));
              skipped = s.at(before, rowAt(block));
            } else {
              ValueRange walk = s.forEach(
                  blocks, ValueRange{s.i64(0), s.idx(0), s.i64(0)},
                  [&](Value blk, ValueRange carried) -> SmallVector<Value> {
                    Value through = arith::AddIOp::create(
                        b, l, carried[0], s.at(count, rowAt(blk)));
                    Value here = arith::AndIOp::create(
                        b, l, s.cmpi(arith::CmpIPredicate::sle, carried[0], c),
                        s.cmpi(arith::CmpIPredicate::sgt, through, c));
                    return {
                        through,
                        arith::SelectOp::create(b, l, here, blk, carried[1]),
                        arith::SelectOp::create(b, l, here, carried[0],
                                                carried[2])};
                  });
              block = walk[1];
              skipped = walk[2];
            }
            Value wanted = arith::SubIOp::create(b, l, c, skipped);
            return memberInBlock(s, block, wanted);
          };
          // Slots past the member count hold index 0; nothing reads them.
          return choose(s, s.cmpi(arith::CmpIPredicate::slt, c, args[0]), find,
                        [&] { return s.i64(0); });
        });
    GenericBuilder::setElementCost(member, blocks + kBlock / kChunk);

    auto memberKey = [&](BodyScalars &s, Value c) {
      return keyAt(s, s.toIndex(s.at(member, rowAt(c))));
    };
    // An output slot's value and index, from the index or from the key.
    auto fromIndex = [&](BodyScalars &s, Value index) -> SmallVector<Value> {
      return {s.at(x, rowAt(s.toIndex(index))), index};
    };
    auto fromKey = [&](BodyScalars &s, Value key) {
      Value low = arith::AndIOp::create(s.b, s.l, key, s.i64(0xffffffff));
      return fromIndex(s,
                       arith::SubIOp::create(s.b, s.l, s.i64(0xfffffffe), low));
    };
    // A generic over the output slots of `values`' shape, reading `inputs`
    // per row; `body` gets the slot and returns its value and index.
    auto outputs =
        [&](ValueRange inputs,
            function_ref<SmallVector<Value>(BodyScalars &, Value, ValueRange)>
                body) {
          SmallVector<AffineMap> maps(inputs.size(), perRow);
          return g.generic(
              inputs, maps,
              {g.empty(values.getShape(), rewriter.getF32Type()),
               g.empty(values.getShape(), i64)},
              {g.identity(rank), g.identity(rank)},
              GenericBuilder::parallel(rank),
              [&](OpBuilder &b, Location l,
                  ValueRange args) -> SmallVector<Value> {
                readRow(b, l);
                BodyScalars s{b, l};
                return body(s, linalg::IndexOp::create(b, l, rank - 1), args);
              });
        };

    SmallVector<Value> results;
    if (slots <= kCountedRankSlots) {
      // rank[r, c]: the members with a larger key than member c.
      Value memberRank = perEntry(
          memberCount, slots, [&](BodyScalars &s, Value c, ValueRange args) {
            return choose(
                s, s.cmpi(arith::CmpIPredicate::slt, s.toI64(c), args[0]),
                [&] {
                  Value mine = memberKey(s, c);
                  return s.sum(s.idx(0), s.toIndex(args[0]), [&](Value other) {
                    Value above = s.cmpi(arith::CmpIPredicate::ugt,
                                         memberKey(s, other), mine);
                    return arith::ExtUIOp::create(s.b, s.l, i64, above)
                        .getResult();
                  });
                },
                [&] { return s.i64(slots); });
          });
      GenericBuilder::setElementCost(memberRank, slots);
      // out[r, j]: the member whose rank is j.
      results = outputs(memberCount, [&](BodyScalars &s, Value slot,
                                         ValueRange args) {
        ValueRange found = s.loop(
            s.idx(0), s.toIndex(args[0]), ValueRange{s.idx(0)},
            [&](Value c, ValueRange carried) -> SmallVector<Value> {
              Value hit = s.cmpi(arith::CmpIPredicate::eq,
                                 s.at(memberRank, rowAt(c)), s.toI64(slot));
              return {arith::SelectOp::create(s.b, s.l, hit, c, carried[0])};
            });
        return fromIndex(s, s.at(member, rowAt(found[0])));
      });
      GenericBuilder::setElementCost(results[0], slots);
    } else {
      // sorted[r, c]: the members' keys, then `padded - c` up to a power of
      // two (below every key, so that the padding sorts last). With
      // k = n every key is a member, in index order: the threshold and
      // member phases go unused, and canonicalization drops them.
      bool everyKey = k == n;
      int64_t padded = llvm::PowerOf2Ceil(slots);
      Value sorted = perEntry(
          everyKey ? ValueRange{} : ValueRange{memberCount}, padded,
          [&](BodyScalars &s, Value c, ValueRange args) {
            Value slot = s.toI64(c);
            return choose(
                s,
                s.cmpi(arith::CmpIPredicate::slt, slot,
                       everyKey ? s.i64(n) : args[0]),
                [&] { return everyKey ? keyAt(s, c) : memberKey(s, c); },
                [&] {
                  return arith::SubIOp::create(s.b, s.l, s.i64(padded), slot)
                      .getResult();
                });
          });
      GenericBuilder::setElementCost(sorted, 1);
      // Sorted by a bitonic network (BitonicSort.cpp): log2(padded)
      // (log2(padded) + 1) / 2 generics whose loads do not depend on the
      // keys. Merge passes with a binary search per slot (log2(padded)
      // generics, each key found by dependent loads) sorted 8 rows of
      // 32000 in 62 ms, the network in 7.7.
      sorted = sortRowsDescending(g, sorted);
      // out[r, j]: the j-th key.
      results = outputs({}, [&](BodyScalars &s, Value slot, ValueRange) {
        return fromKey(s, s.at(sorted, rowAt(slot)));
      });
      GenericBuilder::setElementCost(results[0], 1);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void populateTopKLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerTopK>(patterns.getContext());
}

} // namespace kiln
