//===- BuiltinLayers.cpp - Built-ins that create their own weights --------===//
//
// `linear`, `layer_norm`, `rms_norm`, `embedding` and `patch_embed` are
// PyTorch modules: they create their parameters under the current scope
// with the names and layouts of the module's state dict (`weight` [out,
// in], `bias` [out], ...). Each weight can instead be passed as a tensor
// (weight tying), and `bias = false` leaves the bias out.
//
//===----------------------------------------------------------------------===//

#include "frontends/kdl/Builtins.h"
#include "frontends/kdl/ModelElaborator.h"

using namespace kiln;
using namespace kiln::kdl;
using namespace mlir;

/// The shape of a tensor value.
static ArrayRef<int64_t> shapeOf(Value value) {
  return llvm::cast<RankedTensorType>(value.getType()).getShape();
}

/// Argument `name` of a layer: absent or `true` creates the parameter
/// `name` of `shape` (when `createByDefault`), `false` gives a null value,
/// a tensor is used as it is.
static FailureOr<Value> layerWeight(BuiltinCall &call, StringRef name,
                                    ArrayRef<int64_t> shape,
                                    bool createByDefault = true) {
  const Datum *given = call.get(name);
  if (given && given->is(Datum::Kind::Tensor)) {
    FailureOr<Value> tensor = call.floatTensor(name);
    // Checked here so that the message names the argument, not the op.
    if (succeeded(tensor) && shapeOf(*tensor) != shape) {
      auto expected =
          RankedTensorType::get(shape, Float32Type::get(tensor->getContext()));
      return call.emitError(name)
             << "argument '" << name << "' of '" << call.getName() << "' is "
             << formatTensorType(tensor->getType()) << ", expected "
             << formatTensorType(expected);
    }
    return tensor;
  }
  if (given && !given->is(Datum::Kind::Bool)) {
    return call.emitError(name)
           << "argument '" << name << "' of '" << call.getName()
           << "' must be true, false or a tensor, got " << given->describe();
  }
  bool create = given ? given->boolValue : createByDefault;
  if (!create) {
    return Value();
  }
  return call.param(name, shape);
}

/// Checks that size argument `param`, when given next to a weight tensor,
/// agrees with dimension `axis` of that weight: `linear(x, 4, weight = w)`
/// with `w` of 8 rows used to build an 8-wide layer without a word.
static LogicalResult checkGivenSize(BuiltinCall &call, StringRef param,
                                    Value weight, size_t axis) {
  if (!call.has(param)) {
    return success();
  }
  FailureOr<int64_t> size = call.integer(param);
  if (failed(size)) {
    return failure();
  }
  ArrayRef<int64_t> shape = shapeOf(weight);
  if (axis < shape.size() && shape[axis] == *size) {
    return success();
  }
  InFlightDiagnostic diag =
      call.emitError(param)
      << "argument '" << param << "' of '" << call.getName() << "' is " << *size
      << ", but the weight given is " << formatTensorType(weight.getType());
  if (axis < shape.size()) {
    diag << ", whose dimension " << axis << " is " << shape[axis];
  }
  return diag << "; leave '" << param << "' out or make them agree";
}

/// A layer's weight whose dimension 0 is the layer's size, argument
/// `sizeParam` (linear's `out`, patch_embed's `dim`): a tensor given as
/// `weight`, whose dimension 0 is then the size (checked against
/// `sizeParam` when that is given too), or the parameter created at
/// `sizeParam` by `rest`, the weight's other dimensions.
struct SizedWeight {
  Value weight;
  int64_t size;
};
static FailureOr<SizedWeight>
sizedWeight(BuiltinCall &call, StringRef sizeParam, ArrayRef<int64_t> rest) {
  if (const Datum *given = call.get("weight");
      given && given->is(Datum::Kind::Tensor)) {
    FailureOr<Value> tensor = call.floatTensor("weight");
    if (failed(tensor) || failed(checkGivenSize(call, sizeParam, *tensor, 0))) {
      return failure();
    }
    ArrayRef<int64_t> shape = shapeOf(*tensor);
    return SizedWeight{*tensor, shape.empty() ? 0 : shape.front()};
  }
  FailureOr<int64_t> size = call.integer(sizeParam);
  if (failed(size)) {
    return failure();
  }
  SmallVector<int64_t> shape{*size};
  llvm::append_range(shape, rest);
  FailureOr<Value> created = layerWeight(call, "weight", shape);
  if (failed(created)) {
    return failure();
  }
  if (!*created) {
    return call.emitError("weight")
           << "'" << call.getName() << "' needs a weight";
  }
  return SizedWeight{*created, *size};
}

/// The size of the last dimension of `x`, which must have rank >= 1.
static FailureOr<int64_t> featureSize(BuiltinCall &call, Value x,
                                      StringRef param) {
  ArrayRef<int64_t> shape = shapeOf(x);
  if (shape.empty()) {
    return call.emitError(param)
           << "'" << call.getName() << "' needs a tensor of rank >= 1, got "
           << formatTensorType(x.getType());
  }
  return shape.back();
}

static FailureOr<Datum> buildLinear(BuiltinCall &call) {
  FailureOr<Value> x = call.floatTensor("x");
  if (failed(x)) {
    return failure();
  }
  FailureOr<int64_t> in = featureSize(call, *x, "x");
  if (failed(in)) {
    return failure();
  }
  FailureOr<SizedWeight> weight = sizedWeight(call, "out", {*in});
  if (failed(weight)) {
    return failure();
  }
  FailureOr<Value> bias = layerWeight(call, "bias", {weight->size});
  if (failed(bias)) {
    return failure();
  }
  FailureOr<Value> y = call.builder().linear(*x, weight->weight, *bias);
  if (failed(y)) {
    return failure();
  }
  return Datum::ofTensor(*y);
}

/// Reads `eps`, which must not be negative.
static FailureOr<double> epsilon(BuiltinCall &call, double defaultValue) {
  FailureOr<double> eps = call.number("eps", defaultValue);
  if (succeeded(eps) && *eps < 0) {
    return call.emitError("eps") << "'eps' cannot be negative, got " << *eps;
  }
  return eps;
}

static FailureOr<Datum> buildLayerNorm(BuiltinCall &call) {
  FailureOr<Value> x = call.floatTensor("x");
  if (failed(x)) {
    return failure();
  }
  FailureOr<int64_t> size = featureSize(call, *x, "x");
  if (failed(size)) {
    return failure();
  }
  // torch.nn.LayerNorm's default.
  FailureOr<double> eps = epsilon(call, 1e-5);
  if (failed(eps)) {
    return failure();
  }
  FailureOr<Value> scale = layerWeight(call, "weight", {*size});
  if (failed(scale)) {
    return failure();
  }
  FailureOr<Value> bias = layerWeight(call, "bias", {*size});
  if (failed(bias)) {
    return failure();
  }
  FailureOr<Value> y = call.builder().layerNorm(*x, *scale, *bias, *eps);
  if (failed(y)) {
    return failure();
  }
  return Datum::ofTensor(*y);
}

static FailureOr<Datum> buildRmsNorm(BuiltinCall &call) {
  FailureOr<Value> x = call.floatTensor("x");
  if (failed(x)) {
    return failure();
  }
  FailureOr<int64_t> size = featureSize(call, *x, "x");
  if (failed(size)) {
    return failure();
  }
  // Hugging Face's LlamaRMSNorm default.
  FailureOr<double> eps = epsilon(call, 1e-6);
  if (failed(eps)) {
    return failure();
  }
  FailureOr<Value> scale = layerWeight(call, "weight", {*size});
  if (failed(scale)) {
    return failure();
  }
  FailureOr<Value> y = call.builder().rmsNorm(*x, *scale, *eps);
  if (failed(y)) {
    return failure();
  }
  return Datum::ofTensor(*y);
}

static FailureOr<Datum> buildEmbedding(BuiltinCall &call) {
  FailureOr<Value> ids = call.tensor("ids");
  if (failed(ids)) {
    return failure();
  }
  if (llvm::cast<RankedTensorType>(ids->getType()).getElementType().isF32()) {
    return call.emitError("ids")
           << "'embedding' needs i32 or i64 token ids, got "
           << formatTensorType(ids->getType());
  }
  Value table;
  if (const Datum *given = call.get("weight");
      given && given->is(Datum::Kind::Tensor)) {
    FailureOr<Value> tensor = call.tensor("weight");
    if (failed(tensor) || failed(checkGivenSize(call, "vocab", *tensor, 0)) ||
        failed(checkGivenSize(call, "dim", *tensor, 1))) {
      return failure();
    }
    table = *tensor;
  } else {
    FailureOr<int64_t> vocab = call.integer("vocab");
    if (failed(vocab)) {
      return failure();
    }
    FailureOr<int64_t> dim = call.integer("dim");
    if (failed(dim)) {
      return failure();
    }
    FailureOr<Value> created = layerWeight(call, "weight", {*vocab, *dim});
    if (failed(created)) {
      return failure();
    }
    if (!*created) {
      return call.emitError("weight") << "'embedding' needs a weight";
    }
    table = *created;
  }
  FailureOr<Value> y = call.builder().gather(table, *ids, /*axis=*/0);
  if (failed(y)) {
    return failure();
  }
  return Datum::ofTensor(*y);
}

static FailureOr<Datum> buildPatchEmbed(BuiltinCall &call) {
  FailureOr<Value> pixels = call.floatTensor("pixels");
  if (failed(pixels)) {
    return failure();
  }
  ArrayRef<int64_t> shape = shapeOf(*pixels);
  if (shape.size() != 4) {
    return call.emitError("pixels")
           << "'patch_embed' needs pixels [B, C, H, W], got "
           << formatTensorType(pixels->getType());
  }
  FailureOr<int64_t> patch = call.integer("patch");
  if (failed(patch)) {
    return failure();
  }
  if (*patch <= 0) {
    return call.emitError("patch")
           << "'patch' must be positive, got " << *patch;
  }
  if (shape[2] % *patch != 0 || shape[3] % *patch != 0) {
    return call.emitError("patch")
           << "'patch' " << *patch << " must divide the image " << shape[2]
           << "x" << shape[3];
  }
  FailureOr<SizedWeight> weight =
      sizedWeight(call, "dim", {shape[1], *patch, *patch});
  if (failed(weight)) {
    return failure();
  }
  FailureOr<Value> bias = layerWeight(call, "bias", {weight->size});
  if (failed(bias)) {
    return failure();
  }
  FailureOr<Value> y =
      call.builder().patchEmbed(*pixels, weight->weight, *bias, *patch);
  if (failed(y)) {
    return failure();
  }
  return Datum::ofTensor(*y);
}

void kiln::kdl::addLayerBuiltins(std::vector<Builtin> &table) {
  addBuiltin(table, "linear", "x out | bias weight", buildLinear);
  addBuiltin(table, "layer_norm", "x | eps weight bias", buildLayerNorm);
  addBuiltin(table, "rms_norm", "x | eps weight", buildRmsNorm);
  addBuiltin(table, "embedding", "ids vocab dim | weight", buildEmbedding);
  addBuiltin(table, "patch_embed", "pixels dim | patch bias weight",
             buildPatchEmbed);
}
