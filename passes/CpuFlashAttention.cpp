//===- CpuFlashAttention.cpp - Attention tiles as an online softmax -------===//
//
// Dispatch formation puts an attention's parts (kiln.attention_part: the
// scores GEMM, the mask (absent when it would only copy the scores), the
// row max and sum, the probabilities and the product with V) in one dispatch
// whose workgroups own whole rows of queries. After bufferization a workgroup's
// tile is that chain on memrefs, with the scores and probabilities in a [rows x
// Sk] scratch buffer. This pass rewrites each chain into an online softmax over
// blocks of `Bk` keys, so that only a [rows x Bk] block of scores ever exists:
//
//   m = -inf, l = 0, A = 0
//   for each key block kb (from the smallest key begin of the tile's rows
//                          to their largest key end)
//     S    = Q K[kb]^T                       GEMM (kiln-cpu-lower-contractions)
//                                            up to the rows' key ends
//     S    = mask(S)                         the chain's mask op, on the block
//                                            (only the scaling when every
//                                            row of the tile sees it all)
//     m'   = max(m, rowmax S)
//     c    = exp(m - m')                     1 when m' = -inf
//     P    = exp(S - m')                     0 when m' = -inf
//     l    = l c + rowsum P
//     A    = A c + P V[kb]                   GEMM, its depth up to the ends
//     m    = m'
//   O = A / l (0 where l = 0: a row that sees no key; NaN where l is)
//
// The two GEMMs and the mask are linalg ops on memref views that the later
// kernel passes lower (the GEMMs to register-blocked vector code); the
// softmax steps are emitted row by row as vector code here: as linalg ops on
// views of the one scratch buffer, LLVM could not prove that the exp loop
// does not write the row max, kept it scalar, and the attention ran at half
// speed. Bk is attentionKeyBlock(Sk): Sk itself up to 320 keys; else 256 or
// a divisor of Sk that is a multiple of 32, so that keys in panels of 32
// (AttentionPattern.cpp) are sliced by whole panels. When Bk does not
// divide Sk, the last Sk mod Bk keys are a block of their own after the
// loop (the same steps on a narrower scores buffer), run when some row's
// range reaches them. With Bk = Sk the loop runs at most once, and A
// starts as that block's P V (no fill before the loop, no rescaling in
// it). The results equal the two-pass softmax's up to rounding.
//
//===----------------------------------------------------------------------===//

#include "passes/OpClassification.h"
#include "passes/Passes.h"
#include "passes/VectorEmission.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

#include "llvm/ADT/StringSwitch.h"

#include <functional>
#include <limits>

namespace kiln {
#define GEN_PASS_DEF_CPUFLASHATTENTIONPASS
#include "passes/Passes.h.inc"
} // namespace kiln

using namespace mlir;
using namespace kiln;

namespace {

/// The parts of one attention tile.
struct Chain {
  linalg::GenericOp scores, mask, max, sum, probs, pv;
};

class FlashEmitter {
public:
  FlashEmitter(OpBuilder &b, Location loc, Chain chain)
      : b(b), loc(loc), chain(chain) {}

  LogicalResult emit();

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value alloc(ArrayRef<int64_t> shape, Type type) {
    return memref::AllocOp::create(b, loc, MemRefType::get(shape, type));
  }
  /// Fills a static buffer with vector stores along its last dim (LLVM
  /// turned the loops of linalg.fill on these small buffers into scatters
  /// across rows, which cost more than the attention itself).
  void fill(Value buffer, double value) {
    auto type = cast<MemRefType>(buffer.getType());
    ArrayRef<int64_t> shape = type.getShape();
    auto vectorType = VectorType::get({16}, type.getElementType());
    Value splat = arith::ConstantOp::create(
        b, loc, vectorType,
        DenseElementsAttr::get(vectorType, b.getF32FloatAttr(value)));
    SmallVector<Value> ivs;
    std::function<void(unsigned)> nest = [&](unsigned dim) {
      if (dim + 1 < shape.size()) {
        auto loop =
            scf::ForOp::create(b, loc, index(0), index(shape[dim]), index(1));
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(loop.getBody()->getTerminator());
        ivs.push_back(loop.getInductionVar());
        nest(dim + 1);
        ivs.pop_back();
        return;
      }
      int64_t last = shape.back();
      for (int64_t col = 0; col < last; col += 16) {
        SmallVector<Value> at(ivs);
        at.push_back(index(col));
        int64_t lanes = std::min<int64_t>(16, last - col);
        if (lanes == 16) {
          vector::StoreOp::create(b, loc, splat, buffer, at);
        } else {
          Value mask = vector::ConstantMaskOp::create(
              b, loc, VectorType::get({16}, b.getI1Type()), lanes);
          vector::MaskedStoreOp::create(b, loc, buffer, at, mask, splat);
        }
      }
    };
    nest(0);
  }
  /// `operand` restricted to keys [kb, kb + width) where `map` reads the
  /// key loop `keyLoop`.
  Value keySlice(Value operand, AffineMap map, unsigned keyLoop, Value kb);
  /// When the scores read the keys in place (a decoding step), the
  /// distance at which the block's two contractions prefetch the rows of
  /// their B (kPrefetchAheadAttr): one block on, the next block's keys and,
  /// unless they are in panels, values. Their rows are some KiB apart,
  /// which no hardware prefetcher follows. Prefetched all at once at the
  /// start of each block, the next block's 4096 lines (256 keys of 128)
  /// held up the block's own work behind the core's few outstanding
  /// misses; one row per key step overlaps them with it. 0: none, also
  /// when no block follows (one block of all the keys, or the tail).
  int64_t prefetchDistance(linalg::GenericOp contraction) const;
  /// True when the scores read the keys in place (a decoding step: few
  /// rows, kiln-lower-to-linalg's keys-in-place-rows).
  bool keysInPlace() const;
  /// The tile's query rows copied into a contiguous buffer, for scores over
  /// keys in place: a head's rows in q[b, i, h, d] are H dh floats apart (16
  /// KiB for 32 heads of 128, 4 KiB apart for the kv heads of grouped
  /// rows), so every row's chunk c fell on one set of the L1 cache. The dot
  /// products read each row's chunks at every key; at 16 rows per tile they
  /// missed L1 at every key, and one 16-row workgroup per head ran slower
  /// than two of 8 that read the keys twice.
  Value contiguousQueries(Value rows);
  /// A generic with `body`, tagged with the attention's op name.
  linalg::GenericOp generic(
      ValueRange inputs, ValueRange outputs, ArrayRef<AffineMap> maps,
      ArrayRef<utils::IteratorType> iterators,
      function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body);
  /// A reduction of per-row `inputs` (the tile's key begins or ends, all of
  /// one shape) into 1-element `outputs`.
  void reduceRows(
      ValueRange inputs, ValueRange outputs,
      function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body);
  /// C += A B with the maps of `like` (a GEMM of the chain); with
  /// `blockEnds`, under a key limit by them (`like`'s, shifted to the
  /// block).
  void gemm(linalg::GenericOp like, Value a, Value bMat, Value c,
            Value blockEnds);
  /// Bounds over the tile's rows of their visible key ranges.
  struct TileKeys {
    /// Keys past `lastEnd` or before `firstBegin` are hidden from every
    /// row; keys in [lastBegin, firstEnd) are visible to all. The begins
    /// are null when every row's range starts at 0.
    Value firstBegin, lastBegin, firstEnd, lastEnd;
    /// True when the mask op hides exactly the keys outside each row's
    /// range (kiln.visible_range), so that blocks inside every row's range
    /// need no mask.
    bool exact = false;
    /// The rows' key begins and ends (memrefs), when the rows have begins.
    Value begins, ends;
  };
  /// The tile's bounds: from its key ends and begins (the mask op's
  /// kiln.visible_range), else [0, keys) for every row.
  TileKeys tileKeys(int64_t keys);
  /// The chain's mask op on the block at kb.
  void mask(Value s, Value scratch, Value kb);
  /// Moves the insertion point into an `scf.if` that runs when some row's
  /// range of `tile` meets the block at kb (`meets`: a 1-element scratch).
  void skipUnlessSeen(const TileKeys &tile, Value meets, Value kb);

  /// exp(x) in 16 lanes for the softmax's x <= 0, -inf or NaN.
  Value expNonPositive(Value x);

  /// Row-wise vector code on [1, 1, rows, n] and [1, 1, rows] buffers.
  void forRows(int64_t rows, function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, loc, index(0), index(rows), index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getBody()->getTerminator());
    body(loop.getInductionVar());
  }
  SmallVector<Value> rowAt(Value r) { return {index(0), index(0), r}; }
  Value splat(double v) {
    return arith::ConstantOp::create(
        b, loc, vectorType,
        DenseElementsAttr::get(vectorType, b.getF32FloatAttr(v)));
  }
  Value laneMask(int64_t lanes) {
    return vector::ConstantMaskOp::create(
        b, loc, VectorType::get({16}, b.getI1Type()), lanes);
  }
  Value loadChunk(Value buffer, Value r, Value c, int64_t lanes,
                  double fillValue) {
    SmallVector<Value> at = {index(0), index(0), r, c};
    if (lanes == 16) {
      return vector::LoadOp::create(b, loc, vectorType, buffer, at);
    }
    return vector::MaskedLoadOp::create(b, loc, vectorType, buffer, at,
                                        laneMask(lanes), splat(fillValue));
  }
  void storeChunk(Value value, Value buffer, Value r, Value c, int64_t lanes) {
    SmallVector<Value> at = {index(0), index(0), r, c};
    if (lanes == 16) {
      vector::StoreOp::create(b, loc, value, buffer, at);
    } else {
      vector::MaskedStoreOp::create(b, loc, buffer, at, laneMask(lanes), value);
    }
  }
  /// `body(column, lanes, carried)` over [0, n) in chunks of 16 lanes (a
  /// loop over the full ones, then the tail), carrying `init`.
  SmallVector<Value>
  chunks(int64_t n, ValueRange init,
         function_ref<SmallVector<Value>(Value, int64_t, ValueRange)> body) {
    int64_t full = n - n % 16;
    SmallVector<Value> carried(init);
    if (full > 0) {
      auto loop =
          scf::ForOp::create(b, loc, index(0), index(full), index(16), carried);
      OpBuilder::InsertionGuard guard(b);
      // Without carried values the loop comes with its yield.
      Block *loopBody = loop.getBody();
      if (!loopBody->empty()) {
        loopBody->getTerminator()->erase();
      }
      b.setInsertionPointToEnd(loopBody);
      SmallVector<Value> next =
          body(loop.getInductionVar(), 16, loop.getRegionIterArgs());
      scf::YieldOp::create(b, loc, next);
      carried = SmallVector<Value>(loop.getResults());
    }
    if (n % 16) {
      carried = body(index(full), n % 16, carried);
    }
    return carried;
  }

  /// One block of `width` keys from kb: its scores in `s` ([1, 1, rows,
  /// width]), the mask, the online softmax step and the product with V.
  void emitBlock(Value kb, Value s);

  OpBuilder &b;
  Location loc;
  Chain chain;
  /// The chain's operands, and the buffers (the running max m, sum l and
  /// output A) and bounds emit() sets up for emitBlock().
  Value q, kT, scratch, v, rowMax, rowSum, acc, ends, blockEnds, meets;
  TileKeys tile;
  bool oneBlock = false;
  /// Query rows of the tile, keys per whole block, keys of the block being
  /// emitted (a whole one or the tail), the head dim.
  int64_t rows = 0, keys = 0, block = 0, width = 0, headDim = 0;
  VectorType vectorType;
  static constexpr double negInf = -std::numeric_limits<double>::infinity();
};

Value FlashEmitter::keySlice(Value operand, AffineMap map, unsigned keyLoop,
                             Value kb) {
  return loopRangeView(b, loc, operand, map, keyLoop, kb,
                       b.getIndexAttr(width));
}

bool FlashEmitter::keysInPlace() const {
  std::optional<GemmOperands> scores = matchGemm(chain.scores);
  return scores && scores->rhsTransposed;
}

Value FlashEmitter::contiguousQueries(Value rows) {
  auto type = cast<MemRefType>(rows.getType());
  if (type.getLayout().isIdentity()) {
    return rows;
  }
  Value copy = alloc(type.getShape(), type.getElementType());
  AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
  generic(rows, copy, {identity, identity},
          SmallVector<utils::IteratorType>(type.getRank(),
                                           utils::IteratorType::parallel),
          [](OpBuilder &, Location, ValueRange args) {
            return SmallVector<Value>{args[0]};
          });
  return copy;
}

int64_t FlashEmitter::prefetchDistance(linalg::GenericOp contraction) const {
  // Only a decoding step's chain (keys read in place, few rows) streams
  // its operands once; a prefill tile's blocks are read by every row tile.
  if (!keysInPlace()) {
    return 0;
  }
  // With one block, or in the last, narrower one, no block follows.
  if (oneBlock || width != block) {
    return 0;
  }
  if (contraction == chain.pv) {
    std::optional<GemmOperands> pv = matchGemm(chain.pv);
    if (!pv || pv->rhsPanel) {
      return 0;
    }
  }
  return block;
}

linalg::GenericOp FlashEmitter::generic(
    ValueRange inputs, ValueRange outputs, ArrayRef<AffineMap> maps,
    ArrayRef<utils::IteratorType> iterators,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body) {
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{}, inputs, outputs, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        linalg::YieldOp::create(nb, l, body(nb, l, args));
      });
  if (Attribute name = chain.pv->getAttr("kiln.op")) {
    op->setAttr("kiln.op", name);
  }
  return op;
}

void FlashEmitter::gemm(linalg::GenericOp like, Value a, Value bMat, Value c,
                        Value blockEnds) {
  SmallVector<AffineMap> maps = like.getIndexingMapsArray();
  SmallVector<Value> inputs = {a, bMat};
  SmallVector<AffineMap> inputMaps = {maps[0], maps[1]};
  std::optional<KeyLimit> limit = keyLimit(like);
  if (blockEnds && limit) {
    inputs.push_back(blockEnds);
    inputMaps.push_back(like.getMatchingIndexingMap(limit->ends));
  }
  inputMaps.push_back(maps.back());
  linalg::GenericOp op =
      generic(inputs, {c}, inputMaps, like.getIteratorTypesArray(),
              [](OpBuilder &nb, Location l, ValueRange args) {
                Value product = arith::MulFOp::create(nb, l, args[0], args[1]);
                return SmallVector<Value>{
                    arith::AddFOp::create(nb, l, args.back(), product)};
              });
  if (inputs.size() == 3) {
    op->setAttr(kKeyEndAttr, like->getAttr(kKeyEndAttr));
  }
  if (int64_t distance = prefetchDistance(like)) {
    op->setAttr(kPrefetchAheadAttr, b.getI64IntegerAttr(distance));
  }
}

void FlashEmitter::reduceRows(
    ValueRange inputs, ValueRange outputs,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body) {
  // One parallel loop of extent 1 (for the outputs), then the rows.
  int64_t rank = cast<MemRefType>(inputs.front().getType()).getRank();
  SmallVector<AffineExpr> rows;
  for (int64_t d = 0; d < rank; ++d) {
    rows.push_back(b.getAffineDimExpr(d + 1));
  }
  SmallVector<AffineMap> maps(
      inputs.size(), AffineMap::get(rank + 1, 0, rows, b.getContext()));
  maps.append(outputs.size(),
              AffineMap::get(rank + 1, 0, b.getAffineDimExpr(0)));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  iterators.insert(iterators.begin(), utils::IteratorType::parallel);
  generic(inputs, outputs, maps, iterators, body);
}

FlashEmitter::TileKeys FlashEmitter::tileKeys(int64_t keys) {
  std::optional<KeyLimit> limit = keyLimit(chain.scores);
  if (!limit) {
    return {Value(), Value(), index(keys), index(keys)};
  }
  // One reduction over the tile's rows: the smallest and largest end, and
  // of the begins when the mask op names them.
  SmallVector<Value> bounds = {limit->ends->get()};
  auto range =
      chain.mask
          ? chain.mask->getAttrOfType<DenseI64ArrayAttr>(kVisibleRangeAttr)
          : DenseI64ArrayAttr();
  bool exact = range && range.empty();
  if (range && range.size() == 1 && range[0] > 0 &&
      range[0] < chain.mask.getNumDpsInputs()) {
    bounds.push_back(chain.mask.getDpsInputOperand(range[0])->get());
    exact = true;
  }
  auto boundsType = cast<MemRefType>(bounds[0].getType());
  Type type = boundsType.getElementType();
  auto constant = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v))
        .getResult();
  };
  // Per bound: its smallest, then its largest value.
  SmallVector<Value> results;
  for (size_t i = 0; i < bounds.size(); ++i) {
    results.push_back(alloc({1}, type));
    linalg::FillOp::create(b, loc, constant(keys), results.back());
    results.push_back(alloc({1}, type));
    linalg::FillOp::create(b, loc, constant(0), results.back());
  }
  reduceRows(bounds, results, [&](OpBuilder &nb, Location l, ValueRange args) {
    SmallVector<Value> next;
    for (size_t i = 0; i < bounds.size(); ++i) {
      Value value = args[i];
      Value lowest = args[bounds.size() + 2 * i];
      Value highest = args[bounds.size() + 2 * i + 1];
      next.push_back(arith::MinSIOp::create(nb, l, value, lowest));
      next.push_back(arith::MaxSIOp::create(nb, l, value, highest));
    }
    return next;
  });
  auto load = [&](Value buffer) {
    Value value = arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        memref::LoadOp::create(b, loc, buffer, ValueRange{index(0)}));
    return arith::MinSIOp::create(b, loc, value, index(keys)).getResult();
  };
  TileKeys tile = {Value(), Value(), load(results[0]), load(results[1]), exact};
  if (bounds.size() == 2) {
    tile.firstBegin = load(results[2]);
    tile.lastBegin = load(results[3]);
    tile.begins = bounds[1];
    tile.ends = bounds[0];
  }
  return tile;
}

void FlashEmitter::skipUnlessSeen(const TileKeys &tile, Value meets, Value kb) {
  auto type = cast<MemRefType>(tile.ends.getType());
  Type element = type.getElementType();
  linalg::FillOp::create(
      b, loc,
      arith::ConstantOp::create(b, loc, b.getIntegerAttr(element, 0))
          .getResult(),
      meets);
  reduceRows(
      {tile.begins, tile.ends}, meets,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value start = arith::IndexCastOp::create(nb, l, element, kb);
        Value stop = arith::IndexCastOp::create(
            nb, l, element,
            arith::AddIOp::create(
                nb, l, kb, arith::ConstantIndexOp::create(nb, l, width)));
        Value seen = arith::AndIOp::create(
            nb, l,
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, args[0],
                                  stop),
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sgt, args[1],
                                  start));
        return SmallVector<Value>{arith::MaxSIOp::create(
            nb, l, args[2], arith::ExtUIOp::create(nb, l, element, seen))};
      });
  Value flag = memref::LoadOp::create(b, loc, meets, ValueRange{index(0)});
  Value any = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::ne, flag,
      arith::ConstantOp::create(b, loc, b.getIntegerAttr(element, 0)));
  auto branch = scf::IfOp::create(b, loc, any, /*withElseRegion=*/false);
  b.setInsertionPoint(branch.thenBlock()->getTerminator());
}

/// exp(x) = 2^n exp(r), n = round(x log2 e), r = x - n ln 2 in [-ln 2 / 2,
/// ln 2 / 2], with exp(r) a degree-7 polynomial (Cephes' expf coefficients,
/// within 2 ulp) in Horner form. The softmax only exponentiates x - max <= 0,
/// which spares the general expansion's upper clamps, its clamp of n and its
/// conversion of n to an integer: 14 vector instructions instead of 23
/// (head dim 64, 16 heads of 2048 queries, 1 thread: 191 -> ~186 ms).
///  - x < -88 is raised to -88, where n = -127 and the 2^n built below is
///    +0: exp(-inf) (a masked score) is exactly 0, and the results below
///    2^-126 flush to 0.
///  - n comes from x log2 e + 1.5 * 2^23, whose low mantissa bits hold it as
///    an integer; 2^n is those bits plus 127, shifted into the exponent.
///  - NaN stays NaN through every step.
Value FlashEmitter::expNonPositive(Value x) {
  Value lowest = splat(-88.0);
  Value below =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, lowest);
  x = arith::SelectOp::create(b, loc, below, lowest, x);
  Value magic = splat(12582912.0);
  Value t = math::FmaOp::create(b, loc, x, splat(1.44269504088896341), magic);
  Value n = arith::SubFOp::create(b, loc, t, magic);
  Value r = math::FmaOp::create(b, loc, n, splat(-0.693359375), x);
  r = math::FmaOp::create(b, loc, n, splat(2.12194440e-4), r);
  Value p = splat(1.9875691500e-4);
  for (double c : {1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
                   1.6666665459e-1, 5.0000001201e-1, 1.0, 1.0}) {
    p = math::FmaOp::create(b, loc, p, r, splat(c));
  }
  auto intType = VectorType::get({16}, b.getI32Type());
  auto intSplat = [&](int32_t v) {
    return arith::ConstantOp::create(
        b, loc, intType,
        DenseElementsAttr::get(intType, b.getI32IntegerAttr(v)));
  };
  Value bits = arith::BitcastOp::create(b, loc, intType, t);
  bits = arith::ShLIOp::create(
      b, loc, arith::AddIOp::create(b, loc, bits, intSplat(127)), intSplat(23));
  return arith::MulFOp::create(
      b, loc, p, arith::BitcastOp::create(b, loc, vectorType, bits));
}

void FlashEmitter::mask(Value s, Value scratch, Value kb) {
  SmallVector<Value> inputs;
  for (OpOperand *input : chain.mask.getDpsInputOperands()) {
    Value value = input->get();
    inputs.push_back(
        value == scratch
            ? s
            : keySlice(value, chain.mask.getMatchingIndexingMap(input), 3, kb));
  }
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{}, inputs, ValueRange{s},
      chain.mask.getIndexingMapsArray(), chain.mask.getIteratorTypesArray());
  IRMapping mapping;
  chain.mask.getRegion().cloneInto(&op.getRegion(), mapping);
  op->setAttr("kiln.op", chain.mask->getAttr("kiln.op"));
  for (auto index : llvm::to_vector(op.getRegion().getOps<linalg::IndexOp>())) {
    if (index.getDim() != 3) {
      continue;
    }
    OpBuilder nb(index);
    nb.setInsertionPointAfter(index);
    auto shifted = arith::AddIOp::create(nb, loc, index, kb);
    index.getResult().replaceAllUsesExcept(shifted, shifted);
  }
}

void FlashEmitter::emitBlock(Value kb, Value s) {
  if (tile.begins) {
    // Rows whose ranges leave a gap (rows seeing [0, 10) and [300, 310))
    // skip the blocks in it: a block no row's range meets is fully masked
    // and would leave m, l and A as they are.
    skipUnlessSeen(tile, meets, kb);
  }
  if (ends) {
    auto endsType = cast<MemRefType>(ends.getType());
    AffineMap identity = b.getMultiDimIdentityMap(endsType.getRank());
    generic(ends, blockEnds, {identity, identity},
            SmallVector<utils::IteratorType>(endsType.getRank(),
                                             utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value offset = arith::IndexCastOp::create(
                  nb, l, endsType.getElementType(), kb);
              return SmallVector<Value>{
                  arith::SubIOp::create(nb, l, args[0], offset)};
            });
  }

  // S = Q K[kb]^T, then the mask with key indices offset by kb.
  // The GEMM absorbs this fill (it starts its sums from zero).
  linalg::FillOp::create(b, loc, f32(0.0), s);
  unsigned scoreKey = chain.scores.getNumLoops() - 2;
  gemm(chain.scores, q,
       keySlice(kT, chain.scores.getIndexingMapsArray()[1], scoreKey, kb), s,
       blockEnds);
  // A block every row of the tile sees fully needs no mask, only the
  // scaling of the scores (when the mask op does it).
  if (tile.exact) {
    Value blockEnd = arith::AddIOp::create(b, loc, kb, index(width));
    Value visible = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle,
                                          blockEnd, tile.firstEnd);
    if (tile.lastBegin) {
      visible = arith::AndIOp::create(
          b, loc, visible,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, kb,
                                tile.lastBegin));
    }
    auto branch = scf::IfOp::create(b, loc, visible, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard branchGuard(b);
    b.setInsertionPoint(branch.thenBlock()->getTerminator());
    if (auto scale = chain.mask->getAttrOfType<FloatAttr>(kScoreScaleAttr)) {
      forRows(rows, [&](Value r) {
        Value factor = vector::BroadcastOp::create(
            b, loc, vectorType, f32(scale.getValueAsDouble()));
        chunks(width, {}, [&](Value c, int64_t lanes, ValueRange) {
          Value x = loadChunk(s, r, c, lanes, 0.0);
          storeChunk(arith::MulFOp::create(b, loc, x, factor), s, r, c, lanes);
          return SmallVector<Value>{};
        });
      });
    }
    b.setInsertionPoint(branch.elseBlock()->getTerminator());
    mask(s, scratch, kb);
  } else if (chain.mask) {
    mask(s, scratch, kb);
  }

  // The online softmax step, row by row in vector code (as linalg ops on
  // views of one scratch buffer, LLVM could not prove that the row max is
  // not written by the exp loop and left it scalar).
  forRows(rows, [&](Value r) {
    Value mOld = memref::LoadOp::create(b, loc, rowMax, rowAt(r));
    // The row max passes NaN scores over (x > max is false for them): it is
    // one vmaxps per chunk, where NaN-propagating maximumf costs seven
    // instructions, and exp(NaN - m) still carries a NaN score into the sum
    // and the row's output. The lanes are then never NaN, so the reduction
    // may assume so.
    Value vmax = chunks(width, {splat(negInf)},
                        [&](Value c, int64_t lanes, ValueRange carried) {
                          Value x = loadChunk(s, r, c, lanes, negInf);
                          Value above = arith::CmpFOp::create(
                              b, loc, arith::CmpFPredicate::OGT, x, carried[0]);
                          return SmallVector<Value>{arith::SelectOp::create(
                              b, loc, above, x, carried[0])};
                        })[0];
    Value blockMax =
        vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXNUMF,
                                    vmax, arith::FastMathFlags::nnan);
    Value next = arith::MaximumFOp::create(b, loc, mOld, blockMax);
    Value none = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, next,
                                       f32(negInf));
    Value corr = arith::SelectOp::create(
        b, loc, none, f32(1.0),
        math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, mOld, next)));
    // A row that sees no key yet (max -inf) shifts by 0: its scores are all
    // -inf, whose exponentials are 0.
    Value shift = arith::SelectOp::create(b, loc, none, f32(0.0), next);
    Value shiftSplat = vector::BroadcastOp::create(b, loc, vectorType, shift);
    Value vsum = chunks(
        width, {splat(0.0)}, [&](Value c, int64_t lanes, ValueRange carried) {
          Value x = loadChunk(s, r, c, lanes, negInf);
          Value e =
              expNonPositive(arith::SubFOp::create(b, loc, x, shiftSplat));
          storeChunk(e, s, r, c, lanes);
          return SmallVector<Value>{
              arith::AddFOp::create(b, loc, carried[0], e)};
        })[0];
    Value blockSum =
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, vsum);
    Value lOld = memref::LoadOp::create(b, loc, rowSum, rowAt(r));
    Value lNew = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, lOld, corr), blockSum);
    memref::StoreOp::create(b, loc, lNew, rowSum, rowAt(r));
    memref::StoreOp::create(b, loc, next, rowMax, rowAt(r));
    if (oneBlock) {
      return;
    }
    Value corrSplat = vector::BroadcastOp::create(b, loc, vectorType, corr);
    chunks(headDim, {}, [&](Value c, int64_t lanes, ValueRange) {
      Value x = loadChunk(acc, r, c, lanes, 0.0);
      storeChunk(arith::MulFOp::create(b, loc, x, corrSplat), acc, r, c, lanes);
      return SmallVector<Value>{};
    });
  });
  if (oneBlock) {
    linalg::FillOp::create(b, loc, f32(0.0), acc);
  }
  unsigned pvKey = chain.pv.getNumLoops() - 1;
  gemm(chain.pv, s, keySlice(v, chain.pv.getIndexingMapsArray()[1], pvKey, kb),
       acc, blockEnds);
}

LogicalResult FlashEmitter::emit() {
  q = chain.scores.getDpsInputOperand(0)->get();
  kT = chain.scores.getDpsInputOperand(1)->get();
  scratch = chain.scores.getDpsInitOperand(0)->get();
  v = chain.pv.getDpsInputOperand(1)->get();
  Value out = chain.pv.getDpsInitOperand(0)->get();
  auto scratchType = cast<MemRefType>(scratch.getType());
  ArrayRef<int64_t> scoreShape = scratchType.getShape();
  if (scoreShape.size() != 4 || !scratchType.hasStaticShape()) {
    return chain.pv.emitError("expects [1, 1, rows, keys] attention scores");
  }
  keys = scoreShape[3];
  rows = scoreShape[2];
  block = attentionKeyBlock(keys);
  // The keys past the last whole block form a block of their own, after
  // the loop over the whole ones.
  int64_t tail = keys % block, wholeEnd = keys - tail;
  headDim = cast<MemRefType>(out.getType()).getShape().back();
  vectorType = VectorType::get({16}, b.getF32Type());
  Type f32Type = b.getF32Type();
  SmallVector<int64_t> rowShape(scoreShape.drop_back());
  SmallVector<int64_t> blockShape(rowShape);
  blockShape.push_back(block);

  // Running max, sum and output.
  rowMax = alloc(rowShape, f32Type);
  rowSum = alloc(rowShape, f32Type);
  Value s = alloc(blockShape, f32Type);
  Value tailScores;
  if (tail) {
    blockShape.back() = tail;
    tailScores = alloc(blockShape, f32Type);
  }
  // O accumulates in a contiguous buffer: a fill or an update of a
  // strided view of the output was vectorized with scatters.
  SmallVector<int64_t> outShape(cast<MemRefType>(out.getType()).getShape());
  acc = alloc(outShape, f32Type);
  fill(rowMax, negInf);
  fill(rowSum, 0.0);
  if (keysInPlace()) {
    q = contiguousQueries(q);
  }
  // With one block of all the keys the loop runs at most once: A starts as
  // that block's product (its fill goes into the GEMM) and needs no
  // rescaling. Wide heads (the absorbed attention's 1408 columns) paid
  // for two passes over A per tile otherwise.
  oneBlock = block == keys;
  if (!oneBlock) {
    fill(acc, 0.0);
  }

  // The whole blocks from the one holding the first begin to the one
  // holding the last end, then the tail when the last end is in it.
  tile = tileKeys(keys);
  Value kBegin = index(0);
  if (tile.firstBegin) {
    kBegin = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, tile.firstBegin, index(block)),
        index(block));
  }
  Value kEnd = arith::MulIOp::create(
      b, loc, arith::CeilDivUIOp::create(b, loc, tile.lastEnd, index(block)),
      index(block));
  if (tail) {
    kEnd = arith::MinUIOp::create(b, loc, kEnd, index(wholeEnd));
  }
  // Under a key limit, each row's end relative to the block: the GEMMs
  // stop there (the scores' columns at the largest of the tile's rows, the
  // product with V's depth at the largest of each 8-row block), so the
  // diagonal block of a causal mask is not computed whole. The mask op
  // hides the columns left unwritten.
  std::optional<KeyLimit> limit = keyLimit(chain.scores);
  ends = limit ? limit->ends->get() : Value();
  if (ends) {
    auto endsType = cast<MemRefType>(ends.getType());
    blockEnds = alloc(endsType.getShape(), endsType.getElementType());
  }
  if (tile.begins) {
    meets = alloc({1}, cast<MemRefType>(tile.ends.getType()).getElementType());
  }
  OpBuilder::InsertionGuard guard(b);
  auto loop = scf::ForOp::create(b, loc, kBegin, kEnd, index(block));
  b.setInsertionPoint(loop.getBody()->getTerminator());
  width = block;
  emitBlock(loop.getInductionVar(), s);
  b.setInsertionPointAfter(loop);
  if (tail) {
    Value reached = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                          tile.lastEnd, index(wholeEnd));
    auto branch = scf::IfOp::create(b, loc, reached, /*withElseRegion=*/false);
    b.setInsertionPoint(branch.thenBlock()->getTerminator());
    width = tail;
    emitBlock(index(wholeEnd), tailScores);
    b.setInsertionPointAfter(branch);
  }

  // O / l after the last block; 0 where l = 0 (a row that sees no key),
  // NaN where l is (a NaN score).
  forRows(rows, [&](Value r) {
    Value total = memref::LoadOp::create(b, loc, rowSum, rowAt(r));
    Value positive = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE,
                                           total, f32(0.0));
    Value totalSplat = vector::BroadcastOp::create(b, loc, vectorType, total);
    chunks(headDim, {}, [&](Value c, int64_t lanes, ValueRange) {
      Value x = loadChunk(acc, r, c, lanes, 0.0);
      Value divided = arith::DivFOp::create(b, loc, x, totalSplat);
      storeChunk(arith::SelectOp::create(b, loc, positive, divided, splat(0.0)),
                 out, r, c, lanes);
      return SmallVector<Value>{};
    });
  });
  return success();
}

/// Removes the chain and the buffers only it used.
void eraseChain(Chain chain) {
  // The output's zero fill: the flash loop writes every element.
  Value out = chain.pv.getDpsInitOperand(0)->get();
  for (Operation *prev = chain.pv->getPrevNode(); prev;
       prev = prev->getPrevNode()) {
    auto fill = dyn_cast<linalg::FillOp>(prev);
    if (fill && fill.getDpsInitOperand(0)->get() == out) {
      fill.erase();
      break;
    }
  }
  SetVector<Operation *> allocs;
  for (linalg::GenericOp op : {chain.pv, chain.probs, chain.sum, chain.max,
                               chain.mask, chain.scores}) {
    if (!op) {
      continue; // No mask op: the softmax read the scores.
    }
    for (Value init : op.getDpsInits()) {
      if (auto alloc = init.getDefiningOp<memref::AllocOp>()) {
        allocs.insert(alloc);
      }
    }
    op.erase();
  }
  for (Operation *alloc : allocs) {
    // Fills of a buffer nothing reads any more go with it.
    bool onlyFills = llvm::all_of(alloc->getUsers(), [](Operation *user) {
      return isa<linalg::FillOp>(user);
    });
    if (!onlyFills) {
      continue;
    }
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers())) {
      user->erase();
    }
    alloc->erase();
  }
}

struct CpuFlashAttentionPass
    : kiln::impl::CpuFlashAttentionPassBase<CpuFlashAttentionPass> {
  void runOnOperation() override {
    // The chains, by block: a kernel with a partial last row tile has two.
    DenseMap<Block *, Chain> chains;
    bool malformed = false;
    getOperation().walk([&](linalg::GenericOp op) {
      auto part = op->getAttrOfType<StringAttr>(kAttentionPartAttr);
      if (!part || !op.hasPureBufferSemantics()) {
        return;
      }
      Chain &chain = chains[op->getBlock()];
      linalg::GenericOp *slot =
          llvm::StringSwitch<linalg::GenericOp *>(part.getValue())
              .Case("scores", &chain.scores)
              .Case("mask", &chain.mask)
              .Case("max", &chain.max)
              .Case("sum", &chain.sum)
              .Case("probs", &chain.probs)
              .Case("pv", &chain.pv)
              .Default(nullptr);
      if (!slot || *slot) {
        op.emitError("unexpected attention part in a workgroup kernel");
        malformed = true;
        return;
      }
      *slot = op;
    });
    if (malformed) {
      return signalPassFailure();
    }
    for (auto &[block, chain] : chains) {
      // Dispatch formation keeps an attention whole in one dispatch unless
      // its scores are shared (CSE); such parts stay as they are.
      if (!chain.pv || !chain.scores || !chain.max || !chain.sum ||
          !chain.probs) {
        continue;
      }
      OpBuilder b(chain.pv);
      if (failed(FlashEmitter(b, chain.pv.getLoc(), chain).emit())) {
        return signalPassFailure();
      }
      eraseChain(chain);
    }
  }
};

} // namespace
