//===- TopKPattern.cpp - top_k through unique integer keys ----------------===//
//
// top_k as generics of one point per row, per block or per slot, whose
// bodies read the row with scalar loops (LLVM vectorizes the reductions
// among them); LowerTopK's comment gives the phases and their work.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/BodyScalars.h"
#include "passes/KilnToLinalg/GenericBuilder.h"
#include "passes/KilnToLinalg/KilnToLinalgPatterns.h"
#include "passes/OpClassification.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;

namespace kiln {
namespace {

/// top_k through integer keys that order the row as top_k does (larger
/// first, NaN above every number and tied with NaN, ties to the lower
/// index), unique within a row, so that an unsigned comparison is the
/// whole order:
///
///   key[r, i]    (monotone bits of x, NaN highest, -0 as +0) << 32
///                | (0xfffffffe - i)                          elementwise
///   max[r, b]    the largest key of block b of 64 elements         n
///   floor[r]     the k-th largest block maximum (when there are at
///                least k blocks)                           k * n / 64
///   last[r]      the k-th largest key: k passes, each the largest key
///                below the last one, over the k blocks whose
///                maximum reaches `floor`            k * (n / 64 + 64 k)
///   count[r, b]  keys >= last in block b of 256 elements           n
///   member[r, c] the c-th index (in index order) whose key >= last:
///                a walk over the blocks' counts, then one block
///   rank[r, c]   the members with a larger key than member c    k * k
///   out[r, j]    the member whose rank is j                     k * k
///
/// Slot j recomputing its own rank over the row, as the op was lowered
/// first, took k n^2 comparisons: a top-50 of 64 rows of a 32000-word
/// vocabulary ran for minutes.
struct LowerTopK : OpConversionPattern<TopKOp> {
  using OpConversionPattern::OpConversionPattern;

  static constexpr int64_t kBlock = 256;
  static constexpr int64_t kPruneBlock = 64;

  /// Marks `value`'s generic with its scalar steps per element, which size
  /// its workgroups (kiln-cpu-select-workgroup-tiles). The steps are
  /// counted in double and capped: k n overflows int64 for rows of 2^32.
  static void setCost(Value value, double steps) {
    Operation *op = value.getDefiningOp();
    auto capped = static_cast<int64_t>(std::clamp(steps, 1.0, 0x1p62));
    op->setAttr(
        kElementCostAttr,
        IntegerAttr::get(IntegerType::get(op->getContext(), 64), capped));
  }

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

    Value key = g.generic(
        x, {g.identity(rank)}, g.empty(type.getShape(), i64), g.identity(rank),
        GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          BodyScalars s{b, l};
          Type i32 = b.getI32Type();
          Value zero = s.f32(0.0);
          Value v = arith::SelectOp::create(
              b, l, s.cmpf(arith::CmpFPredicate::OEQ, args[0], zero), zero,
              args[0]);
          Value bits = arith::BitcastOp::create(b, l, i32, v);
          // Negative floats order reversed (all bits flipped), the others
          // above them (sign bit set).
          Value negative =
              s.cmpi(arith::CmpIPredicate::slt, bits, constant(b, l, i32, 0));
          Value flipped =
              arith::XOrIOp::create(b, l, bits, constant(b, l, i32, -1));
          Value raised = arith::OrIOp::create(
              b, l, bits, constant(b, l, i32, int64_t(INT32_MIN)));
          Value ordered = arith::SelectOp::create(
              b, l, s.cmpf(arith::CmpFPredicate::UNO, args[0], args[0]),
              constant(b, l, i32, -1),
              arith::SelectOp::create(b, l, negative, flipped, raised));
          Value high = arith::ShLIOp::create(
              b, l, arith::ExtUIOp::create(b, l, i64, ordered), s.i64(32));
          Value index = s.toI64(linalg::IndexOp::create(b, l, rank - 1));
          return arith::OrIOp::create(
                     b, l, high,
                     arith::SubIOp::create(b, l, s.i64(0xfffffffe), index))
              .getResult();
        });
    auto keyAt = [&](BodyScalars &s, Value i) { return s.at(key, rowAt(i)); };

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
      SmallVector<int64_t> shape(rows);
      shape.push_back(pruneBlocks);
      blockMax = g.generic({}, {}, g.empty(shape, i64), g.identity(rank),
                           GenericBuilder::parallel(rank),
                           [&](OpBuilder &b, Location l, ValueRange) {
                             readRow(b, l);
                             BodyScalars s{b, l};
                             auto [lb, ub] = blockRange(
                                 s, linalg::IndexOp::create(b, l, rank - 1),
                                 kPruneBlock);
                             // Below all ones: every key.
                             return foldRange(s, lb, ub, s.i64(-1), s.i64(0));
                           });
      setCost(blockMax, kPruneBlock);
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
      setCost(floor, double(k) * pruneBlocks);
    }
    Value last = g.generic(
        prune ? ValueRange{floor} : ValueRange{},
        prune ? SmallVector<AffineMap>{g.identity(rank - 1)}
              : SmallVector<AffineMap>{},
        g.empty(rows, i64), g.identity(rank - 1),
        GenericBuilder::parallel(rank - 1),
        [&](OpBuilder &b, Location l, ValueRange args) {
          readRow(b, l);
          BodyScalars s{b, l};
          if (!prune) {
            return kth(s, [&](Value below, Value best) {
              return foldRange(s, s.idx(0), s.idx(n), below, best);
            });
          }
          return kth(s, [&](Value below, Value best) {
            return s.forEach(
                pruneBlocks, ValueRange{best},
                [&](Value blk, ValueRange acc) -> SmallVector<Value> {
                  Value reaches = s.cmpi(arith::CmpIPredicate::uge,
                                         s.at(blockMax, rowAt(blk)), args[0]);
                  auto branch = scf::IfOp::create(b, l, i64, reaches,
                                                  /*withElseRegion=*/true);
                  OpBuilder::InsertionGuard guard(b);
                  b.setInsertionPointToStart(branch.thenBlock());
                  auto [lb, ub] = blockRange(s, blk, kPruneBlock);
                  scf::YieldOp::create(b, l,
                                       foldRange(s, lb, ub, below, acc[0]));
                  b.setInsertionPointToStart(branch.elseBlock());
                  scf::YieldOp::create(b, l, acc[0]);
                  return {branch.getResult(0)};
                })[0];
          });
        });
    setCost(last, prune ? double(k) * (pruneBlocks + double(k) * kPruneBlock)
                        : double(k) * n);

    // Element i of the current row is a member: its key reaches the row's
    // last (k-th) key.
    auto isMember = [&](BodyScalars &s, Value i, Value lastKey) {
      return s.cmpi(arith::CmpIPredicate::uge, keyAt(s, i), lastKey);
    };
    SmallVector<int64_t> blockShape(rows);
    blockShape.push_back(blocks);
    Value count = g.generic(
        last, {perRow}, g.empty(blockShape, i64), g.identity(rank),
        GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          readRow(b, l);
          BodyScalars s{b, l};
          auto [lb, ub] =
              blockRange(s, linalg::IndexOp::create(b, l, rank - 1), kBlock);
          return s.sum(lb, ub, [&](Value i) {
            return arith::ExtUIOp::create(b, l, i64, isMember(s, i, args[0]))
                .getResult();
          });
        });

    setCost(count, kBlock);
    SmallVector<int64_t> slots(rows);
    slots.push_back(k);
    Value member = g.generic(
        last, {perRow}, g.empty(slots, i64), g.identity(rank),
        GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          readRow(b, l);
          BodyScalars s{b, l};
          Value c = s.toI64(linalg::IndexOp::create(b, l, rank - 1));
          // The block holding member c: the first whose running count
          // passes c; the walk carries the running count, the block and the
          // members of the blocks before it.
          ValueRange walk = s.forEach(
              blocks, ValueRange{s.i64(0), s.idx(0), s.i64(0)},
              [&](Value block, ValueRange carried) -> SmallVector<Value> {
                Value through = arith::AddIOp::create(
                    b, l, carried[0], s.at(count, rowAt(block)));
                Value here = arith::AndIOp::create(
                    b, l, s.cmpi(arith::CmpIPredicate::sle, carried[0], c),
                    s.cmpi(arith::CmpIPredicate::sgt, through, c));
                return {through,
                        arith::SelectOp::create(b, l, here, block, carried[1]),
                        arith::SelectOp::create(b, l, here, carried[0],
                                                carried[2])};
              });
          auto [lb, ub] = blockRange(s, walk[1], kBlock);
          Value wanted = arith::SubIOp::create(b, l, c, walk[2]);
          ValueRange found = s.loop(
              lb, ub, ValueRange{s.i64(0), s.idx(0)},
              [&](Value i, ValueRange carried) -> SmallVector<Value> {
                Value in = isMember(s, i, args[0]);
                Value hit = arith::AndIOp::create(
                    b, l, in,
                    s.cmpi(arith::CmpIPredicate::eq, carried[0], wanted));
                return {
                    s.add(carried[0], arith::ExtUIOp::create(b, l, i64, in)),
                    arith::SelectOp::create(b, l, hit, i, carried[1])};
              });
          return s.toI64(found[1]);
        });

    setCost(member, blocks + kBlock);
    auto memberKey = [&](BodyScalars &s, Value c) {
      return keyAt(s, s.toIndex(s.at(member, rowAt(c))));
    };
    Value memberRank = g.generic(
        {}, {}, g.empty(slots, i64), g.identity(rank),
        GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange) {
          readRow(b, l);
          BodyScalars s{b, l};
          Value mine = memberKey(s, linalg::IndexOp::create(b, l, rank - 1));
          return s.sum(s.idx(0), s.idx(k), [&](Value c) {
            Value above =
                s.cmpi(arith::CmpIPredicate::ugt, memberKey(s, c), mine);
            return arith::ExtUIOp::create(b, l, i64, above).getResult();
          });
        });

    setCost(memberRank, k);
    SmallVector<Value> results = g.generic(
        {}, {},
        {g.empty(values.getShape(), rewriter.getF32Type()),
         g.empty(values.getShape(), i64)},
        {g.identity(rank), g.identity(rank)}, GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange) -> SmallVector<Value> {
          readRow(b, l);
          BodyScalars s{b, l};
          Value slot = s.toI64(linalg::IndexOp::create(b, l, rank - 1));
          ValueRange found = s.forEach(
              k, ValueRange{s.idx(0)},
              [&](Value c, ValueRange carried) -> SmallVector<Value> {
                Value hit = s.cmpi(arith::CmpIPredicate::eq,
                                   s.at(memberRank, rowAt(c)), slot);
                return {arith::SelectOp::create(b, l, hit, c, carried[0])};
              });
          Value index = s.at(member, rowAt(found[0]));
          return {s.at(x, rowAt(s.toIndex(index))), index};
        });
    setCost(results[0], k);
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void populateTopKLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerTopK>(patterns.getContext());
}

} // namespace kiln
