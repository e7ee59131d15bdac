//===- AttentionPattern.cpp - Attention as linalg (materialised scores) ---===//
//
// The structured lowering: heads are split by reshapes (views), keys are
// copied into panels of 32 keys per batch and kv head ([B, Hkv, ceil(Sk /
// 32), dh, 32], zero past the last key), scores [B, H, Sq, Sk] are a
// batched GEMM, the mask is applied by an elementwise generic (the key
// index against its row's visible range, or the bias added), then a row
// softmax, the batched GEMM with V into [B, H, Sq, dh] and a transpose back
// to [B, Sq, H, dh] (a reshape for one head). Heads whose dim is a multiple
// of 32 read V in panels of 32 columns ([B, Hkv, dh / 32, Sk, 32], copied
// once by a generic of their own) unless they read their keys in place.
// Grouped-query attention reads kv head h / (H
// / Hkv) through the maps. Both contractions are GEMMs that the CPU kernels
// vectorize (OpClassification.h). Decoding differs (groupsRows, and
// kKeysInPlaceRows): under GQA with few queries the heads of a group are
// rows of their kv head, and heads of few rows read the keys in place,
// their scores dot products along dh. The parts are tagged
// (kiln.attention_part): dispatch formation keeps them in one dispatch with
// whole query rows per workgroup, and kiln-cpu-flash-attention turns each
// workgroup's chain into an online softmax over blocks of keys.
//
// Visible keys of row i of batch b: none and bias: all; causal: j <= i +
// Sk - Sq; key_padding: j < len[b]; row_spans: lo[b, i] <= j < hi[b, i].
// A row with no visible key sees all keys (`all_keys`) or yields zeros.
//
// Under a causal, padding or row-span mask the visible keys of each row
// are one range [begin, end), computed by a small generic from the mask
// into [B, Sq] tensors (end: i + Sk - Sq + 1, len[b] or hi[b, i]; begin:
// lo[b, i] for spans, else 0; clamped to [0, Sk]; [0, Sk) for a row that
// sees no key under `all_keys`). Each op from the scores to the product
// with V carries the ends as a key limit (OpClassification.h), so the
// kernels skip the key tiles past the last end of their rows; the mask op
// selects -inf outside [begin, end) and says so (kiln.visible_range), so
// that kiln-cpu-flash-attention can also skip the key blocks before every
// row's begin and drop the mask on blocks inside every row's range.
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/GenericBuilder.h"
#include "passes/KilnToLinalg/KilnToLinalgPatterns.h"
#include "passes/OpClassification.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace kiln {
namespace {

/// Keys, and columns of V, per panel (OpClassification.h).
constexpr int64_t kPanel = kAttentionKeyPanel;

struct LowerAttention : OpConversionPattern<AttentionOp> {
  /// Heads with fewer rows than `keysInPlaceRows` read their keys, and
  /// their values, in place, not in panels (kiln-lower-to-linalg's
  /// `keys-in-place-rows`; kiln-compile sets it from the target).
  LowerAttention(MLIRContext *ctx, int64_t keysInPlaceRows)
      : OpConversionPattern(ctx), keysInPlaceRows(keysInPlaceRows) {}

  int64_t keysInPlaceRows;

  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    MLIRContext *ctx = op.getContext();
    Location loc = op.getLoc();
    auto qType = cast<RankedTensorType>(adaptor.getQuery().getType());
    auto kType = cast<RankedTensorType>(adaptor.getKey().getType());
    int64_t batch = qType.getDimSize(0), queries = qType.getDimSize(1),
            sk = kType.getDimSize(1);
    int64_t queryHeads = op.getHeads(), kvHeads = op.getKvHeadCount();
    int64_t headDim = op.getHeadDim(), queryGroup = queryHeads / kvHeads;
    Type f32 = rewriter.getF32Type();
    auto view = [&](Value v, int64_t len, int64_t h) {
      return ReshapeOp::create(
          rewriter, loc, RankedTensorType::get({batch, len, h, headDim}, f32),
          v);
    };
    MaskKind kind = op.getMask();
    Value mask = adaptor.getMaskOperand();
    Value q = view(adaptor.getQuery(), queries, queryHeads);
    Value k = view(adaptor.getKey(), sk, kvHeads);
    Value v = view(adaptor.getValue(), sk, kvHeads);
    // From here on the ops see `heads` heads of `sq` rows, kv head h /
    // `group` each: the query heads, or the kv heads with their groups'
    // query heads as rows (groupedRows).
    bool grouped = groupsRows(queryGroup, queries, kind, mask);
    int64_t heads = grouped ? kvHeads : queryHeads;
    int64_t sq = grouped ? queries * queryGroup : queries;
    int64_t group = grouped ? 1 : queryGroup;
    // Few rows per head read the keys in place (see below).
    bool keysInPlace = sq < keysInPlaceRows;
    double scale = op.getScaleValue();
    // A power-of-two scale commutes with rounding, (s q) . k = s (q . k)
    // bit for bit (barring overflow and subnormals), so it goes on the keys
    // whatever `scale_on` says: their panel copy applies it for free, and
    // the flash loop no longer scales each block of scores.
    int exponent = 0;
    bool powerOfTwo = std::frexp(scale, &exponent) == 0.5;
    bool scaleQuery = op.getScaleOn() == ScalePlacement::Query || powerOfTwo;
    std::optional<double> keyScale =
        scaleQuery ? std::optional<double>(scale) : std::nullopt;
    // Keys in place take no copy to carry the scale: the few queries do,
    // in their regrouping copy when there is one.
    std::optional<double> queryScale = keysInPlace ? keyScale : std::nullopt;
    if (grouped) {
      q = groupedRows(g, q, kvHeads, queryScale);
    } else if (queryScale) {
      q = g.elementwise(q, cast<RankedTensorType>(q.getType()).getShape(), f32,
                        [&](OpBuilder &nb, Location l, ValueRange a) {
                          return arith::MulFOp::create(nb, l, a[0],
                                                       g.f32(*queryScale))
                              .getResult();
                        });
    }

    AffineExpr b = getAffineDimExpr(0, ctx), h = getAffineDimExpr(1, ctx),
               i = getAffineDimExpr(2, ctx), j = getAffineDimExpr(3, ctx),
               d = getAffineDimExpr(4, ctx);
    // The keys as the scores GEMM's B, times the scale when it applies to
    // the query (q . (s k) = (s q) . k), in panels of 32 keys per batch and
    // kv head: kP[b, hk, p, d, l] = k[b, 32 p + l, hk, d], zero past the
    // last key. The GEMM streams one contiguous 32-key panel per register
    // block; read as kT[b, hk, d, j] instead, each depth step of a block
    // was a row 4 Sk bytes from the last, and with the query rows 4 H dh
    // bytes apart both operands fell on a few cache sets. The flash loop's
    // whole key blocks are whole panels (attentionKeyBlock), so it slices
    // panels. Measured with the values in panels too (below).
    //
    // Fewer than keysInPlaceRows rows per head (a decoding step) read the
    // keys as they are, k[b, j, h / g, d]: the scores are then dot products
    // along dh (kiln-cpu-lower-dot-products), not a GEMM, and the scale
    // went on the few queries above. The copy into panels was a write and a
    // second read of every key for a product that reads each once; one
    // decoding step over 4096 keys of 8 kv heads of 128 spent 2 of its
    // 4.2 ms in it.
    Value kP = k;
    AffineMap kPMap = AffineMap::get(5, 0, {b, j, h.floorDiv(group), d}, ctx);
    if (!keysInPlace) {
      kP = keyPanels(g, k, sk, keyScale);
      kPMap = AffineMap::get(
          5, 0, {b, h.floorDiv(group), j.floorDiv(kPanel), d, j % kPanel}, ctx);
    }

    // scores[b, h, i, j] = sum_d q[b, i, h, d] kP[b, h / g, j / 32, d, j mod
    // 32]
    SmallVector<utils::IteratorType> contract(4, utils::IteratorType::parallel);
    contract.push_back(utils::IteratorType::reduction);
    SmallVector<int64_t> scoreShape = {batch, heads, sq, sk};
    auto multiplyAdd = [](OpBuilder &nb, Location l, ValueRange a) {
      Value prod = arith::MulFOp::create(nb, l, a[0], a[1]);
      return arith::AddFOp::create(nb, l, a[2], prod).getResult();
    };
    // Ops under a key limit take the row ends as their last input, which
    // their bodies do not see.
    bool allKeys = op.getEmptyRows() == EmptyRows::AllKeys;
    Value begins, ends;
    if (kind == MaskKind::Causal || kind == MaskKind::KeyPadding ||
        kind == MaskKind::RowSpans) {
      std::tie(begins, ends) = keyRanges(g, kind, mask, allKeys, batch, queries,
                                         grouped ? queryGroup : 1, sk);
    }
    // The batch is loop 0 and the query row loop 2 in every op.
    auto byRow = [&](unsigned loops) { return g.dims(loops, {0, 2}); };
    // The body sees the ends (after the other inputs) only when asked.
    auto limited =
        [&](SmallVector<Value> inputs, SmallVector<AffineMap> maps, Value init,
            AffineMap outputMap, ArrayRef<utils::IteratorType> iterators,
            unsigned keyLoop, BodyFn body, bool seesEnds = false) -> Value {
      if (!ends) {
        return g.generic(inputs, maps, init, outputMap, iterators, body);
      }
      unsigned n = inputs.size() + (seesEnds ? 1 : 0);
      inputs.push_back(ends);
      maps.push_back(byRow(outputMap.getNumDims()));
      Value result =
          g.generic(inputs, maps, init, outputMap, iterators,
                    [&](OpBuilder &nb, Location l, ValueRange a) {
                      SmallVector<Value> args(a.take_front(n));
                      llvm::append_range(args, a.drop_front(inputs.size()));
                      return body(nb, l, args);
                    });
      result.getDefiningOp()->setAttr(kKeyEndAttr,
                                      rewriter.getDenseI64ArrayAttr({keyLoop}));
      return result;
    };

    Value scores = limited(
        {q, kP}, {AffineMap::get(5, 0, {b, i, h, d}, ctx), kPMap},
        g.filled(scoreShape, 0.0), AffineMap::get(5, 0, {b, h, i, j}, ctx),
        contract, 3, multiplyAdd);

    // Masked, scaled scores; masked entries are -inf. Under a key range
    // the inputs are the scores, the begins (spans) and the ends.
    AffineMap id4 = g.identity(4);
    SmallVector<Value> inputs = {scores};
    SmallVector<AffineMap> maps = {id4};
    double negInf = -std::numeric_limits<double>::infinity();
    bool emptyBiasRows = kind == MaskKind::Bias && allKeys;
    if (kind == MaskKind::Bias) {
      ArrayRef<int64_t> maskShape =
          cast<RankedTensorType>(mask.getType()).getShape();
      AffineMap maskMap = g.broadcastMap(maskShape, scoreShape);
      inputs.push_back(mask);
      maps.push_back(maskMap);
      if (emptyBiasRows) {
        // Under all_keys a row whose bias hides every key attends to all
        // keys unmasked (Hugging Face mllama zeroes such a row's bias): the
        // largest bias of each row tells them apart. Without it such rows
        // came out as zeros, as under empty_rows = zero.
        Value rowMax = mask;
        unsigned rank = maskShape.size();
        if (rank > 0) {
          SmallVector<unsigned> rowDims;
          for (unsigned d = 0; d + 1 < rank; ++d) {
            rowDims.push_back(d);
          }
          SmallVector<utils::IteratorType> reduceLast(
              rank - 1, utils::IteratorType::parallel);
          reduceLast.push_back(utils::IteratorType::reduction);
          rowMax = g.generic(
              mask, {g.identity(rank)},
              g.filled(SmallVector<int64_t>(maskShape.drop_back()), negInf),
              g.dims(rank, rowDims), reduceLast,
              [](OpBuilder &nb, Location l, ValueRange a) {
                return arith::MaximumFOp::create(nb, l, a[0], a[1]).getResult();
              });
        }
        inputs.push_back(rowMax);
        maps.push_back(AffineMap::get(
            4, 0, maskMap.getResults().take_front(rank ? rank - 1 : 0), ctx));
      }
    }
    if (begins) {
      inputs.push_back(begins);
      maps.push_back(byRow(4));
    }
    // Without a mask or a scale on the scores the op would be the identity
    // (which canonicalization erases anyway): the softmax reads the scores.
    bool masks = !scaleQuery || kind == MaskKind::Bias || ends;
    auto maskScores = [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
      Value s = a[0];
      if (!scaleQuery) {
        s = arith::MulFOp::create(nb, l, s, g.f32(scale));
      }
      if (kind == MaskKind::Bias) {
        Value bias = a[1];
        if (emptyBiasRows) {
          Value hidesAll = arith::CmpFOp::create(
              nb, l, arith::CmpFPredicate::OEQ, a[2], g.f32(negInf));
          bias = arith::SelectOp::create(nb, l, hidesAll, g.f32(0.0), bias);
        }
        s = arith::AddFOp::create(nb, l, s, bias);
      }
      if (!ends) {
        return s;
      }
      auto asIndex = [&](Value v) {
        return arith::IndexCastOp::create(nb, l, nb.getIndexType(), v);
      };
      Value j = linalg::IndexOp::create(nb, l, 3);
      Value visible = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, j,
                                            asIndex(a[begins ? 2 : 1]));
      if (begins) {
        visible = arith::AndIOp::create(
            nb, l, visible,
            arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sge, j,
                                  asIndex(a[1])));
      }
      return arith::SelectOp::create(nb, l, visible, s, g.f32(negInf));
    };
    Value masked = !masks ? scores
                          : limited(inputs, maps, g.empty(scoreShape, f32), id4,
                                    GenericBuilder::parallel(4), 3, maskScores,
                                    /*seesEnds=*/true);

    // Row softmax over the keys; a row with every key masked yields 0.
    SmallVector<int64_t> rowShape = {batch, heads, sq};
    AffineMap row = g.dims(4, {0, 1, 2});
    SmallVector<utils::IteratorType> reduceKeys(3,
                                                utils::IteratorType::parallel);
    reduceKeys.push_back(utils::IteratorType::reduction);
    Value max = limited(
        {masked}, {id4}, g.filled(rowShape, negInf), row, reduceKeys, 3,
        [](OpBuilder &nb, Location l, ValueRange a) {
          return arith::MaximumFOp::create(nb, l, a[0], a[1]).getResult();
        });
    auto expShifted = [&](OpBuilder &nb, Location l, Value s, Value m) {
      // exp(-inf - -inf) would be NaN: fully masked rows give 0.
      Value empty = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, m,
                                          g.f32(negInf));
      Value e = math::ExpOp::create(nb, l, arith::SubFOp::create(nb, l, s, m));
      return arith::SelectOp::create(nb, l, empty, g.f32(0.0), e).getResult();
    };
    Value sum =
        limited({masked, max}, {id4, row}, g.filled(rowShape, 0.0), row,
                reduceKeys, 3, [&](OpBuilder &nb, Location l, ValueRange a) {
                  return arith::AddFOp::create(nb, l, a[2],
                                               expShifted(nb, l, a[0], a[1]))
                      .getResult();
                });
    Value probs =
        limited({masked, max, sum}, {id4, row, row}, g.empty(scoreShape, f32),
                id4, GenericBuilder::parallel(4), 3,
                [&](OpBuilder &nb, Location l, ValueRange a) {
                  Value e = expShifted(nb, l, a[0], a[1]);
                  // A row's sum is 0 when it sees no key, NaN when one
                  // of its scores is: only the first gives zeros.
                  Value positive = arith::CmpFOp::create(
                      nb, l, arith::CmpFPredicate::UNE, a[2], g.f32(0.0));
                  Value p = arith::DivFOp::create(nb, l, e, a[2]);
                  return arith::SelectOp::create(nb, l, positive, p, g.f32(0.0))
                      .getResult();
                });

    // o[b, h, i, d] = sum_j p[b, h, i, j] v[b, j, h / g, d] (head-major, a
    // GEMM per head), then out[b, i, h, d] = o[b, h, i, d].
    auto tag = [&](Value value, StringRef part) {
      value.getDefiningOp()->setAttr(kAttentionPartAttr,
                                     rewriter.getStringAttr(part));
    };
    tag(scores, "scores");
    if (masks) {
      tag(masked, "mask");
    }
    // What kiln-cpu-flash-attention needs to skip key blocks before every
    // row's begin and to drop the mask op on blocks inside every row's
    // range: the visibility is exactly [begin, end), and the op scales the
    // scores or not.
    if (ends) {
      SmallVector<int64_t> beginInput;
      if (begins) {
        beginInput.push_back(1);
      }
      masked.getDefiningOp()->setAttr(
          kVisibleRangeAttr, rewriter.getDenseI64ArrayAttr(beginInput));
    }
    if (masks && !scaleQuery) {
      masked.getDefiningOp()->setAttr(kScoreScaleAttr,
                                      rewriter.getF32FloatAttr(scale));
    }
    tag(max, "max");
    tag(sum, "sum");
    tag(probs, "probs");
    // V in panels of 32 columns per batch and kv head, vP[b, hk, q, key,
    // l] = v[b, key, hk, 32 q + l], when dh is a multiple of 32: the GEMM
    // streams one contiguous panel at a time, where the rows of a
    // row-major V sit Hkv dh floats apart and a block of keys falls on a
    // few cache sets (a [384 x 257] x [257 x 1408] product ran at 85
    // GFLOP/s per worker with V row-major, 111 in panels). With the keys in
    // panels too, on Zen 3 (docs/attention.md): 16 heads of 64 over 2048
    // keys, one thread, 400 -> 254 ms unmasked, 215 -> 145 ms causal;
    // Show-o's attention (32 heads of 64, 1155 keys) 450 -> 303 ms of busy
    // time. On Zen 4, V alone in panels at dh = 64 had gained nothing
    // there, while its keys could not be in panels (blocks of 231). The
    // copy is one more pass over V; fewer than a panel's worth of queries
    // per kv head (a decoding step's one) would not repay it, so they read
    // V as it is, and so do heads that read their keys in place: 32 heads
    // of 128 over 4096 keys, 32 to 64 rows, one thread, took 13-25% less
    // time with V in place. (The keys' copy replaces their transpose.)
    AffineMap vMap = AffineMap::get(5, 0, {b, d, h.floorDiv(group), j}, ctx);
    Value values = v;
    if (headDim % kPanel == 0 && sq * group >= kPanel && !keysInPlace) {
      AffineExpr panel = getAffineDimExpr(2, ctx), key = j, lane = d;
      values = g.generic(
          v, {AffineMap::get(5, 0, {b, key, h, panel * kPanel + lane}, ctx)},
          g.empty({batch, kvHeads, headDim / kPanel, sk, kPanel}, f32),
          g.identity(5), GenericBuilder::parallel(5),
          [](OpBuilder &, Location, ValueRange a) { return a[0]; });
      vMap = AffineMap::get(
          5, 0, {b, h.floorDiv(group), j.floorDiv(kPanel), d, j % kPanel}, ctx);
    }
    Value o = limited({probs, values},
                      {AffineMap::get(5, 0, {b, h, i, d}, ctx), vMap},
                      g.filled({batch, heads, sq, headDim}, 0.0),
                      g.dims(5, {0, 1, 2, 3}), contract, 4, multiplyAdd);
    tag(o, "pv");
    if (heads == 1) {
      // [B, 1, Sq, dh] is [B, Sq, 1, dh] already; grouped, row i G + g of
      // the one kv head is query i of head g, [B, Sq, G, dh].
      rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), o);
      return success();
    }
    // out[b, i, h, d] = o[b, h, i, d], or o[b, h / G, i G + h mod G, d]
    // grouped, over the loops (b, i, h, d) of out.
    AffineExpr query = getAffineDimExpr(1, ctx),
               head = getAffineDimExpr(2, ctx);
    AffineMap oMap =
        grouped ? AffineMap::get(4, 0,
                                 {b, head.floorDiv(queryGroup),
                                  query * queryGroup + head % queryGroup, j},
                                 ctx)
                : AffineMap::get(4, 0, {b, head, query, j}, ctx);
    Value out = g.generic(
        o, {oMap}, g.empty({batch, queries, queryHeads, headDim}, f32),
        g.identity(4), GenericBuilder::parallel(4),
        [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), out);
    return success();
  }

  /// The keys k [B, Sk, Hkv, dh] in panels of kPanel keys per batch and kv
  /// head, [B, Hkv, ceil(Sk / kPanel), dh, kPanel], times `scale` when
  /// given; zero past the last key. The loops run (b, hk, p, l, d), reading
  /// k contiguously; a key past the end reads the last one (in bounds) and
  /// selects zero.
  static Value keyPanels(GenericBuilder &g, Value k, int64_t sk,
                         std::optional<double> scale) {
    auto type = cast<RankedTensorType>(k.getType());
    int64_t batch = type.getDimSize(0), kvHeads = type.getDimSize(2),
            headDim = type.getDimSize(3);
    MLIRContext *ctx = k.getContext();
    AffineExpr b = getAffineDimExpr(0, ctx), h = getAffineDimExpr(1, ctx),
               p = getAffineDimExpr(2, ctx), l = getAffineDimExpr(3, ctx),
               d = getAffineDimExpr(4, ctx);
    Type element = type.getElementType();
    Value panels = g.empty(
        {batch, kvHeads, llvm::divideCeilSigned(sk, kPanel), headDim, kPanel},
        element);
    AffineMap panelMap = AffineMap::get(5, 0, {b, h, p, d, l}, ctx);
    auto scaled = [&](OpBuilder &nb, Location loc, Value x) {
      return scale
                 ? arith::MulFOp::create(nb, loc, x, g.f32(*scale)).getResult()
                 : x;
    };
    if (sk % kPanel == 0) {
      // Whole panels: a copy through maps, in vector code.
      return g.generic(k,
                       {AffineMap::get(5, 0, {b, p * kPanel + l, h, d}, ctx)},
                       panels, panelMap, GenericBuilder::parallel(5),
                       [&](OpBuilder &nb, Location loc, ValueRange a) {
                         return scaled(nb, loc, a[0]);
                       });
    }
    return g.generic(
        {}, {}, panels, panelMap, GenericBuilder::parallel(5),
        [&](OpBuilder &nb, Location loc, ValueRange) -> Value {
          auto cidx = [&](int64_t v) {
            return arith::ConstantIndexOp::create(nb, loc, v).getResult();
          };
          auto loop = [&](unsigned n) {
            return linalg::IndexOp::create(nb, loc, n).getResult();
          };
          Value key = arith::AddIOp::create(
              nb, loc, arith::MulIOp::create(nb, loc, loop(2), cidx(kPanel)),
              loop(3));
          Value inside = arith::CmpIOp::create(
              nb, loc, arith::CmpIPredicate::slt, key, cidx(sk));
          Value row = arith::MinSIOp::create(nb, loc, key, cidx(sk - 1));
          Value x = tensor::ExtractOp::create(
              nb, loc, k, ValueRange{loop(0), row, loop(1), loop(4)});
          return arith::SelectOp::create(nb, loc, inside, scaled(nb, loc, x),
                                         g.f32(0.0));
        });
  }

  /// Whether the query heads of each kv head's group become rows of one
  /// head: under GQA with fewer than a key panel's worth of queries (a
  /// decoding step, a few speculative tokens). Each head's scores GEMM
  /// then had one row, and the flash loop read the kv head's keys and
  /// values once per query head of its group; grouped, once. A bias mask
  /// must not tell the group's heads or the queries apart (its head and
  /// query dims of size 1): rows of one query from several heads, and
  /// several queries of one head, share a bias row then.
  static bool groupsRows(int64_t group, int64_t sq, MaskKind kind, Value mask) {
    if (group == 1 || sq >= kPanel) {
      return false;
    }
    if (kind != MaskKind::Bias) {
      return true;
    }
    ArrayRef<int64_t> shape = cast<RankedTensorType>(mask.getType()).getShape();
    int64_t rank = shape.size();
    // The bias broadcasts to [B, H, Sq, Sk] from the right.
    auto size = [&](int64_t dim) {
      int64_t at = dim - (4 - rank);
      return at < 0 ? int64_t(1) : shape[at];
    };
    return size(1) == 1 && size(2) == 1;
  }

  /// The queries q [B, Sq, Hkv G, dh] as Sq G rows of Hkv heads,
  /// [B, Sq G, Hkv, dh]: row i G + g of kv head hk is query i of head hk G
  /// + g, times `scale` when given. A copy along dh; q is small where rows
  /// are grouped.
  static Value groupedRows(GenericBuilder &g, Value q, int64_t kvHeads,
                           std::optional<double> scale) {
    auto type = cast<RankedTensorType>(q.getType());
    int64_t batch = type.getDimSize(0), sq = type.getDimSize(1),
            group = type.getDimSize(2) / kvHeads, headDim = type.getDimSize(3);
    MLIRContext *ctx = q.getContext();
    AffineExpr b = getAffineDimExpr(0, ctx), row = getAffineDimExpr(1, ctx),
               hk = getAffineDimExpr(2, ctx), d = getAffineDimExpr(3, ctx);
    return g.generic(
        q,
        {AffineMap::get(
            4, 0, {b, row.floorDiv(group), hk * group + row % group, d}, ctx)},
        g.empty({batch, sq * group, kvHeads, headDim}, type.getElementType()),
        g.identity(4), GenericBuilder::parallel(4),
        [&](OpBuilder &nb, Location l, ValueRange a) {
          return scale ? arith::MulFOp::create(nb, l, a[0], g.f32(*scale))
                             .getResult()
                       : a[0];
        });
  }

  /// begins[b, r] and ends[b, r]: the first key row r of batch b sees and
  /// one past its last, in [0, Sk], [0, Sk) for a row that sees no key when
  /// such rows see all keys; row r is query r / rowsPerQuery of the sq
  /// queries (grouped rows have one per head of a group). The begins are
  /// null unless the mask has them (row spans): every other range starts
  /// at 0.
  static std::pair<Value, Value> keyRanges(GenericBuilder &g, MaskKind kind,
                                           Value mask, bool allKeys,
                                           int64_t batch, int64_t sq,
                                           int64_t rowsPerQuery, int64_t sk) {
    OpBuilder &builder = g.builder();
    bool spans = kind == MaskKind::RowSpans;
    SmallVector<Value> inits;
    for (int n = spans ? 2 : 1; n > 0; --n) {
      inits.push_back(
          g.empty({batch, sq * rowsPerQuery}, builder.getI64Type()));
    }
    SmallVector<Value> bounds = g.generic(
        {}, {}, inits, SmallVector<AffineMap>(inits.size(), g.identity(2)),
        GenericBuilder::parallel(2),
        [&](OpBuilder &b, Location l, ValueRange) -> SmallVector<Value> {
          auto cidx = [&](int64_t v) {
            return arith::ConstantIndexOp::create(b, l, v).getResult();
          };
          auto asIndex = [&](Value v) {
            return arith::IndexCastOp::create(b, l, b.getIndexType(), v)
                .getResult();
          };
          auto asI64 = [&](Value v) {
            return arith::IndexCastOp::create(b, l, b.getI64Type(), v)
                .getResult();
          };
          auto clamp = [&](Value v) {
            return arith::MaxSIOp::create(
                b, l, cidx(0), arith::MinSIOp::create(b, l, v, cidx(sk)));
          };
          Value bt = linalg::IndexOp::create(b, l, 0);
          Value i = linalg::IndexOp::create(b, l, 1);
          if (rowsPerQuery > 1) {
            i = arith::DivUIOp::create(b, l, i, cidx(rowsPerQuery));
          }
          Value first = cidx(0), end;
          switch (kind) {
          case MaskKind::Causal:
            end = arith::AddIOp::create(b, l, i, cidx(sk - sq + 1));
            break;
          case MaskKind::KeyPadding:
            end = asIndex(tensor::ExtractOp::create(b, l, mask, bt));
            break;
          case MaskKind::RowSpans:
            first = clamp(asIndex(tensor::ExtractOp::create(
                b, l, mask, ValueRange{bt, i, cidx(0)})));
            end = asIndex(tensor::ExtractOp::create(
                b, l, mask, ValueRange{bt, i, cidx(1)}));
            break;
          default:
            llvm_unreachable("no key range for this mask");
          }
          end = clamp(end);
          if (allKeys) {
            Value any = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                              first, end);
            first = arith::SelectOp::create(b, l, any, first, cidx(0));
            end = arith::SelectOp::create(b, l, any, end, cidx(sk));
          }
          if (spans) {
            return {asI64(first), asI64(end)};
          }
          return {asI64(end)};
        });
    return {spans ? bounds[0] : Value(), bounds.back()};
  }
};

} // namespace

void populateAttentionLoweringPatterns(RewritePatternSet &patterns,
                                       int64_t keysInPlaceRows) {
  patterns.add<LowerAttention>(patterns.getContext(), keysInPlaceRows);
}

} // namespace kiln
