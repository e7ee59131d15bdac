//===- RopePattern.cpp - Rotary position embedding lowering ---------------===//
//
// One elementwise generic over the result: channel c of a head (c' = c mod
// head_dim) below rotary_dim becomes x[c] cos(a) + sign x[partner] sin(a),
// with the partner and sign of the rotation style, and passes through
// otherwise. The partner is read from the whole input with tensor.extract.
//
// Without explicit positions the angles are compile-time constants: cos and
// sin tables [S, rotary_dim / 2] computed in double. With positions, the
// kernel computes angle = position * inv_freq itself, in f64, less its
// whole turns, before its f32 cos and sin (reducedAngle).
//
//===----------------------------------------------------------------------===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/KilnToLinalg/GenericBuilder.h"
#include "passes/KilnToLinalg/KilnToLinalgPatterns.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;

namespace kiln {
namespace {

/// position * inv_freq (inv_freq = invHigh + invLow, f32 parts) less its
/// whole turns of 2 pi, in f64, rounded to f32: the angle cos and sin
/// take. CpuExpandMath's f32 cos and sin reduce by pi / 2 in one f32
/// constant, which is exact enough only near zero: past about 4e7 radians
/// they left [-1, 1] (NaN past 2^31 quarter turns), and an f32 angle is
/// itself off by about position * 2^-24 radians (0.03 at 262144). 2 pi's
/// high part has 24 bits, so k * high is exact for k below 2^29 (angles to
/// 3.4e9 radians); past that the result stays an angle of at most a few
/// turns, whose sine and cosine stay in [-1, 1].
Value reducedAngle(OpBuilder &b, Location l, Value position, Value invHigh,
                   Value invLow) {
  Type f64 = b.getF64Type();
  auto constant = [&](double value) {
    return arith::ConstantOp::create(b, l, b.getF64FloatAttr(value))
        .getResult();
  };
  const double twoPi = 6.283185307179586476925286766559;
  const double twoPiHigh = static_cast<float>(twoPi);
  const double twoPiLow = twoPi - twoPiHigh;
  Value inv =
      arith::AddFOp::create(b, l, arith::ExtFOp::create(b, l, f64, invHigh),
                            arith::ExtFOp::create(b, l, f64, invLow));
  Value angle = arith::MulFOp::create(
      b, l, arith::SIToFPOp::create(b, l, f64, position), inv);
  // Whole turns toward zero (an i64 conversion, where a rounding op
  // would call libm without SSE4.1): the rest is in (-2 pi, 2 pi).
  Value turns = arith::SIToFPOp::create(
      b, l, f64,
      arith::FPToSIOp::create(
          b, l, b.getI64Type(),
          arith::MulFOp::create(b, l, angle, constant(1.0 / twoPi))));
  Value rest = arith::SubFOp::create(
      b, l, angle, arith::MulFOp::create(b, l, turns, constant(twoPiHigh)));
  rest = arith::SubFOp::create(
      b, l, rest, arith::MulFOp::create(b, l, turns, constant(twoPiLow)));
  return arith::TruncFOp::create(b, l, b.getF32Type(), rest);
}

/// inv_freq[i] = theta^(-2i / rotary_dim), with Llama 3 scaling if asked.
std::vector<double> inverseFrequencies(RopeOp op) {
  int64_t half = op.getRotaryDim() / 2;
  double theta = op.getTheta().convertToDouble();
  std::vector<double> inv(half);
  for (int64_t i = 0; i < half; ++i) {
    inv[i] = 1.0 / std::pow(theta, 2.0 * i / op.getRotaryDim());
  }
  if (std::optional<APFloat> factor = op.getLlama3Factor()) {
    double f = factor->convertToDouble();
    double low = op.getLlama3LowFreqFactor()->convertToDouble();
    double high = op.getLlama3HighFreqFactor()->convertToDouble();
    double original = static_cast<double>(*op.getLlama3OriginalMaxPosition());
    double lowWavelen = original / low, highWavelen = original / high;
    for (double &v : inv) {
      double wavelen = 2 * M_PI / v;
      if (wavelen > lowWavelen) {
        v /= f;
      } else if (wavelen >= highWavelen) {
        double smooth = (original / wavelen - low) / (high - low);
        v = (1 - smooth) * v / f + smooth * v;
      }
    }
  }
  return inv;
}

struct LowerRope : OpConversionPattern<RopeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RopeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    GenericBuilder g(rewriter, op);
    MLIRContext *ctx = op.getContext();
    Value x = adaptor.getInput();
    auto type = cast<RankedTensorType>(x.getType());
    unsigned rank = type.getRank();
    int64_t seq = type.getDimSize(rank - 2);
    int64_t headDim = op.getHeadDim(), rotary = op.getRotaryDim(),
            half = rotary / 2;
    bool interleaved = op.getStyle() == RopeStyle::Interleaved;
    std::vector<double> inv = inverseFrequencies(op);

    AffineExpr s = getAffineDimExpr(rank - 2, ctx);
    AffineExpr c = getAffineDimExpr(rank - 1, ctx) % headDim;
    // The frequency index of channel c' (any valid index when c' passes).
    AffineExpr freq = interleaved ? (c % rotary).floorDiv(2) : c % half;
    SmallVector<Value> inputs = {x};
    SmallVector<AffineMap> maps = {g.identity(rank)};
    Value positions = adaptor.getPositions();
    auto tableType = RankedTensorType::get({seq, half}, rewriter.getF32Type());
    // Positions 0..seq-1 read cos and sin from tables made here (in f64,
    // then rounded), up to 2^23 entries (32 MiB) each; longer sequences
    // compute them from the row index as given positions do (a sequence
    // of 2^31 made tables that exhausted the compiler's memory).
    constexpr int64_t kMaxTableEntries = int64_t(1) << 23;
    bool table = !positions && seq * half <= kMaxTableEntries;
    if (table) {
      std::vector<float> cosTable(seq * half), sinTable(seq * half);
      for (int64_t p = 0; p < seq; ++p) {
        for (int64_t i = 0; i < half; ++i) {
          cosTable[p * half + i] = static_cast<float>(std::cos(p * inv[i]));
          sinTable[p * half + i] = static_cast<float>(std::sin(p * inv[i]));
        }
      }
      for (auto *table : {&cosTable, &sinTable}) {
        inputs.push_back(arith::ConstantOp::create(
            rewriter, op.getLoc(),
            DenseElementsAttr::get(tableType, ArrayRef<float>(*table))));
        maps.push_back(AffineMap::get(rank, 0, {s, freq}, ctx));
      }
    } else {
      if (positions) {
        auto posType = cast<RankedTensorType>(positions.getType());
        SmallVector<AffineExpr> posExprs = {s};
        if (posType.getRank() == 2) {
          posExprs.insert(posExprs.begin(), getAffineDimExpr(0, ctx));
        }
        inputs.push_back(positions);
        maps.push_back(AffineMap::get(rank, 0, posExprs, ctx));
      }
      // inv_freq as two f32 tables whose sum in f64 carries about 48 bits
      // (parameters and constants are f32).
      std::vector<float> invHigh, invLow;
      for (double value : inv) {
        invHigh.push_back(static_cast<float>(value));
        invLow.push_back(static_cast<float>(value - invHigh.back()));
      }
      auto invType = RankedTensorType::get({half}, rewriter.getF32Type());
      for (auto *part : {&invHigh, &invLow}) {
        inputs.push_back(arith::ConstantOp::create(
            rewriter, op.getLoc(),
            DenseElementsAttr::get(invType, ArrayRef<float>(*part))));
        maps.push_back(AffineMap::get(rank, 0, {freq}, ctx));
      }
    }

    Value result = g.generic(
        inputs, maps, g.empty(type.getShape(), type.getElementType()),
        g.identity(rank), GenericBuilder::parallel(rank),
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value cos, sin;
          if (table) {
            cos = a[1];
            sin = a[2];
          } else {
            Value index = positions
                              ? a[1]
                              : arith::IndexCastOp::create(
                                    b, l, b.getI64Type(),
                                    linalg::IndexOp::create(b, l, rank - 2));
            Value reduced = reducedAngle(b, l, index, a[positions ? 2 : 1],
                                         a[positions ? 3 : 2]);
            cos = math::CosOp::create(b, l, reduced);
            sin = math::SinOp::create(b, l, reduced);
          }
          auto cidx = [&](int64_t v) {
            return arith::ConstantIndexOp::create(b, l, v).getResult();
          };
          Value channel = linalg::IndexOp::create(b, l, rank - 1);
          Value inHead = arith::RemUIOp::create(b, l, channel, cidx(headDim));
          Value base = arith::SubIOp::create(b, l, channel, inHead);
          // Partner channel and the sign of its term.
          Value partner, negative;
          if (interleaved) {
            Value even = arith::CmpIOp::create(
                b, l, arith::CmpIPredicate::eq,
                arith::RemUIOp::create(b, l, inHead, cidx(2)), cidx(0));
            partner = arith::SelectOp::create(
                b, l, even, arith::AddIOp::create(b, l, inHead, cidx(1)),
                arith::SubIOp::create(b, l, inHead, cidx(1)));
            negative = even;
          } else {
            Value low = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult,
                                              inHead, cidx(half));
            partner = arith::SelectOp::create(
                b, l, low, arith::AddIOp::create(b, l, inHead, cidx(half)),
                arith::SubIOp::create(b, l, inHead, cidx(half)));
            negative = low;
          }
          Value rotated = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult,
                                                inHead, cidx(rotary));
          SmallVector<Value> at;
          for (unsigned d = 0; d + 1 < rank; ++d) {
            at.push_back(linalg::IndexOp::create(b, l, d));
          }
          at.push_back(arith::AddIOp::create(b, l, base, partner));
          auto branch = scf::IfOp::create(b, l, b.getF32Type(), rotated,
                                          /*withElse=*/true);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(branch.thenBlock());
          Value other = tensor::ExtractOp::create(b, l, x, at);
          Value term = arith::MulFOp::create(b, l, other, sin);
          term = arith::SelectOp::create(
              b, l, negative, arith::NegFOp::create(b, l, term), term);
          Value out = arith::AddFOp::create(
              b, l, arith::MulFOp::create(b, l, a[0], cos), term);
          scf::YieldOp::create(b, l, out);
          b.setInsertionPointToStart(branch.elseBlock());
          scf::YieldOp::create(b, l, a[0]);
          return branch.getResult(0);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void populateRopeLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<LowerRope>(patterns.getContext());
}

} // namespace kiln
