//===- CpuLowerContractions.cpp - GEMM tiles to register-blocked vectors --===//
//
// After workgroup tiling and bufferization a GEMM is a linalg.generic on
// memref views: C[1.., m, n] += A[.., m, .., k] * B, with static sizes, B
// read as B[.., k, .., n] or, for weights stored in panels,
// B[n / p, k, n % p]; every other dim of the views is a batch dim, of size
// 1 in a workgroup's tile. It is
// emitted as a loop nest in the order of BLIS's macro-kernel:
//
//   for each block of `nr` columns of C          (a panel of B, or part of
//                                                 one: nr divides its width)
//     for each block of `kc` of the depth        (a kc x nr slab of B that
//       for each block of `mr` rows of C          stays in L1 across rows)
//         C[mr x nr] += A[mr x kc] * B[kc x nr]  (the micro-kernel)
//
// The micro-kernel starts its accumulators from zero, carries them through
// its depth loop as loop values (LLVM keeps them in registers), then adds
// them to C once and stores C once. C's block is read after the depth loop,
// not before it: loaded first, a block of C missing the caches (the rows of
// a column strip are N floats apart, and for power-of-two N they share a
// few cache sets) stalled every accumulator chain at the start of each
// micro-kernel; loaded last, the out-of-order core fetches it behind the
// last depth steps and the next block's first ones. Each k step broadcasts `mr`
// elements of A and loads `nr / width` vectors of B, and prefetches into L2 the
// same vectors `prefetch` rows further on: the next slab of B (for B in panels,
// or B[k, n] deeper than `prefetch`). The row blocks after the first read a
// slab from cache, during which the hardware prefetchers, which follow
// misses, stay idle; the software prefetch keeps memory busy then, so that
// a GEMM with few rows (32-row query paths) streams its weights at the
// machine's bandwidth instead of stalling on each new slab. Row remainders get
// a block with fewer rows, column remainders fewer vectors and a masked last
// vector, so every shape stays vectorized. The order of the additions into each
// element of C depends only on the shapes, never on the thread count.
//
// A row-limited GEMM (OpClassification.h) runs its row blocks only up to
// its count: whole blocks below it, then blocks of 4, 2 and 1 rows for the
// remainder, so no row past the count is computed.
// A key limit on the columns (attention's scores) stops the column blocks
// at the largest key end of the tile's rows; on the depth (the product with
// V) each row block's depth loop stops at the largest key end of its rows.
//
// B read as B[n, k] (a transposed operand) is left to the generic loop
// lowering; weights are re-laid-out before dispatch formation.
//
//===----------------------------------------------------------------------===//

#include "passes/OpClassification.h"
#include "passes/Passes.h"
#include "passes/StorageBytes.h"
#include "passes/VectorEmission.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <functional>

namespace kiln {
#define GEN_PASS_DEF_CPULOWERCONTRACTIONSPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The blocking of one GEMM, its micro-kernel's depth loop taking `unroll`
/// rows of B per iteration; `prefetch` rows of B ahead (0: none), also
/// within one slab when `ahead` (kPrefetchAheadAttr: the rows past it are
/// the next key block of a decoding step's flash loop), which prefetches
/// the rows kNearPrefetchRows ahead as well.
struct Blocking {
  int64_t mr, nr, kc, width, prefetch, unroll = 1;
  bool ahead = false;
  /// Row blocks share the next slab's prefetches (spreadsPrefetches()).
  bool spread = false;
};

/// A column block's place in B stored in panels: its panel and its first
/// lane there.
struct PanelPosition {
  Value panel, lane;
};

/// Where a GEMM stops early: rows past a count, columns or depth past the
/// key end of their row (`keyEnd(m)`, an index).
struct Limits {
  Value rowCount;
  std::function<Value(OpBuilder &, Value)> keyEnd;
  bool keysOnDepth = false;
};

/// Emits the loop nest of one GEMM tile.
class GemmEmitter {
public:
  /// `zeroInit`: C holds zeros (its fill was removed), so the first depth
  /// block stores its sums rather than adding them to a load of C. `coldC`:
  /// C is a binding, whose blocks that first block prefetches (prefetchC).
  GemmEmitter(OpBuilder &b, Location loc, Value a, Value bMat, Value c,
              const GemmOperands &gemm, Blocking blocking, bool zeroInit,
              bool coldC, const Limits &limits)
      : b(b), loc(loc), a(a), bMat(bMat), c(c), gemm(gemm),
        panel(gemm.rhsPanel), blocking(blocking), zeroInit(zeroInit),
        coldC(coldC), rowCount(limits.rowCount), keyEnd(limits.keyEnd),
        keysOnDepth(limits.keysOnDepth) {
    auto cType = cast<MemRefType>(c.getType());
    rows = cType.getDimSize(cType.getRank() - 2);
    cols = cType.getDimSize(cType.getRank() - 1);
    auto bType = cast<MemRefType>(bMat.getType());
    depth = bType.getDimSize(panel ? bType.getRank() - 2 : gemm.rhsKPos);
    vectorType = VectorType::get({blocking.width}, cType.getElementType());
    maskType = VectorType::get({blocking.width}, b.getI1Type());
  }

  void emit() {
    int64_t nr = blocking.nr, width = blocking.width;
    // Columns some row sees, under a key limit on the columns.
    Value seen = keyEnd && !keysOnDepth ? lastKeyEnd(index(0), rows) : Value();
    blocks(
        cols, nr, seen, [&](Value n0) { emitColumnBlock(n0, nr / width, 0); },
        [&](Value n0, int64_t rest) {
          emitColumnBlock(n0, llvm::divideCeil(rest, width), rest % width);
        });
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  Value add(Value v, int64_t offset) {
    return offset == 0
               ? v
               : arith::AddIOp::create(b, loc, v, index(offset)).getResult();
  }

  void forLoop(int64_t lb, int64_t ub, int64_t step,
               function_ref<void(Value)> body) {
    forLoop(lb, index(ub), step, body);
  }
  void forLoop(int64_t lb, Value ub, int64_t step,
               function_ref<void(Value)> body) {
    emitForLoop(b, loc, index(lb), ub, step, body);
  }

  /// Blocks of `step` over [0, total): `full(start)` for each whole block,
  /// then `partial(start, size)` for the remainder. With a `limit`, no
  /// block starts at or past it (the last one started may run past it).
  void blocks(int64_t total, int64_t step, Value limit,
              function_ref<void(Value)> full,
              function_ref<void(Value, int64_t)> partial) {
    int64_t whole = total - total % step;
    if (whole > 0) {
      Value end = index(whole);
      if (limit) {
        end = arith::MinSIOp::create(b, loc, end, limit);
      }
      forLoop(0, end, step, full);
    }
    if (total % step == 0) {
      return;
    }
    if (!limit) {
      partial(index(whole), total % step);
      return;
    }
    Value wanted = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                         limit, index(whole));
    auto branch = scf::IfOp::create(b, loc, wanted, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(branch.thenBlock()->getTerminator());
    partial(index(whole), total % step);
  }

  /// Indices of the element of a view at `first` in dim `firstPos` and
  /// `second` in dim `secondPos`, its other (unit) dims at 0.
  SmallVector<Value> indices(Value view, unsigned firstPos, Value first,
                             unsigned secondPos, Value second) {
    return unitDimIndices(b, loc, view, firstPos, first, secondPos, second);
  }

  /// Indices of C[.., row, col].
  SmallVector<Value> cIndices(Value row, Value col) {
    int64_t rank = cast<MemRefType>(c.getType()).getRank();
    return indices(c, rank - 2, row, rank - 1, col);
  }

  /// Indices of A[.., row, .., k].
  SmallVector<Value> aIndices(Value row, Value k) {
    int64_t rank = cast<MemRefType>(a.getType()).getRank();
    return indices(a, gemm.lhsRowPos, row, rank - 1, k);
  }

  /// `vectors` vectors of C columns from n0 (the last masked to `tailLanes`
  /// lanes when that is non-zero), over the whole depth in blocks of kc.
  void emitColumnBlock(Value n0, int64_t vectors, int64_t tailLanes) {
    // The panel holding these columns and their first lane in it (nr
    // divides the panel width, so a block never straddles two panels).
    PanelPosition at;
    if (panel) {
      at.panel = arith::DivUIOp::create(b, loc, n0, index(panel));
      at.lane =
          blocking.nr == panel
              ? index(0)
              : arith::RemUIOp::create(b, loc, n0, index(panel)).getResult();
    }
    int64_t kc = std::min(blocking.kc, depth);
    int64_t fullDepth = depth - depth % kc;
    // `first`: the block that starts the sums; when C was only zero-filled
    // (the fill is gone) it stores them without reading C.
    auto depthBlock = [&](Value k0, int64_t length, bool first) {
      bool fromZero = first && zeroInit;
      rowBlocks([&](Value m0, int64_t blockRows) {
        emitMicroKernel(m0, blockRows, n0, at, vectors, tailLanes, k0, length,
                        fromZero);
      });
    };
    if (fullDepth > 0) {
      // The first block on its own, so that it can start from zero.
      depthBlock(index(0), kc, /*first=*/true);
      if (fullDepth > kc) {
        forLoop(kc, fullDepth, kc,
                [&](Value k0) { depthBlock(k0, kc, /*first=*/false); });
      }
    }
    if (depth % kc) {
      depthBlock(index(fullDepth), depth % kc, /*first=*/fullDepth == 0);
    }
  }

  /// Calls `block(m0, rows)` for blocks of rows covering the tile: `mr`
  /// rows at a time, then the rest. Under a row count, whole blocks run up
  /// to the count and its remainder (below `mr`) is one block of exactly
  /// that many rows, picked by a switch: no rows past the count are
  /// computed (an MoE expert's rows end anywhere; a whole last block wasted
  /// 3.5 rows on average, and blocks of 4, 2 and 1 rows, each run when its
  /// bit of the remainder was set, left the 1- and 2-row blocks bound by
  /// the latency of their few accumulators).
  void rowBlocks(function_ref<void(Value, int64_t)> block) {
    int64_t mr = blocking.mr;
    if (!rowCount) {
      int64_t tail = rows % mr, whole = rows - tail;
      if (tail == 0 || whole == 0 || 2 * tail > mr) {
        blocks(
            rows, mr, Value(), [&](Value m0) { block(m0, mr); },
            [&](Value m0, int64_t rest) { block(m0, rest); });
        return;
      }
      // A remainder of up to half a block shares the last whole block's
      // rows: two blocks of about (mr + rest) / 2 rows instead of mr and
      // rest. A block of 1 or 2 rows has too few accumulators to hide the
      // FMA latency and ran at a third to a half of the full rate.
      int64_t first = (mr + tail + 1) / 2;
      if (whole > mr) {
        forLoop(0, whole - mr, mr, [&](Value m0) { block(m0, mr); });
      }
      block(index(whole - mr), first);
      block(index(whole - mr + first), mr + tail - first);
      return;
    }
    Value limit = arith::MinSIOp::create(b, loc, rowCount, index(rows));
    Value rest = arith::RemUIOp::create(b, loc, limit, index(mr));
    Value wholeEnd = arith::SubIOp::create(b, loc, limit, rest);
    forLoop(0, wholeEnd, mr, [&](Value m0) { block(m0, mr); });
    SmallVector<int64_t> sizes;
    for (int64_t size = 1; size < mr && size <= rows; ++size) {
      sizes.push_back(size);
    }
    if (sizes.empty()) {
      return;
    }
    auto pick = scf::IndexSwitchOp::create(b, loc, TypeRange{}, rest, sizes,
                                           sizes.size());
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&pick.getDefaultRegion().emplaceBlock());
    scf::YieldOp::create(b, loc);
    for (auto [size, region] : llvm::zip(sizes, pick.getCaseRegions())) {
      b.setInsertionPointToStart(&region.emplaceBlock());
      b.setInsertionPoint(scf::YieldOp::create(b, loc));
      block(wholeEnd, size);
    }
  }

  /// The largest key end of rows [first, first + count).
  Value lastKeyEnd(Value first, int64_t count) {
    Value last = arith::AddIOp::create(b, loc, first, index(count));
    auto loop = scf::ForOp::create(
        b, loc, first, last, index(1), ValueRange{index(0)},
        [&](OpBuilder &nb, Location, Value row, ValueRange carried) {
          Value end = keyEnd(nb, row);
          scf::YieldOp::create(
              nb, loc,
              ValueRange{arith::MaxSIOp::create(nb, loc, carried[0], end)});
        });
    return loop.getResult(0);
  }

  Value zeroVector() {
    return arith::ConstantOp::create(
        b, loc, vectorType,
        DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0.0f)));
  }

  Value load(Value view, ArrayRef<Value> idx, int64_t maskLanes) {
    if (maskLanes == 0) {
      return vector::LoadOp::create(b, loc, vectorType, view, idx);
    }
    Value mask = vector::ConstantMaskOp::create(b, loc, maskType, maskLanes);
    Value zero = arith::ConstantOp::create(
        b, loc, vectorType,
        DenseElementsAttr::get(vectorType, b.getF32FloatAttr(0.0f)));
    return vector::MaskedLoadOp::create(b, loc, vectorType, view, idx, mask,
                                        zero);
  }

  void store(Value value, Value view, ArrayRef<Value> idx, int64_t maskLanes) {
    if (maskLanes == 0) {
      vector::StoreOp::create(b, loc, value, view, idx);
      return;
    }
    Value mask = vector::ConstantMaskOp::create(b, loc, maskType, maskLanes);
    vector::MaskedStoreOp::create(b, loc, view, idx, mask, value);
  }

  /// The indices of vector j of row k of the column block at `at`, after
  /// B's leading (unit) batch dims.
  SmallVector<Value> panelIndices(PanelPosition at, Value k, int64_t j) {
    int64_t lead = cast<MemRefType>(bMat.getType()).getRank() - 3;
    SmallVector<Value> idx(lead, index(0));
    llvm::append_range(
        idx, ArrayRef<Value>{at.panel, k, add(at.lane, j * blocking.width)});
    return idx;
  }

  /// Vector j of row k of B in the column block at n0 (at `at` in panels).
  Value loadB(Value k, Value n0, PanelPosition at, int64_t j,
              int64_t maskLanes) {
    if (panel) {
      // Panels are whole (zeros pad the last one past N): no mask is needed.
      return load(bMat, panelIndices(at, k, j), 0);
    }
    return load(bMat,
                indices(bMat, gemm.rhsKPos, k, gemm.rhsNPos,
                        add(n0, j * blocking.width)),
                maskLanes);
  }

  /// Whether depth steps prefetch: always for panels (past a panel's last
  /// row lies the next panel), for B[k, n] when there is a next slab or
  /// when asked to (`ahead`: a decoding step's values, the next key block;
  /// each row block of the tile issues them, the first one usefully).
  /// Attention's other score and value blocks are not streamed.
  bool prefetches() const {
    return blocking.prefetch > 0 &&
           (panel || depth > blocking.prefetch || blocking.ahead);
  }

  /// Whether the row blocks share the next slab's prefetches instead of
  /// each issuing them all (`spread`: asked for, or B streamed from
  /// memory, streamsFromMemory): with the depth loop unrolled, B in
  /// panels and at least `unroll` row blocks in the tile, not under a row
  /// count (blocks past it never run) nor for a decoding step's values.
  bool spreadsPrefetches() const {
    return blocking.spread && blocking.unroll > 1 && panel && prefetches() &&
           !blocking.ahead && !rowCount &&
           rows >= blocking.unroll * blocking.mr;
  }

  /// Prefetches row k of B's column block at n0 into L2, one 64-byte line
  /// at a time (a vector of 16 lanes, or every other one of 8). Past the
  /// last row of a panel lies the next panel, which is where the kernel
  /// goes next; past the end of B the address is only a hint, which never
  /// faults.
  void prefetchB(Value k, Value n0, PanelPosition at, int64_t vectors) {
    int64_t perLine = std::max<int64_t>(1, kCacheLineLanes / blocking.width);
    for (int64_t j = 0; j < vectors; j += perLine) {
      SmallVector<Value> idx =
          panel ? panelIndices(at, k, j)
                : indices(bMat, gemm.rhsKPos, k, gemm.rhsNPos,
                          add(n0, j * blocking.width));
      memref::PrefetchOp::create(b, loc, bMat, idx, /*isWrite=*/false,
                                 /*localityHint=*/2, /*isDataCache=*/true);
    }
  }

  /// Prefetches for writing the lines of C's block at rows `rowIdx` and
  /// columns from n0 (`vectors` vectors, the last one `tailLanes` wide when
  /// that is non-zero): one per 16 columns, and the block's last column
  /// when C's rows are not whole lines apart (a block then spans one line
  /// more; bindings start on a line and column blocks on a multiple of nr).
  /// Issued before the depth loop, they bring the block's lines in while it
  /// computes. Stored cold after it, as when C is written once (a short
  /// depth and a C larger than the caches), each line was read for
  /// ownership at its store: `q k^T` with 64-deep heads and 64 MiB of
  /// scores ran at 92 GFLOP/s on one thread against 112 for a C in cache.
  void prefetchC(ArrayRef<Value> rowIdx, Value n0, int64_t vectors,
                 int64_t tailLanes) {
    int64_t columns =
        vectors * blocking.width - (tailLanes ? blocking.width - tailLanes : 0);
    auto cType = cast<MemRefType>(c.getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    bool wholeLines = succeeded(cType.getStridesAndOffset(strides, offset)) &&
                      !ShapedType::isDynamic(strides.end()[-2]) &&
                      strides.end()[-2] % kCacheLineLanes == 0;
    SmallVector<int64_t> at;
    for (int64_t col = 0; col < columns; col += kCacheLineLanes) {
      at.push_back(col);
    }
    if (!wholeLines && columns > 1) {
      at.push_back(columns - 1);
    }
    for (Value row : rowIdx) {
      for (int64_t col : at) {
        memref::PrefetchOp::create(b, loc, c, cIndices(row, add(n0, col)),
                                   /*isWrite=*/true, /*localityHint=*/3,
                                   /*isDataCache=*/true);
      }
    }
  }

  /// C[m0 .. m0+blockRows, n0 .. n0+vectors*width] += A[.., k0 .. k0+length]
  /// * B[k0 .. k0+length, ..] (`fromZero`: C = ..., without reading C); the
  /// last vector is masked to `tailLanes` lanes when that is non-zero.
  void emitMicroKernel(Value m0, int64_t blockRows, Value n0, PanelPosition at,
                       int64_t vectors, int64_t tailLanes, Value k0,
                       int64_t length, bool fromZero) {
    auto lanesOf = [&](int64_t j) { return j == vectors - 1 ? tailLanes : 0; };
    SmallVector<Value> rowIdx, colIdx;
    for (int64_t i = 0; i < blockRows; ++i) {
      rowIdx.push_back(add(m0, i));
    }
    for (int64_t j = 0; j < vectors; ++j) {
      colIdx.push_back(add(n0, j * blocking.width));
    }
    if (fromZero && coldC) {
      prefetchC(rowIdx, n0, vectors, tailLanes);
    }
    SmallVector<Value> acc(blockRows * vectors, zeroVector());
    Value kEnd = arith::AddIOp::create(b, loc, k0, index(length));
    if (keyEnd && keysOnDepth) {
      kEnd = arith::MinSIOp::create(b, loc, kEnd, lastKeyEnd(m0, blockRows));
    }
    // Row blocks sharing the next slab's prefetches (spreadsPrefetches)
    // take one row of it per unrolled iteration, the row their ordinal
    // picks.
    Value rotation;
    if (spreadsPrefetches()) {
      Value ordinal = arith::DivUIOp::create(b, loc, m0, index(blocking.mr));
      rotation =
          arith::RemUIOp::create(b, loc, ordinal, index(blocking.unroll));
    }
    // One depth step (`substep` of an unrolled iteration): the
    // accumulators after row k.
    auto step = [&](Value k, int64_t substep, ValueRange carried) {
      SmallVector<Value> bVec;
      for (int64_t j = 0; j < vectors; ++j) {
        bVec.push_back(loadB(k, n0, at, j, lanesOf(j)));
      }
      if (rotation) {
        if (substep == 0) {
          Value row = arith::AddIOp::create(b, loc, add(k, blocking.prefetch),
                                            rotation);
          prefetchB(row, n0, at, vectors);
        }
      } else if (prefetches()) {
        prefetchB(add(k, blocking.prefetch), n0, at, vectors);
        if (blocking.ahead) {
          prefetchB(add(k, kNearPrefetchRows), n0, at, vectors);
        }
      }
      SmallVector<Value> next;
      for (int64_t i = 0; i < blockRows; ++i) {
        Value aElem = memref::LoadOp::create(b, loc, a, aIndices(rowIdx[i], k));
        Value aVec = vector::BroadcastOp::create(b, loc, vectorType, aElem);
        for (int64_t j = 0; j < vectors; ++j) {
          next.push_back(vector::FMAOp::create(b, loc, aVec, bVec[j],
                                               carried[i * vectors + j]));
        }
      }
      return next;
    };
    auto depthLoop = [&](Value from, Value to, int64_t unroll,
                         ValueRange init) {
      return scf::ForOp::create(
          b, loc, from, to, index(unroll), init,
          [&](OpBuilder &nb, Location, Value k, ValueRange carried) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            SmallVector<Value> sums(carried);
            for (int64_t u = 0; u < unroll; ++u) {
              sums = step(u ? add(k, u) : k, u, sums);
            }
            scf::YieldOp::create(b, loc, sums);
          });
    };
    int64_t unroll = blocking.unroll;
    scf::ForOp loop;
    if (unroll > 1 && !(keyEnd && keysOnDepth) && length >= unroll) {
      int64_t whole = length - length % unroll;
      loop = depthLoop(k0, add(k0, whole), unroll, acc);
      if (length % unroll) {
        loop = depthLoop(add(k0, whole), kEnd, 1, loop.getResults());
      }
    } else {
      loop = depthLoop(k0, kEnd, 1, acc);
    }
    // C += the block's sums (C = the sums, when C held only zeros).
    for (int64_t i = 0; i < blockRows; ++i) {
      for (int64_t j = 0; j < vectors; ++j) {
        SmallVector<Value> at = cIndices(rowIdx[i], colIdx[j]);
        Value sum = loop.getResult(i * vectors + j);
        if (!fromZero) {
          sum = arith::AddFOp::create(b, loc, load(c, at, lanesOf(j)), sum);
        }
        store(sum, c, at, lanesOf(j));
      }
    }
  }

  OpBuilder &b;
  Location loc;
  Value a, bMat, c;
  GemmOperands gemm;
  int64_t panel;
  Blocking blocking;
  bool zeroInit, coldC;
  Value rowCount;
  std::function<Value(OpBuilder &, Value)> keyEnd;
  bool keysOnDepth;
  int64_t rows = 0, cols = 0, depth = 0;
  VectorType vectorType, maskType;
};

/// True when `x` and `y` are views of one scratch buffer at constant byte
/// offsets whose byte ranges do not overlap.
bool disjointViews(Value x, Value y) {
  auto vx = x.getDefiningOp<memref::ViewOp>();
  auto vy = y.getDefiningOp<memref::ViewOp>();
  if (!vx || !vy || vx.getSource() != vy.getSource()) {
    return false;
  }
  std::optional<int64_t> ox = getConstantIntValue(vx.getByteShift());
  std::optional<int64_t> oy = getConstantIntValue(vy.getByteShift());
  auto tx = cast<MemRefType>(x.getType()), ty = cast<MemRefType>(y.getType());
  if (!ox || !oy || !tx.hasStaticShape() || !ty.hasStaticShape()) {
    return false;
  }
  int64_t ex = *ox + storageBytes(tx), ey = *oy + storageBytes(ty);
  return ex <= *oy || ey <= *ox;
}

/// The buffer a view is carved from: a kernel argument (a binding or the
/// scratch) or an allocation.
Value baseBuffer(Value view) {
  while (Operation *def = view.getDefiningOp()) {
    if (auto subview = dyn_cast<memref::SubViewOp>(def)) {
      view = subview.getSource();
    } else if (auto viewOp = dyn_cast<memref::ViewOp>(def)) {
      view = viewOp.getSource();
    } else {
      break;
    }
  }
  return view;
}

/// True when `view` is carved from a buffer of kStreamedBytes or more,
/// which no core's share of the caches holds: its reads come from memory.
bool streamsFromMemory(Value view) {
  auto type = dyn_cast<MemRefType>(baseBuffer(view).getType());
  return type && type.hasStaticShape() && storageBytes(type) >= kStreamedBytes;
}

/// True when `view` is a binding or a subview of one: memory that the
/// dispatch reads or writes once, unlike the scratch (attention's score
/// and output tiles, reused from L1 across key blocks).
bool isBinding(Value view) {
  while (auto subview = view.getDefiningOp<memref::SubViewOp>()) {
    view = subview.getSource();
  }
  return isa<BlockArgument>(view);
}

/// True when `x` and `y` cannot share bytes: views of different kernel
/// arguments (bindings never overlap each other or the scratch), or
/// disjoint views of the scratch.
bool distinctBuffers(Value x, Value y) {
  Value bx = baseBuffer(x), by = baseBuffer(y);
  if (isa<BlockArgument>(bx) && isa<BlockArgument>(by) && bx != by) {
    return true;
  }
  return disjointViews(x, y);
}

/// The linalg.fill of +0.0 into `c` that `gemm` accumulates onto, when
/// nothing between the two touches `c`: the GEMM can start its sums from
/// zero and the fill can go (one pass over C less; 0 + x is exactly x).
linalg::FillOp zeroFillOf(linalg::GenericOp gemm, Value c) {
  for (Operation *prev = gemm->getPrevNode(); prev;
       prev = prev->getPrevNode()) {
    auto fill = dyn_cast<linalg::FillOp>(prev);
    if (fill && fill.getDpsInitOperand(0)->get() == c) {
      auto value =
          fill.getDpsInputOperand(0)->get().getDefiningOp<arith::ConstantOp>();
      auto zero = value ? dyn_cast<FloatAttr>(value.getValue()) : nullptr;
      bool positiveZero =
          zero && zero.getValue().isZero() && !zero.getValue().isNegative();
      return positiveZero ? fill : linalg::FillOp();
    }
    // Fills of other scratch views (a softmax's running max and sum) are
    // harmless; anything else that may read or write C, or its memory
    // through another view, ends the search.
    if (fill && disjointViews(fill.getDpsInitOperand(0)->get(), c)) {
      continue;
    }
    // Scalars read or written elsewhere (a limit's count) are harmless too.
    if (auto store = dyn_cast<memref::StoreOp>(prev);
        store && distinctBuffers(store.getMemRef(), c)) {
      continue;
    }
    if (auto load = dyn_cast<memref::LoadOp>(prev);
        load && distinctBuffers(load.getMemRef(), c)) {
      continue;
    }
    if (!isa<memref::SubViewOp, memref::ViewOp, arith::ConstantOp>(prev) &&
        !isMemoryEffectFree(prev)) {
      return {};
    }
    if (llvm::is_contained(prev->getOperands(), c)) {
      return {};
    }
  }
  return {};
}

struct CpuLowerContractionsPass
    : kiln::impl::CpuLowerContractionsPassBase<CpuLowerContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (mr < 1 || kc < 1 || unroll < 1 || vectorWidth < 1 || nr < vectorWidth ||
        nr % vectorWidth != 0 || prefetchRows < 0) {
      getOperation().emitError()
          << "kiln-cpu-lower-contractions: needs mr, kc, unroll >= 1, nr a "
             "multiple of vector-width and prefetch-rows >= 0; got mr="
          << mr.getValue() << " nr=" << nr.getValue() << " kc=" << kc.getValue()
          << " unroll=" << unroll.getValue()
          << " vector-width=" << vectorWidth.getValue()
          << " prefetch-rows=" << prefetchRows.getValue();
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> gemms;
    getOperation().walk([&](linalg::GenericOp op) {
      std::optional<GemmOperands> gemm = matchGemm(op);
      if (!gemm || gemm->rhsTransposed || !op.hasPureBufferSemantics()) {
        return;
      }
      // Panels are consumed a whole number of register blocks at a time.
      if (gemm->rhsPanel && gemm->rhsPanel % nr != 0) {
        return;
      }
      Value a = op.getDpsInputOperand(gemm->lhs)->get();
      Value bMat = op.getDpsInputOperand(gemm->rhs)->get();
      Value c = op.getDpsInitOperand(0)->get();
      auto f32 = [](Value v) {
        auto type = cast<MemRefType>(v.getType());
        return type.getElementType().isF32() && type.hasStaticShape();
      };
      if (!f32(a) || !f32(c) || !f32(bMat)) {
        return;
      }
      if (std::optional<KeyLimit> limit = keyLimit(op)) {
        if (limit->keyLoop < op.getNumLoops() - 2) {
          return;
        }
      }
      unsigned aRank = cast<MemRefType>(a.getType()).getRank();
      unsigned bRank = cast<MemRefType>(bMat.getType()).getRank();
      unsigned cRank = cast<MemRefType>(c.getType()).getRank();
      bool bOk =
          gemm->rhsPanel
              ? bRank >= 3 &&
                    hasUnitDimsExcept(bMat, {bRank - 3, bRank - 2, bRank - 1})
              : gemm->rhsNPos == bRank - 1 &&
                    hasUnitDimsExcept(bMat, {gemm->rhsKPos, gemm->rhsNPos});
      if (!bOk || !hasUnitInnerStride(bMat) || !hasUnitInnerStride(c) ||
          !hasUnitDimsExcept(a, {gemm->lhsRowPos, aRank - 1}) ||
          !hasUnitDimsExcept(c, {cRank - 2, cRank - 1})) {
        return;
      }
      gemms.push_back(op);
    });
    for (linalg::GenericOp op : gemms) {
      std::optional<GemmOperands> gemm = matchGemm(op);
      Value c = op.getDpsInitOperand(0)->get();
      linalg::FillOp fill = zeroFillOf(op, c);
      OpBuilder b(op);
      auto loadIndex = [&](OpOperand *scalar) -> Value {
        Value loaded = memref::LoadOp::create(b, op.getLoc(), scalar->get());
        return arith::IndexCastOp::create(b, op.getLoc(), b.getIndexType(),
                                          loaded);
      };
      Limits limits;
      if (OpOperand *count = rowLimitOperand(op)) {
        limits.rowCount = loadIndex(count);
      }
      if (std::optional<KeyLimit> limit = keyLimit(op)) {
        // Every loop of the tile but the row one is at 0 for the ends.
        unsigned loops = op.getNumLoops();
        Value ends = limit->ends->get();
        Location loc = op.getLoc();
        Value zero = arith::ConstantIndexOp::create(b, loc, 0);
        SmallVector<Value> ivs(loops, zero);
        limits.keyEnd = [=](OpBuilder &nb, Value row) mutable -> Value {
          ivs[loops - 3] = row;
          Value end = memref::LoadOp::create(nb, loc, ends,
                                             keyEndIndices(op, *limit, ivs));
          return arith::IndexCastOp::create(nb, loc, nb.getIndexType(), end);
        };
        limits.keysOnDepth = limit->keyLoop == loops - 1;
      }
      Blocking blocking{mr, nr, kc, vectorWidth, prefetchRows, unroll};
      blocking.spread =
          spreadPrefetches ||
          streamsFromMemory(op.getDpsInputOperand(gemm->rhs)->get());
      // prefetch-rows=0 turns these off too.
      auto ahead = op->getAttrOfType<IntegerAttr>(kPrefetchAheadAttr);
      if (ahead && prefetchRows > 0) {
        blocking.prefetch = ahead.getInt();
        blocking.ahead = true;
      }
      if (ahead && !gemm->rhsPanel) {
        // A decoding step's product with V over fewer rows than a register
        // block (a single query under GQA: 4) takes wider column blocks,
        // as many accumulators as mr x nr: each pass over the values,
        // whose rows are some KiB apart, then reads more of every row.
        auto cType = cast<MemRefType>(c.getType());
        int64_t rows = cType.getShape().end()[-2];
        int64_t cols = llvm::alignTo(cType.getShape().back(), vectorWidth);
        if (rows < mr) {
          // Column blocks of equal width (in whole vectors), as few as
          // keep within that many accumulators: 128 columns at 4 rows are
          // two blocks of 64 under mr = 8 and under mr = 14 alike (96 and
          // 32 took an extra pass over the values: a decoding step 13%
          // slower).
          int64_t widest = std::min<int64_t>(nr * (mr / rows), cols);
          int64_t blocks = llvm::divideCeil(cols, widest);
          blocking.nr =
              llvm::alignTo(llvm::divideCeil(cols, blocks), vectorWidth);
        }
      }
      GemmEmitter(b, op.getLoc(), op.getDpsInputOperand(gemm->lhs)->get(),
                  op.getDpsInputOperand(gemm->rhs)->get(), c, *gemm, blocking,
                  /*zeroInit=*/bool(fill), /*coldC=*/prefetchC && isBinding(c),
                  limits)
          .emit();
      if (fill) {
        fill.erase();
      }
      op.erase();
    }
  }
};

} // namespace
