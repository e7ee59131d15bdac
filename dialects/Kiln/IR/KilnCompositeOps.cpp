//===- KilnCompositeOps.cpp - Verifiers of attention, MoE, RoPE, patches --===//

#include "dialects/Kiln/IR/KilnOps.h"
#include "dialects/Kiln/IR/ShapeChecks.h"
#include "mlir/Dialect/Traits.h"

#include <cmath>

using namespace mlir;
using namespace kiln;

static bool isIntegerTensor(Type type) {
  return isa<IntegerType>(cast<ShapedType>(type).getElementType());
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  ArrayRef<int64_t> shape = shapeOf(getInput().getType());
  if (shape.size() < 2) {
    return emitOpError("expects an input [.., S, heads * head_dim], got ")
           << formatShape(shape);
  }
  int64_t headDim = getHeadDim(), rotary = getRotaryDim();
  if (headDim < 1 || shape.back() % headDim != 0) {
    return emitOpError("expects head_dim to divide the last dimension ")
           << shape.back() << ", got " << headDim;
  }
  if (rotary < 2 || rotary % 2 != 0 || rotary > headDim) {
    return emitOpError("expects an even rotary_dim in [2, ")
           << headDim << "], got " << rotary;
  }
  if (!(getTheta().convertToDouble() > 0.0)) {
    return emitOpError("expects a positive theta");
  }
  if (Value positions = getPositions()) {
    ArrayRef<int64_t> pos = shapeOf(positions.getType());
    int64_t seq = shape[shape.size() - 2];
    bool valid = (pos.size() == 1 && pos[0] == seq) ||
                 (pos.size() == 2 && shape.size() == 3 && pos[0] == shape[0] &&
                  pos[1] == seq);
    if (!valid) {
      return emitOpError("expects positions of shape [")
             << seq << "] or [batch, " << seq << "], got " << formatShape(pos);
    }
  }
  int llama3 = getLlama3Factor().has_value() +
               getLlama3LowFreqFactor().has_value() +
               getLlama3HighFreqFactor().has_value() +
               getLlama3OriginalMaxPosition().has_value();
  if (llama3 != 0 && llama3 != 4) {
    return emitOpError("expects all four llama3_* attributes or none");
  }
  if (llama3 == 4) {
    // Hugging Face's _compute_llama3_parameters divides by each of them
    // and blends between the two frequency factors.
    double factor = getLlama3Factor()->convertToDouble();
    double low = getLlama3LowFreqFactor()->convertToDouble();
    double high = getLlama3HighFreqFactor()->convertToDouble();
    if (!(factor > 0.0) || !(low > 0.0) || !(high > low) ||
        !std::isfinite(factor) || !std::isfinite(high) ||
        *getLlama3OriginalMaxPosition() < 1) {
      return emitOpError("expects llama3_factor > 0, 0 < llama3_low_freq_"
                         "factor < llama3_high_freq_factor and "
                         "llama3_original_max_position >= 1, got ")
             << factor << ", " << low << ", " << high << " and "
             << *getLlama3OriginalMaxPosition();
    }
  }
  return checkResultType(*this, cast<RankedTensorType>(getInput().getType()));
}

//===----------------------------------------------------------------------===//
// PatchEmbedOp
//===----------------------------------------------------------------------===//

LogicalResult PatchEmbedOp::verify() {
  ArrayRef<int64_t> pixels = shapeOf(getPixels().getType());
  ArrayRef<int64_t> weight = shapeOf(getWeight().getType());
  int64_t p = getPatchSize();
  if (pixels.size() != 4) {
    return emitOpError("expects pixels [B, C, H, W], got ")
           << formatShape(pixels);
  }
  if (p < 1 || pixels[2] % p != 0 || pixels[3] % p != 0) {
    return emitOpError("expects the patch size to divide the image ")
           << pixels[2] << "x" << pixels[3] << ", got " << p;
  }
  if (weight.size() != 4 || weight[1] != pixels[1] || weight[2] != p ||
      weight[3] != p) {
    return emitOpError("expects a weight [D, ")
           << pixels[1] << ", " << p << ", " << p << "], got "
           << formatShape(weight);
  }
  if (Value bias = getBias(); bias && shapeOf(bias.getType())[0] != weight[0]) {
    return emitOpError("expects a bias of shape [")
           << weight[0] << "], got " << formatShape(shapeOf(bias.getType()));
  }
  int64_t patches = (pixels[2] / p) * (pixels[3] / p);
  return checkResultType(*this,
                         RankedTensorType::get({pixels[0], patches, weight[0]},
                                               getType().getElementType()));
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

int64_t AttentionOp::getHeadDim() {
  return shapeOf(getQuery().getType()).back() / getHeads();
}

double AttentionOp::getScaleValue() {
  if (std::optional<APFloat> scale = getScale()) {
    return scale->convertToDouble();
  }
  return 1.0 / std::sqrt(static_cast<double>(getHeadDim()));
}

LogicalResult AttentionOp::verify() {
  ArrayRef<int64_t> q = shapeOf(getQuery().getType());
  ArrayRef<int64_t> k = shapeOf(getKey().getType());
  ArrayRef<int64_t> v = shapeOf(getValue().getType());
  if (q.size() != 3 || k.size() != 3 || v.size() != 3) {
    return emitOpError("expects query, key and value of rank 3 "
                       "[batch, seq, heads * head_dim], got ")
           << formatShape(q) << ", " << formatShape(k) << " and "
           << formatShape(v);
  }
  int64_t heads = getHeads(), kvHeads = getKvHeadCount();
  if (heads < 1 || q[2] % heads != 0) {
    return emitOpError("expects heads to divide the query width ")
           << q[2] << ", got " << heads;
  }
  if (kvHeads < 1 || heads % kvHeads != 0) {
    return emitOpError("expects kv_heads to divide heads ")
           << heads << ", got " << kvHeads;
  }
  int64_t headDim = q[2] / heads;
  if (k[0] != q[0] || v[0] != q[0] || k[1] != v[1]) {
    return emitOpError("expects one batch size and key and value of one "
                       "length, got ")
           << formatShape(q) << ", " << formatShape(k) << " and "
           << formatShape(v);
  }
  if (k[2] != kvHeads * headDim || v[2] != kvHeads * headDim) {
    return emitOpError("expects key and value of width kv_heads * head_dim = ")
           << kvHeads * headDim << ", got " << k[2] << " and " << v[2];
  }
  // The kernels scale in f32: a scale past f32's range was inf there.
  if (std::optional<APFloat> scale = getScale();
      scale && !(static_cast<float>(scale->convertToDouble()) > 0.0f &&
                 std::isfinite(static_cast<float>(scale->convertToDouble())))) {
    return emitOpError("expects a positive scale that f32 holds, got ")
           << scale->convertToDouble();
  }
  Value mask = getMaskOperand();
  MaskKind kind = getMask();
  bool needsOperand = kind == MaskKind::KeyPadding ||
                      kind == MaskKind::RowSpans || kind == MaskKind::Bias;
  if (needsOperand != static_cast<bool>(mask)) {
    return emitOpError("expects ")
           << (needsOperand ? "a" : "no") << " mask operand for mask kind '"
           << stringifyMaskKind(kind) << "'";
  }
  int64_t batch = q[0], sq = q[1], sk = k[1];
  if (kind == MaskKind::KeyPadding &&
      (!isIntegerTensor(mask.getType()) ||
       shapeOf(mask.getType()) != ArrayRef<int64_t>{batch})) {
    return emitOpError("expects key_padding lengths as integers of shape [")
           << batch << "], got " << mask.getType();
  }
  if (kind == MaskKind::RowSpans &&
      (!isIntegerTensor(mask.getType()) ||
       shapeOf(mask.getType()) != ArrayRef<int64_t>{batch, sq, 2})) {
    return emitOpError("expects row_spans as integers of shape [")
           << batch << ", " << sq << ", 2], got " << mask.getType();
  }
  if (kind == MaskKind::Bias) {
    SmallVector<int64_t> full = {batch, heads, sq, sk}, broadcast;
    ArrayRef<int64_t> bias = shapeOf(mask.getType());
    if (isIntegerTensor(mask.getType()) || bias.size() > 4 ||
        !OpTrait::util::getBroadcastedShape(bias, full, broadcast) ||
        ArrayRef<int64_t>(broadcast) != ArrayRef<int64_t>(full)) {
      return emitOpError("expects a float bias that broadcasts to ")
             << formatShape(full) << ", got " << mask.getType();
    }
  }
  return checkResultType(*this, cast<RankedTensorType>(getQuery().getType()));
}

//===----------------------------------------------------------------------===//
// MoeOp
//===----------------------------------------------------------------------===//

/// Checks one SwiGLU expert's (gate, up, down) weights against width `d`.
static LogicalResult checkExpert(Operation *op, StringRef what, Value gate,
                                 Value up, Value down, int64_t d) {
  ArrayRef<int64_t> g = shapeOf(gate.getType()), u = shapeOf(up.getType()),
                    w = shapeOf(down.getType());
  if (g.size() != 2 || g[1] != d || u != g || w.size() != 2 || w[0] != d ||
      w[1] != g[0]) {
    return op->emitOpError("expects ")
           << what << " weights gate [F, " << d << "], up [F, " << d
           << "], down [" << d << ", F], got " << formatShape(g) << ", "
           << formatShape(u) << " and " << formatShape(w);
  }
  return success();
}

LogicalResult MoeOp::verify() {
  ArrayRef<int64_t> x = shapeOf(getInput().getType());
  ArrayRef<int64_t> router = shapeOf(getRouter().getType());
  if (x.size() < 2) {
    return emitOpError("expects tokens [.., D], got ") << formatShape(x);
  }
  int64_t d = x.back();
  if (router.size() != 2 || router[1] != d) {
    return emitOpError("expects a router [E, ")
           << d << "], got " << formatShape(router);
  }
  int64_t e = router[0];
  if (static_cast<int64_t>(getExperts().size()) != 3 * e) {
    return emitOpError("expects 3 weights (gate, up, down) for each of the ")
           << e << " experts, got " << getExperts().size();
  }
  for (int64_t i = 0; i < e; ++i) {
    if (failed(checkExpert(*this, ("expert " + Twine(i)).str(),
                           getExpertGate(i), getExpertUp(i), getExpertDown(i),
                           d))) {
      return failure();
    }
  }
  if (!getShared().empty() &&
      (getShared().size() != 3 ||
       failed(checkExpert(*this, "shared expert", getShared()[0],
                          getShared()[1], getShared()[2], d)))) {
    return getShared().size() == 3
               ? failure()
               : emitOpError("expects 3 shared expert weights, got ")
                     << getShared().size();
  }
  if (Value bias = getSelectionBias();
      bias && shapeOf(bias.getType())[0] != e) {
    return emitOpError("expects a selection bias of shape [") << e << "]";
  }
  int64_t groups = getGroups(), topkGroups = getTopkGroups();
  if (groups < 1 || e % groups != 0 || topkGroups < 1 || topkGroups > groups) {
    return emitOpError("expects groups dividing the ")
           << e << " experts and topk_groups in [1, groups], got " << groups
           << " and " << topkGroups;
  }
  uint64_t topK = getTopK(), selectable = topkGroups * (e / groups);
  if (topK < 1 || topK > selectable) {
    return emitOpError("expects top_k in [1, ")
           << selectable << "], got " << topK;
  }
  if (shapeOf(getCounts().getType()) != ArrayRef<int64_t>{e}) {
    return emitOpError("expects counts of shape [")
           << e << "], got " << formatShape(shapeOf(getCounts().getType()));
  }
  if (!shapeOf(getAux().getType()).empty()) {
    return emitOpError("expects a rank-0 aux result, got ")
           << getAux().getType();
  }
  // The kernels apply both in f32 and the reference in f64: past f32's
  // range the outputs were inf in one and finite in the other.
  for (auto [name, value] :
       {std::pair{"scaling_factor", getScalingFactor()},
        std::pair{"aux_coefficient", getAuxCoefficient()}}) {
    if (!std::isfinite(static_cast<float>(value.convertToDouble()))) {
      return emitOpError("expects a finite ")
             << name << " within f32's range, got " << value.convertToDouble();
    }
  }
  if (getAuxLoss() == AuxLoss::Sequence && x.size() != 3) {
    return emitOpError("expects tokens [B, S, D] for the sequence loss, got ")
           << formatShape(x);
  }
  return checkResultType(*this, cast<RankedTensorType>(getInput().getType()));
}
