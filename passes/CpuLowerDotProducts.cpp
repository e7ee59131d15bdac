//===- CpuLowerDotProducts.cpp - Contractions over B[n, k] as dot products ===//
//
// A contraction that reads B as B[n, k], k contiguous, is a dot product of
// two contiguous rows per element of C: attention's scores over keys read
// in place (k[b, j, hk, d], decoding: AttentionPattern.cpp). The GEMM
// kernels (kiln-cpu-lower-contractions) want B[k, n]; left to
// kiln-cpu-lower-row-reductions, each element was one chain of dependent
// vector FMAs ending in a horizontal sum, about 50 cycles per score for
// 128-lane rows, and 16 rows per head already cost more than reading the
// keys. Here each key row is loaded once per block of rows, the rows of
// a block accumulate in separate registers (independent FMA chains), and
// their horizontal sums share one tree of shuffles:
//
//   for n in [0, N)                      (under a key limit on n: up to
//                                         the largest end of the tile's rows)
//     for each block of 8 rows m0 (then 4, 2, 1 for the rest)
//       acc[r] = 0                       (r < rows of the block, vectors)
//       for each chunk c of `vector-width` lanes of k (the last one masked)
//         acc[r] = fma(A[m0 + r, c], B[n, c], acc[r])
//       s = horizontal sums of acc       (pairs of vectors folded into one,
//                                         halving the lanes per row)
//       C[m0 + r, n] += s[r]
//
// With 16-lane vectors (AVX-512), a whole block of 16 rows (two when K is
// not whole vectors, see kKeyBlockMinRowBlocks) and 16 columns, those
// rows take the keys as the broadcast operand instead,
// S^T = K Q^T, in blocks of 16 keys, and no horizontal sum is left:
//
//   at[blk, k, r] = A[16 blk + r, k]      (per contraction, into a stack
//                                          buffer; 16 x 16 transposes)
//   keys[0, j, ..] = B[j, ..]              (j < 16: a contiguous copy)
//   for n0 in [0, N - N mod 16) step 16    (s = (n0 / 16) mod 2)
//     for each block blk of 16 rows
//       acc[j] = 0                         (16 vectors: one per key)
//       for k in [0, K)
//         acc[j] = fma(broadcast(keys[s, j, k]), at[blk, k, ..], acc[j])
//         (blk = 0, n0 not the last: one vector of
//          keys[1 - s] = B[n0 + 16 + .., ..])
//       C[16 blk + r, n0 .. n0 + 16] += transpose(acc)[r]
//   the rest (rows past the whole row blocks, keys past the whole key
//   blocks): the dot products above
//
// The contractions of a function share one set of stack buffers (a flash
// loop has two: its whole key blocks and its tail block), sized for the
// largest.
//
// Per 16 FMAs that is one vector load and 16 broadcast loads (operands of
// the FMAs), where the dot products load a vector of A per FMA and end
// each key in shuffles. The copy of the key block matters: B's rows are H
// dh floats apart (16 KiB for 32 heads of 128), so the 16 lines a step of
// k reads from them fall on one set of the L1 cache, more than its ways,
// and without the copy each was evicted before the next step read it
// again (20% slower than the dot products; 8-12% faster with it at 32-64
// rows, docs/attention.md).
//
// The next block's copy rides in the first row block's FMA loop, one
// vector per step of k (when K is whole vectors; otherwise each block is
// copied before its row blocks): as a loop of its own the copy waited on
// its loads with no FMAs to overlap, about 10% of a 32-row decoding
// step's time.
//
// With kiln.prefetch_ahead = d (a decoding step's flash loop), each key
// step first prefetches rows n + d (the next flash block's) and n + 32
// (kNearPrefetchRows) of B into L2; the key blocks prefetch their rows
// one line per step of their first row block. The near rows come back
// from L3: keys read in place are `Hkv dh` floats apart, so a head's lines
// fall on a few sets of L2 as well (1/8 of them at 4 KiB, 1/32 at 16 KiB),
// which cannot hold a flash block's keys, and the prefetches a block ahead
// are evicted to L3 before the keys are read.
//
// The order of the additions into an element of C depends on the shapes
// and, under a key limit, on where the whole key blocks end: never on the
// thread count.
//
//===----------------------------------------------------------------------===//

#include "passes/OpClassification.h"
#include "passes/Passes.h"
#include "passes/VectorEmission.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace kiln {
#define GEN_PASS_DEF_CPULOWERDOTPRODUCTSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// Rows per block, at most: eight independent FMA chains cover the FMA
/// latency at two FMAs per cycle.
constexpr int64_t kBlockRows = 8;

/// Columns (keys) and rows per block where B is the broadcast operand:
/// their accumulators are one kKeyBlock x kKeyBlock transpose onto C.
/// Taken when the vectors have kKeyBlock lanes.
constexpr int64_t kKeyBlock = 16;

/// Whole blocks of kKeyBlock rows from which B is the broadcast operand,
/// when each key block's copy rides in the FMAs of the block before (rows
/// of whole vectors) and when it is a loop of its own. One block (16 rows
/// per head) with the copy its own loop cost what the dot products'
/// shuffles do; with the copy in the FMAs it ran 14-18% faster
/// (docs/attention.md, "Decoding").
constexpr int64_t kKeyBlockMinRowBlocks = 1;
constexpr int64_t kKeyBlockMinRowBlocksCopying = 2;

/// The stack buffers of the key blocks, shared by a function's
/// contractions: A^T as [row blocks, depth, kKeyBlock] and two blocks of
/// B's rows as [2, kKeyBlock, depth] (the one in use and the next), each
/// large enough for every contraction.
struct KeyBlockBuffers {
  Value queries, keys;
};

/// Whether a contraction of `rows` x `cols` over `depth` takes key blocks.
bool takesKeyBlocks(int64_t rows, int64_t cols, int64_t depth, int64_t width) {
  int64_t minRowBlocks =
      depth % width == 0 ? kKeyBlockMinRowBlocks : kKeyBlockMinRowBlocksCopying;
  return width == kKeyBlock && rows / kKeyBlock >= minRowBlocks &&
         cols >= kKeyBlock;
}

class DotEmitter {
public:
  /// `buffers`: the function's key-block buffers (null values when no
  /// contraction of it takes key blocks).
  DotEmitter(OpBuilder &b, linalg::GenericOp op, const GemmOperands &gemm,
             int64_t width, KeyBlockBuffers buffers)
      : b(b), loc(op.getLoc()), op(op), gemm(gemm), width(width),
        buffers(buffers) {
    a = op.getDpsInputOperand(gemm.lhs)->get();
    bMat = op.getDpsInputOperand(gemm.rhs)->get();
    c = op.getDpsInitOperand(0)->get();
    auto cType = cast<MemRefType>(c.getType());
    rows = cType.getDimSize(cType.getRank() - 2);
    cols = cType.getDimSize(cType.getRank() - 1);
    depth = cast<MemRefType>(a.getType()).getShape().back();
    vectorType = VectorType::get({width}, b.getF32Type());
  }

  void emit() {
    Value end = index(cols);
    if (std::optional<KeyLimit> limit = keyLimit(op)) {
      end = arith::MinSIOp::create(b, loc, end, largestEnd(*limit));
    }
    ahead = op->getAttrOfType<IntegerAttr>(kPrefetchAheadAttr);
    if (!takesKeyBlocks(rows, cols, depth, width)) {
      emitDots(index(0), end, 0);
      return;
    }
    int64_t rowBlocks = rows / kKeyBlock;
    Value blocksEnd = emitKeyBlocks(end, rowBlocks);
    if (rowBlocks * kKeyBlock < rows) {
      emitDots(index(0), blocksEnd, rowBlocks * kKeyBlock);
    }
    emitDots(blocksEnd, end, 0);
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  Value zeros(VectorType type) {
    return arith::ConstantOp::create(b, loc, type,
                                     DenseElementsAttr::get(type, 0.0f));
  }

  /// The mask of a vector's first `lanes` lanes.
  Value laneMask(int64_t lanes) {
    return vector::ConstantMaskOp::create(
        b, loc, VectorType::get({width}, b.getI1Type()), lanes);
  }

  unsigned aRank() { return cast<MemRefType>(a.getType()).getRank(); }

  /// The dot products of columns [first, last) with rows [firstRow, rows).
  void emitDots(Value first, Value last, int64_t firstRow) {
    emitForLoop(b, loc, first, last, 1, [&](Value n) {
      if (ahead) {
        prefetchRow(arith::AddIOp::create(b, loc, n, index(ahead.getInt())));
        prefetchRow(arith::AddIOp::create(b, loc, n, index(kNearPrefetchRows)));
      }
      int64_t m0 = firstRow;
      for (int64_t block = std::min(kBlockRows, width); block > 0; block /= 2) {
        for (; m0 + block <= rows; m0 += block) {
          emitBlock(n, m0, block);
        }
      }
    });
  }

  SmallVector<Value> at(Value view, unsigned firstPos, Value first,
                        unsigned secondPos, Value second) {
    return unitDimIndices(b, loc, view, firstPos, first, secondPos, second);
  }

  /// The largest key end of the tile's rows (the loops but the row one at
  /// 0 for the ends' map).
  Value largestEnd(const KeyLimit &limit) {
    unsigned loops = op.getNumLoops();
    auto loop = scf::ForOp::create(
        b, loc, index(0), index(rows), index(1), ValueRange{index(0)},
        [&](OpBuilder &nb, Location, Value row, ValueRange carried) {
          SmallVector<Value> ivs(loops, index(0));
          ivs[loops - 3] = row;
          Value end = memref::LoadOp::create(nb, loc, limit.ends->get(),
                                             keyEndIndices(op, limit, ivs));
          Value endIndex =
              arith::IndexCastOp::create(nb, loc, nb.getIndexType(), end);
          scf::YieldOp::create(nb, loc,
                               ValueRange{arith::MaxSIOp::create(
                                   nb, loc, carried[0], endIndex)});
        });
    return loop.getResult(0);
  }

  /// Prefetches row n of B into L2, one 64-byte line at a time. Past the
  /// view (the next key block, or past the end of B) the address is only a
  /// hint, which never faults.
  void prefetchRow(Value n) {
    for (int64_t k = 0; k < depth; k += kCacheLineLanes) {
      prefetchLine(b, n, index(k));
    }
  }

  /// Prefetches into L2 the line of B's row n at element k (built by
  /// `nb`: the key blocks' depth loops build with their own builder).
  void prefetchLine(OpBuilder &nb, Value n, Value k) {
    memref::PrefetchOp::create(
        nb, loc, bMat, at(bMat, gemm.rhsNPos, n, gemm.rhsKPos, k),
        /*isWrite=*/false, /*localityHint=*/2, /*isDataCache=*/true);
  }

  /// `lanes` lanes of a row at `idx` (all of a vector when lanes ==
  /// width), zero in the others.
  Value load(Value view, ArrayRef<Value> idx, int64_t lanes) {
    if (lanes == width) {
      return vector::LoadOp::create(b, loc, vectorType, view, idx);
    }
    return vector::MaskedLoadOp::create(b, loc, vectorType, view, idx,
                                        laneMask(lanes), zeros(vectorType));
  }

  /// Stores the first `lanes` lanes of `value` at `idx` (all of them when
  /// lanes == width).
  void store(Value value, Value view, ValueRange idx, int64_t lanes) {
    if (lanes == width) {
      vector::StoreOp::create(b, loc, value, view, idx);
      return;
    }
    vector::MaskedStoreOp::create(b, loc, view, idx, laneMask(lanes), value);
  }

  /// acc[r] += A[m0 + r, k..] * B[n, k..] over one chunk of `lanes` lanes.
  SmallVector<Value> chunk(Value n, int64_t m0, Value k, int64_t lanes,
                           ValueRange accs) {
    Value bVec = load(bMat, at(bMat, gemm.rhsNPos, n, gemm.rhsKPos, k), lanes);
    SmallVector<Value> next;
    for (auto [r, acc] : llvm::enumerate(accs)) {
      Value aVec =
          load(a, at(a, gemm.lhsRowPos, index(m0 + r), aRank() - 1, k), lanes);
      next.push_back(vector::FMAOp::create(b, loc, aVec, bVec, acc));
    }
    return next;
  }

  void emitBlock(Value n, int64_t m0, int64_t count) {
    SmallVector<Value> accs(count, zeros(vectorType));
    int64_t full = depth / width, tail = depth % width;
    if (full > 0) {
      auto loop = scf::ForOp::create(
          b, loc, index(0), index(full * width), index(width), accs,
          [&](OpBuilder &nb, Location, Value k, ValueRange carried) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            scf::YieldOp::create(b, loc, chunk(n, m0, k, width, carried));
          });
      accs = SmallVector<Value>(loop.getResults());
    }
    if (tail > 0) {
      accs = chunk(n, m0, index(full * width), tail, accs);
    }
    Value sums = horizontalSums(accs);
    for (int64_t r = 0; r < count; ++r) {
      SmallVector<Value> idx =
          at(c, cRank() - 2, index(m0 + r), cRank() - 1, n);
      Value sum = vector::ExtractOp::create(b, loc, sums, r);
      Value old = memref::LoadOp::create(b, loc, c, idx);
      memref::StoreOp::create(b, loc, arith::AddFOp::create(b, loc, old, sum),
                              c, idx);
    }
  }

  unsigned cRank() { return cast<MemRefType>(c.getType()).getRank(); }

  /// The columns in blocks of kKeyBlock with B as the broadcast operand
  /// (C^T = B A^T) for the first `rowBlocks` blocks of kKeyBlock rows: A^T
  /// first goes to its stack buffer; then, for each block of columns (its
  /// B rows copied to a slot of theirs, by the block before), each block
  /// of rows carries one accumulator per column along k, each step one
  /// vector of A^T times one element of B broadcast, and the accumulators
  /// are transposed onto C's rows. Returns where the whole column blocks
  /// end.
  Value emitKeyBlocks(Value end, int64_t rowBlocks) {
    emitForLoop(b, loc, index(0), index(rowBlocks), 1,
                [&](Value block) { transposeQueries(block); });
    Value step = index(kKeyBlock);
    Value blocksEnd = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, end, step), step);
    if (depth % width != 0) {
      // Rows of a part vector: each block's copy on its own.
      emitForLoop(b, loc, index(0), blocksEnd, kKeyBlock, [&](Value n0) {
        if (ahead) {
          for (int64_t j = 0; j < kKeyBlock; ++j) {
            prefetchRow(
                arith::AddIOp::create(b, loc, n0, index(j + ahead.getInt())));
          }
        }
        copyKeys(n0, index(0));
        emitForLoop(b, loc, index(0), index(rowBlocks), 1, [&](Value block) {
          keyBlock(block, n0, index(0), /*next=*/{});
        });
      });
      return blocksEnd;
    }
    // The first block's keys go to slot 0 before the loop; the first row
    // block of each block but the last then copies the next block's keys
    // into the other slot, one vector per step.
    Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                      blocksEnd, index(0));
    auto first = scf::IfOp::create(b, loc, any);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(first.thenYield());
      copyKeys(index(0), index(0));
    }
    emitForLoop(b, loc, index(0), blocksEnd, kKeyBlock, [&](Value n0) {
      Value slot = arith::RemUIOp::create(
          b, loc, arith::DivUIOp::create(b, loc, n0, step), index(2));
      Value following = arith::AddIOp::create(b, loc, n0, step);
      Value more = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                         following, blocksEnd);
      NextKeys next;
      if (ahead) {
        // The rows a flash block ahead come into L2 from memory; those of
        // the block after the next (kNearPrefetchRows on) come back into
        // L2 from L3 (see the file's header).
        next.prefetchRows = {
            arith::AddIOp::create(b, loc, n0, index(ahead.getInt())),
            arith::AddIOp::create(b, loc, n0, index(kNearPrefetchRows))};
      }
      auto copying = scf::IfOp::create(b, loc, more, /*withElse=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(copying.thenYield());
      NextKeys withCopy = next;
      withCopy.copyFrom = following;
      withCopy.slot = arith::SubIOp::create(b, loc, index(1), slot);
      keyBlock(index(0), n0, slot, withCopy);
      b.setInsertionPoint(copying.elseYield());
      keyBlock(index(0), n0, slot, next);
      b.setInsertionPointAfter(copying);
      emitForLoop(b, loc, index(1), index(rowBlocks), 1,
                  [&](Value block) { keyBlock(block, n0, slot, /*next=*/{}); });
    });
    return blocksEnd;
  }

  /// queries[block, k, r] = A[kKeyBlock block + r, k], by transposes of
  /// kKeyBlock x kKeyBlock tiles (the last one masked along k).
  void transposeQueries(Value block) {
    Value m0 = arith::MulIOp::create(b, loc, block, index(kKeyBlock));
    auto tile = [&](Value k0, int64_t lanes) {
      SmallVector<Value> rowsOfA;
      for (int64_t r = 0; r < kKeyBlock; ++r) {
        Value m = arith::AddIOp::create(b, loc, m0, index(r));
        rowsOfA.push_back(
            load(a, at(a, gemm.lhsRowPos, m, aRank() - 1, k0), lanes));
      }
      Value t = transposed(rowsOfA);
      for (int64_t l = 0; l < lanes; ++l) {
        Value k = arith::AddIOp::create(b, loc, k0, index(l));
        vector::StoreOp::create(b, loc, vector::ExtractOp::create(b, loc, t, l),
                                buffers.queries,
                                ValueRange{block, k, index(0)});
      }
    };
    int64_t chunks = depth / width, tail = depth % width;
    if (chunks > 0) {
      emitForLoop(b, loc, index(0), index(chunks * width), width,
                  [&](Value k0) { tile(k0, width); });
    }
    if (tail > 0) {
      tile(index(chunks * width), tail);
    }
  }

  /// The kKeyBlock x kKeyBlock tile whose columns are `rows` (vectors of
  /// kKeyBlock lanes).
  Value transposed(ValueRange rows) {
    Value t = zeros(VectorType::get({kKeyBlock, width}, b.getF32Type()));
    for (auto [r, row] : llvm::enumerate(rows)) {
      t = vector::InsertOp::create(b, loc, row, t, r);
    }
    return vector::TransposeOp::create(b, loc, t, ArrayRef<int64_t>{1, 0});
  }

  /// keys[slot, j, ..] = B[n0 + j, ..] for j < kKeyBlock: the FMAs
  /// broadcast from a contiguous buffer, not from rows on one set of the
  /// L1 cache (see the file's header).
  void copyKeys(Value n0, Value slot) {
    for (int64_t j = 0; j < kKeyBlock; ++j) {
      Value key = arith::AddIOp::create(b, loc, n0, index(j));
      for (int64_t k = 0; k < depth; k += width) {
        int64_t lanes = std::min(width, depth - k);
        Value row = load(
            bMat, at(bMat, gemm.rhsNPos, key, gemm.rhsKPos, index(k)), lanes);
        store(row, buffers.keys, {slot, index(j), index(k)}, lanes);
      }
    }
  }

  /// What a block's first row block does besides its FMAs (rows of whole
  /// vectors): copy the kKeyBlock keys from row `copyFrom` (when set) into
  /// `slot`, and prefetch into L2 the kKeyBlock rows from each of
  /// `prefetchRows`.
  struct NextKeys {
    Value copyFrom, slot;
    SmallVector<Value, 2> prefetchRows;

    bool any() const { return copyFrom || !prefetchRows.empty(); }
  };

  /// Step k of the first row block: vector k of the kKeyBlock x depth /
  /// width vectors of the next keys, and the lines of the prefetched rows
  /// at the same place.
  void stepNextKeys(OpBuilder &nb, Value k, const NextKeys &next) {
    Value perRow = index(depth / width);
    Value j = arith::DivUIOp::create(nb, loc, k, perRow);
    Value lane = arith::MulIOp::create(
        nb, loc, arith::RemUIOp::create(nb, loc, k, perRow), index(width));
    if (next.copyFrom) {
      Value key = arith::AddIOp::create(nb, loc, next.copyFrom, j);
      Value row = vector::LoadOp::create(
          nb, loc, vectorType, bMat,
          at(bMat, gemm.rhsNPos, key, gemm.rhsKPos, lane));
      vector::StoreOp::create(nb, loc, row, buffers.keys,
                              ValueRange{next.slot, j, lane});
    }
    for (Value from : next.prefetchRows) {
      prefetchLine(nb, arith::AddIOp::create(nb, loc, from, j), lane);
    }
  }

  /// C[kKeyBlock block + r, n0 + j] += sum over k of
  /// queries[block, k, r] * keys[slot, j, k] for r, j < kKeyBlock; each
  /// step also does its part of `next` (stepNextKeys).
  void keyBlock(Value block, Value n0, Value slot, const NextKeys &next) {
    auto loop = scf::ForOp::create(
        b, loc, index(0), index(depth), index(1),
        SmallVector<Value>(kKeyBlock, zeros(vectorType)),
        [&](OpBuilder &nb, Location, Value k, ValueRange accs) {
          if (next.any()) {
            stepNextKeys(nb, k, next);
          }
          Value queries =
              vector::LoadOp::create(nb, loc, vectorType, buffers.queries,
                                     ValueRange{block, k, index(0)});
          SmallVector<Value> nextAccs;
          for (auto [j, acc] : llvm::enumerate(accs)) {
            Value x = memref::LoadOp::create(nb, loc, buffers.keys,
                                             ValueRange{slot, index(j), k});
            Value broadcast =
                vector::BroadcastOp::create(nb, loc, vectorType, x);
            nextAccs.push_back(
                vector::FMAOp::create(nb, loc, broadcast, queries, acc));
          }
          scf::YieldOp::create(nb, loc, nextAccs);
        });
    Value t = transposed(loop.getResults());
    Value m0 = arith::MulIOp::create(b, loc, block, index(kKeyBlock));
    for (int64_t r = 0; r < kKeyBlock; ++r) {
      Value m = arith::AddIOp::create(b, loc, m0, index(r));
      SmallVector<Value> idx = at(c, cRank() - 2, m, cRank() - 1, n0);
      Value old = vector::LoadOp::create(b, loc, vectorType, c, idx);
      Value sum = arith::AddFOp::create(
          b, loc, old, vector::ExtractOp::create(b, loc, t, r));
      vector::StoreOp::create(b, loc, sum, c, idx);
    }
  }

  /// The sums of the lanes of each of `accs` (a power of two of them), as
  /// one vector of that many lanes. A vector holds rows of equal segments;
  /// two of them fold into one of twice the rows and half the segment
  /// (each row's low half plus its high half), then the one left folds
  /// onto itself until each row is one lane.
  Value horizontalSums(SmallVector<Value> vectors) {
    int64_t segment = width;
    // Rows per vector; every vector has rowsEach * segment lanes.
    int64_t rowsEach = 1;
    auto halves = [&](int64_t vectorsLanes, bool twoVectors) {
      SmallVector<int64_t> lo, hi;
      for (int64_t from = 0; from < (twoVectors ? 2 : 1); ++from) {
        for (int64_t row = 0; row < rowsEach; ++row) {
          for (int64_t lane = 0; lane < segment / 2; ++lane) {
            int64_t base = from * vectorsLanes + row * segment + lane;
            lo.push_back(base);
            hi.push_back(base + segment / 2);
          }
        }
      }
      return std::make_pair(lo, hi);
    };
    auto fold = [&](Value x, Value y, bool twoVectors) {
      int64_t lanes = rowsEach * segment;
      auto [lo, hi] = halves(lanes, twoVectors);
      Value low = vector::ShuffleOp::create(b, loc, x, y, lo);
      Value high = vector::ShuffleOp::create(b, loc, x, y, hi);
      return arith::AddFOp::create(b, loc, low, high).getResult();
    };
    while (vectors.size() > 1 && segment > 1) {
      SmallVector<Value> next;
      for (size_t i = 0; i + 1 < vectors.size(); i += 2) {
        next.push_back(fold(vectors[i], vectors[i + 1], /*twoVectors=*/true));
      }
      vectors = next;
      rowsEach *= 2;
      segment /= 2;
    }
    Value v = vectors.front();
    while (segment > 1) {
      v = fold(v, v, /*twoVectors=*/false);
      segment /= 2;
    }
    return v;
  }

  OpBuilder &b;
  Location loc;
  linalg::GenericOp op;
  GemmOperands gemm;
  int64_t width;
  Value a, bMat, c;
  KeyBlockBuffers buffers;
  IntegerAttr ahead;
  int64_t rows = 0, cols = 0, depth = 0;
  VectorType vectorType;
};

struct CpuLowerDotProductsPass
    : kiln::impl::CpuLowerDotProductsPassBase<CpuLowerDotProductsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorWidth < 2 || !llvm::isPowerOf2_64(vectorWidth)) {
      getOperation().emitError()
          << "kiln-cpu-lower-dot-products: vector-width must be a power of "
             "two >= 2; got "
          << vectorWidth.getValue();
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, GemmOperands>> dots;
    getOperation().walk([&](linalg::GenericOp op) {
      std::optional<GemmOperands> gemm = matchGemm(op);
      if (!gemm || !gemm->rhsTransposed || !op.hasPureBufferSemantics() ||
          rowLimitOperand(op)) {
        return;
      }
      // A key limit must be on the columns (attention's scores).
      std::optional<KeyLimit> limit = keyLimit(op);
      if (limit && limit->keyLoop != op.getNumLoops() - 2) {
        return;
      }
      Value a = op.getDpsInputOperand(gemm->lhs)->get();
      Value bMat = op.getDpsInputOperand(gemm->rhs)->get();
      Value c = op.getDpsInitOperand(0)->get();
      for (Value view : {a, bMat, c}) {
        auto type = cast<MemRefType>(view.getType());
        if (!type.getElementType().isF32() || !type.hasStaticShape() ||
            !hasUnitInnerStride(view)) {
          return;
        }
      }
      unsigned aRank = cast<MemRefType>(a.getType()).getRank();
      unsigned bRank = cast<MemRefType>(bMat.getType()).getRank();
      unsigned cRank = cast<MemRefType>(c.getType()).getRank();
      if (gemm->rhsKPos != bRank - 1 ||
          !hasUnitDimsExcept(bMat, {gemm->rhsNPos, gemm->rhsKPos}) ||
          !hasUnitDimsExcept(a, {gemm->lhsRowPos, aRank - 1}) ||
          !hasUnitDimsExcept(c, {cRank - 2, cRank - 1})) {
        return;
      }
      dots.push_back({op, *gemm});
    });
    KeyBlockBuffers buffers = keyBlockBuffers(dots);
    for (auto [op, gemm] : dots) {
      OpBuilder b(op);
      DotEmitter(b, op, gemm, vectorWidth, buffers).emit();
      op.erase();
    }
    if (buffers.queries) {
      lowerTransposesToShuffles(getOperation());
    }
  }

  /// The key-block buffers of the function, at its entry, sized for the
  /// largest of `dots` that take key blocks (none when no one does).
  KeyBlockBuffers
  keyBlockBuffers(ArrayRef<std::pair<linalg::GenericOp, GemmOperands>> dots) {
    int64_t rowBlocks = 0, depth = 0;
    for (auto [op, gemm] : dots) {
      auto cType = cast<MemRefType>(op.getDpsInitOperand(0)->get().getType());
      int64_t rows = cType.getShape().end()[-2];
      auto aType =
          cast<MemRefType>(op.getDpsInputOperand(gemm.lhs)->get().getType());
      int64_t opDepth = aType.getShape().back();
      if (!takesKeyBlocks(rows, cType.getShape().back(), opDepth,
                          vectorWidth)) {
        continue;
      }
      rowBlocks = std::max(rowBlocks, rows / kKeyBlock);
      depth = std::max(depth, opDepth);
    }
    if (rowBlocks == 0) {
      return {};
    }
    auto b = OpBuilder::atBlockBegin(&getOperation().getBody().front());
    auto buffer = [&](ArrayRef<int64_t> shape) {
      return memref::AllocaOp::create(b, getOperation().getLoc(),
                                      MemRefType::get(shape, b.getF32Type()),
                                      b.getI64IntegerAttr(64))
          .getResult();
    };
    return {buffer({rowBlocks, depth, kKeyBlock}),
            buffer({2, kKeyBlock, depth})};
  }
};

} // namespace
