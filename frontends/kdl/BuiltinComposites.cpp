//===- BuiltinComposites.cpp - attention, rope and moe --------------------===//
//
// The ops the compiler keeps whole. `moe` also creates its router and
// expert weights, named as checkpoints name them: `<router>.weight`,
// `<experts>.<e>.<gate|up|down name>.weight` and
// `<shared>.<gate|up|down name>.weight`, where the three per-expert names
// are Mixtral's `w1 w3 w2` or the `gate_proj up_proj down_proj` of most
// other models.
//
//===----------------------------------------------------------------------===//

#include "frontends/kdl/Builtins.h"
#include "frontends/kdl/ModelElaborator.h"

#include "llvm/ADT/ScopeExit.h"

using namespace kiln;
using namespace kiln::kdl;
using namespace mlir;

/// Reads a positive int argument.
static FailureOr<int64_t> positive(BuiltinCall &call, StringRef param,
                                   std::optional<int64_t> defaultValue = {}) {
  FailureOr<int64_t> value = call.integer(param, defaultValue);
  if (succeeded(value) && *value <= 0) {
    return call.emitError(param)
           << "'" << param << "' must be positive, got " << *value;
  }
  return value;
}

static FailureOr<Datum> buildAttention(BuiltinCall &call) {
  AttentionOptions options;
  FailureOr<Value> q = call.floatTensor("q");
  if (failed(q)) {
    return failure();
  }
  FailureOr<Value> k = call.floatTensor("k");
  if (failed(k)) {
    return failure();
  }
  FailureOr<Value> v = call.floatTensor("v");
  if (failed(v)) {
    return failure();
  }
  FailureOr<int64_t> heads = positive(call, "heads");
  if (failed(heads)) {
    return failure();
  }
  options.heads = *heads;
  if (call.has("kv_heads")) {
    FailureOr<int64_t> kvHeads = positive(call, "kv_heads");
    if (failed(kvHeads)) {
      return failure();
    }
    options.kvHeads = *kvHeads;
  }
  FailureOr<MaskKind> mask = call.enumeration("mask", options.mask);
  if (failed(mask)) {
    return failure();
  }
  options.mask = *mask;
  bool needsInput = *mask == MaskKind::KeyPadding ||
                    *mask == MaskKind::RowSpans || *mask == MaskKind::Bias;
  if (needsInput && !call.has("mask_input")) {
    return call.emitError("mask") << "'mask = " << stringifyMaskKind(*mask)
                                  << "' needs the tensor 'mask_input'";
  }
  if (!needsInput && call.has("mask_input")) {
    return call.emitError("mask_input")
           << "'mask_input' is given, but 'mask = " << stringifyMaskKind(*mask)
           << "' takes none (use key_padding, row_spans or bias)";
  }
  FailureOr<Value> maskInput = call.tensor("mask_input", /*optional=*/true);
  if (failed(maskInput)) {
    return failure();
  }
  options.maskOperand = *maskInput;
  if (call.has("scale")) {
    FailureOr<double> scale = call.number("scale");
    if (failed(scale)) {
      return failure();
    }
    options.scale = *scale;
  }
  FailureOr<ScalePlacement> scaleOn =
      call.enumeration("scale_on", options.scaleOn);
  if (failed(scaleOn)) {
    return failure();
  }
  FailureOr<bool> softmaxF32 = call.flag("softmax_f32", false);
  if (failed(softmaxF32)) {
    return failure();
  }
  FailureOr<EmptyRows> emptyRows =
      call.enumeration("empty_rows", options.emptyRows);
  if (failed(emptyRows)) {
    return failure();
  }
  options.scaleOn = *scaleOn;
  options.softmaxF32 = *softmaxF32;
  options.emptyRows = *emptyRows;
  FailureOr<Value> y = call.builder().attention(*q, *k, *v, options);
  if (failed(y)) {
    return failure();
  }
  return Datum::ofTensor(*y);
}

static FailureOr<Datum> buildRope(BuiltinCall &call) {
  RopeOptions options;
  FailureOr<Value> x = call.floatTensor("x");
  if (failed(x)) {
    return failure();
  }
  FailureOr<int64_t> headDim = positive(call, "head_dim");
  if (failed(headDim)) {
    return failure();
  }
  options.headDim = *headDim;
  if (call.has("rotary_dim")) {
    FailureOr<int64_t> rotaryDim = positive(call, "rotary_dim");
    if (failed(rotaryDim)) {
      return failure();
    }
    options.rotaryDim = *rotaryDim;
  }
  FailureOr<double> theta = call.number("theta", 10000.0);
  if (failed(theta)) {
    return failure();
  }
  options.theta = *theta;
  FailureOr<RopeStyle> style = call.enumeration("style", RopeStyle::RotateHalf);
  if (failed(style)) {
    return failure();
  }
  options.style = *style;
  FailureOr<Value> positions = call.tensor("positions", /*optional=*/true);
  if (failed(positions)) {
    return failure();
  }
  if (*positions &&
      !llvm::isa<IntegerType>(llvm::cast<RankedTensorType>(positions->getType())
                                  .getElementType())) {
    return call.emitError("positions")
           << "argument 'positions' of 'rope' must be an i32 or i64 tensor, "
              "got "
           << formatTensorType(positions->getType());
  }
  options.positions = *positions;
  if (call.has("llama3_factor") || call.has("llama3_low_freq_factor") ||
      call.has("llama3_high_freq_factor") ||
      call.has("llama3_original_max_position")) {
    Llama3RopeScaling scaling;
    FailureOr<double> factor = call.number("llama3_factor", scaling.factor);
    if (failed(factor)) {
      return failure();
    }
    FailureOr<double> low =
        call.number("llama3_low_freq_factor", scaling.lowFreqFactor);
    if (failed(low)) {
      return failure();
    }
    FailureOr<double> high =
        call.number("llama3_high_freq_factor", scaling.highFreqFactor);
    if (failed(high)) {
      return failure();
    }
    FailureOr<int64_t> original = positive(call, "llama3_original_max_position",
                                           scaling.originalMaxPosition);
    if (failed(original)) {
      return failure();
    }
    scaling.factor = *factor;
    scaling.lowFreqFactor = *low;
    scaling.highFreqFactor = *high;
    scaling.originalMaxPosition = *original;
    options.llama3 = scaling;
  }
  FailureOr<Value> y = call.builder().rope(*x, options);
  if (failed(y)) {
    return failure();
  }
  return Datum::ofTensor(*y);
}

//===----------------------------------------------------------------------===//
// moe
//===----------------------------------------------------------------------===//

namespace {
/// How the weights of one `moe` call are named.
struct ExpertNames {
  std::string router = "gate", experts = "experts", shared = "shared_experts";
  std::string parts[3] = {"gate_proj", "up_proj", "down_proj"};
};
} // namespace

/// Reads the naming arguments of `moe`.
static LogicalResult readExpertNames(BuiltinCall &call, ExpertNames &names) {
  ModelElaborator &elaborator = call.getElaborator();
  for (auto [param, target] :
       {std::pair<StringRef, std::string *>("router_name", &names.router),
        {"experts_name", &names.experts},
        {"shared_name", &names.shared}}) {
    FailureOr<std::string> text = call.string(param, StringRef(*target));
    if (failed(text) ||
        failed(elaborator.checkName(*text, call.locOf(param)))) {
      return failure();
    }
    *target = *text;
  }
  const Datum *parts = call.get("expert_names");
  if (!parts) {
    return success();
  }
  bool valid = parts->is(Datum::Kind::List) && parts->elements.size() == 3;
  for (const Datum &part : valid ? parts->elements : std::vector<Datum>()) {
    valid = valid && part.is(Datum::Kind::String) && !part.text.empty();
  }
  if (!valid) {
    return call.emitError("expert_names")
           << "'expert_names' must list the names of the gate, up and down "
              "projections, as in [\"w1\", \"w3\", \"w2\"]; got "
           << parts->describe();
  }
  for (int i = 0; i < 3; ++i) {
    if (failed(elaborator.checkName(parts->elements[i].text,
                                    call.locOf("expert_names")))) {
      return failure();
    }
    names.parts[i] = parts->elements[i].text;
  }
  return success();
}

/// Creates the gate, up and down weights of one expert under `scope`.
static LogicalResult createExpert(BuiltinCall &call, const ExpertNames &names,
                                  StringRef scope, int64_t model,
                                  int64_t hidden, SmallVectorImpl<Value> &out) {
  ModelBuilder &builder = call.builder();
  builder.pushScope(scope);
  llvm::scope_exit leave([&] { builder.popScope(); });
  SmallVector<int64_t> shapes[3] = {
      {hidden, model}, {hidden, model}, {model, hidden}};
  for (int i = 0; i < 3; ++i) {
    builder.pushScope(names.parts[i]);
    FailureOr<Value> weight = call.param("weight", shapes[i]);
    builder.popScope();
    if (failed(weight)) {
      return failure();
    }
    out.push_back(*weight);
  }
  return success();
}

/// Reads the routing options of `moe`.
static LogicalResult readMoeOptions(BuiltinCall &call, MoeOptions &options,
                                    bool &withCounts) {
  FailureOr<int64_t> topK = positive(call, "top_k", 2);
  if (failed(topK)) {
    return failure();
  }
  options.topK = *topK;
  FailureOr<MoeScoring> scoring =
      call.enumeration("scoring", MoeScoring::Softmax);
  if (failed(scoring)) {
    return failure();
  }
  FailureOr<MoeOrder> order =
      call.enumeration("order", MoeOrder::ScoreThenTopK);
  if (failed(order)) {
    return failure();
  }
  FailureOr<bool> normalize = call.flag("normalize", false);
  if (failed(normalize)) {
    return failure();
  }
  FailureOr<double> scaling = call.number("scaling_factor", 1.0);
  if (failed(scaling)) {
    return failure();
  }
  FailureOr<int64_t> groups = positive(call, "groups", 1);
  if (failed(groups)) {
    return failure();
  }
  FailureOr<int64_t> topkGroups = positive(call, "topk_groups", 1);
  if (failed(topkGroups)) {
    return failure();
  }
  FailureOr<GroupScore> groupScore =
      call.enumeration("group_score", GroupScore::Max);
  if (failed(groupScore)) {
    return failure();
  }
  FailureOr<AuxLoss> auxLoss = call.enumeration("aux_loss", AuxLoss::None);
  if (failed(auxLoss)) {
    return failure();
  }
  FailureOr<double> auxCoefficient = call.number("aux_coefficient", 1.0);
  if (failed(auxCoefficient)) {
    return failure();
  }
  FailureOr<bool> counts = call.flag("counts", false);
  if (failed(counts)) {
    return failure();
  }
  options.scoring = *scoring;
  options.order = *order;
  options.normalize = *normalize;
  options.scalingFactor = *scaling;
  options.groups = *groups;
  options.topkGroups = *topkGroups;
  options.groupScore = *groupScore;
  options.auxLoss = *auxLoss;
  options.auxCoefficient = *auxCoefficient;
  withCounts = *counts;
  return success();
}

static FailureOr<Datum> buildMoe(BuiltinCall &call) {
  FailureOr<Value> x = call.floatTensor("x");
  if (failed(x)) {
    return failure();
  }
  ArrayRef<int64_t> shape =
      llvm::cast<RankedTensorType>(x->getType()).getShape();
  if (shape.empty()) {
    return call.emitError("x") << "'moe' needs tokens [.., D], got "
                               << formatTensorType(x->getType());
  }
  int64_t model = shape.back();
  FailureOr<int64_t> experts = positive(call, "experts");
  if (failed(experts)) {
    return failure();
  }
  FailureOr<int64_t> hidden = positive(call, "hidden");
  if (failed(hidden)) {
    return failure();
  }
  FailureOr<int64_t> sharedHidden = call.integer("shared_hidden", 0);
  if (failed(sharedHidden)) {
    return failure();
  }
  MoeOptions options;
  ExpertNames names;
  bool withCounts = false;
  if (failed(readMoeOptions(call, options, withCounts)) ||
      failed(readExpertNames(call, names))) {
    return failure();
  }
  ModelBuilder &builder = call.builder();
  builder.pushScope(names.router);
  FailureOr<Value> router = call.param("weight", {*experts, model});
  builder.popScope();
  if (failed(router)) {
    return failure();
  }
  SmallVector<Value> expertWeights, sharedWeights;
  for (int64_t e = 0; e < *experts; ++e) {
    if (failed(createExpert(call, names,
                            names.experts + "." + std::to_string(e), model,
                            *hidden, expertWeights))) {
      return failure();
    }
  }
  if (*sharedHidden > 0 && failed(createExpert(call, names, names.shared, model,
                                               *sharedHidden, sharedWeights))) {
    return failure();
  }
  if (const Datum *bias = call.get("selection_bias")) {
    if (bias->is(Datum::Kind::Tensor)) {
      options.selectionBias = bias->tensor;
    } else if (!bias->is(Datum::Kind::Bool)) {
      return call.emitError("selection_bias")
             << "argument 'selection_bias' of 'moe' must be true, false or a "
                "tensor, got "
             << bias->describe();
    } else if (bias->boolValue) {
      builder.pushScope(names.router);
      FailureOr<Value> created =
          call.param("e_score_correction_bias", {*experts});
      builder.popScope();
      if (failed(created)) {
        return failure();
      }
      options.selectionBias = *created;
    }
  }
  FailureOr<MoeResult> result =
      call.builder().moe(*x, *router, expertWeights, sharedWeights, options);
  if (failed(result)) {
    return failure();
  }
  std::vector<Datum> results = {Datum::ofTensor(result->output)};
  // The op always computes both; the language returns what was asked for.
  if (withCounts) {
    results.push_back(Datum::ofTensor(result->counts));
  }
  if (options.auxLoss != AuxLoss::None) {
    results.push_back(Datum::ofTensor(result->aux));
  }
  if (results.size() == 1) {
    return std::move(results.front());
  }
  return Datum::ofTuple(std::move(results));
}

void kiln::kdl::addCompositeBuiltins(std::vector<Builtin> &table) {
  addBuiltin(table, "attention",
             "q k v | heads kv_heads mask* mask_input scale scale_on* "
             "softmax_f32 empty_rows*",
             buildAttention);
  addBuiltin(table, "rope",
             "x | head_dim rotary_dim theta style* positions llama3_factor "
             "llama3_low_freq_factor llama3_high_freq_factor "
             "llama3_original_max_position",
             buildRope);
  addBuiltin(table, "moe",
             "x | experts top_k hidden shared_hidden scoring* order* "
             "normalize scaling_factor groups topk_groups group_score* "
             "aux_loss* aux_coefficient counts selection_bias router_name "
             "experts_name shared_name expert_names",
             buildMoe);
}
