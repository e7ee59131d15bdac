//===- ModelBuilder.cpp - Declaring models in C++ -------------------------===//
//
// Ops whose result type has an `inferResultType` are typed by it, with its
// message prefixed by the op's name. The others are created with the type
// their semantics give and then verified on the spot: the verifier's message
// is the error, at the same location, and the op is erased again.
//
//===----------------------------------------------------------------------===//

#include "frontends/builder/ModelBuilder.h"
#include "dialects/Kiln/IR/ShapeChecks.h"

#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace kiln {

ModelBuilder::ModelBuilder(MLIRContext *context, StringRef name, Location loc)
    : context(context), location(loc), module(ModuleOp::create(loc)),
      builder(context) {
  context->getOrLoadDialect<KilnDialect>();
  context->getOrLoadDialect<func::FuncDialect>();
  builder.setInsertionPointToEnd(module->getBody());
  function =
      func::FuncOp::create(builder, loc, name, builder.getFunctionType({}, {}));
  builder.setInsertionPointToStart(function.addEntryBlock());
}

UnitAttr ModelBuilder::unit(bool set) {
  return set ? builder.getUnitAttr() : UnitAttr();
}

InFlightDiagnostic ModelBuilder::error(StringRef opName) {
  InFlightDiagnostic diag = emitError(location);
  diag << opName << ": ";
  return diag;
}

template <typename OpTy, typename... Args>
FailureOr<OpTy> ModelBuilder::createVerified(Args &&...args) {
  auto op = OpTy::create(builder, location, std::forward<Args>(args)...);
  if (failed(verify(op, /*verifyRecursively=*/false))) {
    op->erase();
    return failure();
  }
  return op;
}

//===----------------------------------------------------------------------===//
// Scopes, inputs, parameters, outputs
//===----------------------------------------------------------------------===//

void ModelBuilder::pushScope(StringRef prefix) {
  scopes.push_back(prefix.str());
}

void ModelBuilder::popScope() {
  if (!scopes.empty()) {
    scopes.pop_back();
  }
}

std::string ModelBuilder::scopedName(StringRef name) const {
  std::string full;
  for (const std::string &scope : scopes) {
    if (scope.empty()) {
      continue;
    }
    full += full.empty() ? scope : "." + scope;
  }
  if (!name.empty()) {
    full += full.empty() ? name.str() : "." + name.str();
  }
  return full;
}

FailureOr<Value> ModelBuilder::input(StringRef name, ArrayRef<int64_t> shape,
                                     Type elementType) {
  if (!elementType) {
    elementType = builder.getF32Type();
  }
  Block &entry = function.getBody().front();
  for (BlockArgument arg : entry.getArguments()) {
    auto existing =
        function.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "kiln.name");
    if (existing && existing.getValue() == name) {
      return error("input") << "'" << name << "' is declared twice";
    }
  }
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; })) {
    return error("input") << "'" << name << "' has a negative dimension in "
                          << formatShape(shape);
  }
  auto type = RankedTensorType::get(shape, elementType);
  unsigned index = entry.getNumArguments();
  auto attrs = builder.getDictionaryAttr(
      builder.getNamedAttr("kiln.name", builder.getStringAttr(name)));
  if (failed(function.insertArgument(index, type, attrs, location))) {
    return error("input") << "cannot add '" << name << "'";
  }
  return Value(entry.getArgument(index));
}

FailureOr<Value> ModelBuilder::param(StringRef name, ArrayRef<int64_t> shape) {
  std::string full = scopedName(name);
  if (full.empty()) {
    return error("param") << "a parameter needs a name";
  }
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; })) {
    return error("param") << "'" << full << "' has a negative dimension in "
                          << formatShape(shape);
  }
  auto it = params.find(full);
  if (it != params.end()) {
    ArrayRef<int64_t> existing = shapeOf(it->second.getType());
    if (existing != shape) {
      InFlightDiagnostic diag = error("param")
                                << "'" << full << "' is declared with shape "
                                << formatShape(shape) << " and, before, "
                                << formatShape(existing);
      diag.attachNote(it->second.getLoc()) << "first declared here";
      return diag;
    }
    return it->second;
  }
  // Parameters go first in the body so that every later op can use them.
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&function.getBody().front());
  auto op = ParamOp::create(builder, location,
                            RankedTensorType::get(shape, builder.getF32Type()),
                            builder.getStringAttr(full),
                            /*permutation=*/nullptr, /*panel=*/nullptr,
                            /*checkpoint_shape=*/nullptr,
                            /*panel_columns=*/nullptr);
  params[full] = op.getResult();
  return op.getResult();
}

LogicalResult ModelBuilder::output(StringRef name, Value value) {
  for (auto &[existing, _] : outputs) {
    if (existing == name) {
      return error("output") << "'" << name << "' is declared twice";
    }
  }
  outputs.emplace_back(name.str(), value);
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise ops, contractions, norms
//===----------------------------------------------------------------------===//

Value ModelBuilder::constant(double value) {
  auto type = RankedTensorType::get({}, builder.getF32Type());
  return ConstantOp::create(
      builder, location, type,
      DenseElementsAttr::get(type, static_cast<float>(value)));
}

FailureOr<Value> ModelBuilder::constant(ArrayRef<float> values,
                                        ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, builder.getF32Type());
  if (type.getNumElements() != static_cast<int64_t>(values.size())) {
    return error("constant")
           << formatShape(shape) << " needs " << type.getNumElements()
           << " values, got " << values.size();
  }
  return ConstantOp::create(builder, location, type,
                            DenseElementsAttr::get(type, values))
      .getResult();
}

FailureOr<Value> ModelBuilder::linear(Value input, Value weight, Value bias) {
  FailureOr<RankedTensorType> type = LinearOp::inferResultType(
      input.getType(), weight.getType(), bias ? bias.getType() : Type(),
      [&] { return error("linear"); });
  if (failed(type)) {
    return failure();
  }
  return LinearOp::create(builder, location, *type, input, weight, bias)
      .getResult();
}

FailureOr<Value> ModelBuilder::matmul(Value lhs, Value rhs, bool transposeLhs,
                                      bool transposeRhs) {
  FailureOr<RankedTensorType> type =
      MatmulOp::inferResultType(lhs.getType(), rhs.getType(), transposeLhs,
                                transposeRhs, [&] { return error("matmul"); });
  if (failed(type)) {
    return failure();
  }
  return MatmulOp::create(builder, location, *type, lhs, rhs, transposeLhs,
                          transposeRhs)
      .getResult();
}

/// Creates a broadcasting binary op `OpTy` named `name` in errors.
template <typename OpTy>
static FailureOr<Value> binary(OpBuilder &builder, Location loc, Value lhs,
                               Value rhs, EmitErrorFn error) {
  FailureOr<RankedTensorType> type =
      OpTy::inferResultType(lhs.getType(), rhs.getType(), error);
  if (failed(type)) {
    return failure();
  }
  return OpTy::create(builder, loc, *type, lhs, rhs).getResult();
}

#define KILN_BUILDER_BINARY(method, OpTy, name)                                \
  FailureOr<Value> ModelBuilder::method(Value lhs, Value rhs) {                \
    return binary<OpTy>(builder, location, lhs, rhs,                           \
                        [&] { return error(name); });                          \
  }
KILN_BUILDER_BINARY(add, AddOp, "add")
KILN_BUILDER_BINARY(sub, SubOp, "sub")
KILN_BUILDER_BINARY(mul, MulOp, "mul")
KILN_BUILDER_BINARY(div, DivOp, "div")
KILN_BUILDER_BINARY(maximum, MaximumOp, "maximum")
#undef KILN_BUILDER_BINARY

Value ModelBuilder::gelu(Value input, GeluApproximation approximation) {
  return GeluOp::create(builder, location, input, approximation);
}

#define KILN_BUILDER_UNARY(method, OpTy)                                       \
  Value ModelBuilder::method(Value input) {                                    \
    return OpTy::create(builder, location, input);                             \
  }
KILN_BUILDER_UNARY(silu, SiluOp)
KILN_BUILDER_UNARY(sigmoid, SigmoidOp)
KILN_BUILDER_UNARY(tanh, TanhOp)
KILN_BUILDER_UNARY(exp, ExpOp)
KILN_BUILDER_UNARY(rsqrt, RsqrtOp)
KILN_BUILDER_UNARY(sqrt, SqrtOp)
KILN_BUILDER_UNARY(neg, NegOp)
#undef KILN_BUILDER_UNARY

FailureOr<Value> ModelBuilder::softmax(Value input, int64_t axis,
                                       bool accumulateF32) {
  FailureOr<SoftmaxOp> op =
      createVerified<SoftmaxOp>(input.getType(), input, axis, accumulateF32);
  return failed(op) ? FailureOr<Value>(failure()) : op->getResult();
}

FailureOr<Value> ModelBuilder::layerNorm(Value input, Value scale, Value bias,
                                         double epsilon) {
  FailureOr<LayerNormOp> op = createVerified<LayerNormOp>(
      input.getType(), input, scale, bias, builder.getF64FloatAttr(epsilon));
  return failed(op) ? FailureOr<Value>(failure()) : op->getResult();
}

FailureOr<Value> ModelBuilder::rmsNorm(Value input, Value scale,
                                       double epsilon) {
  FailureOr<RmsNormOp> op = createVerified<RmsNormOp>(
      input.getType(), input, scale, builder.getF64FloatAttr(epsilon));
  return failed(op) ? FailureOr<Value>(failure()) : op->getResult();
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

static Type elementTypeOf(Value value) {
  return cast<ShapedType>(value.getType()).getElementType();
}

FailureOr<Value> ModelBuilder::reshape(Value input, ArrayRef<int64_t> shape) {
  FailureOr<ReshapeOp> op = createVerified<ReshapeOp>(
      RankedTensorType::get(shape, elementTypeOf(input)), input);
  return failed(op) ? FailureOr<Value>(failure()) : op->getResult();
}

FailureOr<Value> ModelBuilder::broadcast(Value input, ArrayRef<int64_t> shape) {
  FailureOr<BroadcastOp> op = createVerified<BroadcastOp>(
      RankedTensorType::get(shape, elementTypeOf(input)), input);
  return failed(op) ? FailureOr<Value>(failure()) : op->getResult();
}

FailureOr<Value> ModelBuilder::transpose(Value input,
                                         ArrayRef<int64_t> permutation) {
  FailureOr<RankedTensorType> type = TransposeOp::inferResultType(
      input.getType(), permutation, [&] { return error("transpose"); });
  if (failed(type)) {
    return failure();
  }
  return TransposeOp::create(builder, location, *type, input,
                             builder.getDenseI64ArrayAttr(permutation))
      .getResult();
}

FailureOr<Value> ModelBuilder::concat(ValueRange inputs, int64_t axis) {
  FailureOr<RankedTensorType> type = ConcatOp::inferResultType(
      inputs.getTypes(), axis, [&] { return error("concat"); });
  if (failed(type)) {
    return failure();
  }
  return ConcatOp::create(builder, location, *type, inputs, axis).getResult();
}

FailureOr<Value> ModelBuilder::slice(Value input, ArrayRef<int64_t> offsets,
                                     ArrayRef<int64_t> sizes,
                                     ArrayRef<int64_t> strides) {
  SmallVector<int64_t> unit(sizes.size(), 1);
  if (strides.empty()) {
    strides = unit;
  }
  FailureOr<SliceOp> op = createVerified<SliceOp>(
      RankedTensorType::get(sizes, elementTypeOf(input)), input,
      builder.getDenseI64ArrayAttr(offsets),
      builder.getDenseI64ArrayAttr(sizes),
      builder.getDenseI64ArrayAttr(strides));
  return failed(op) ? FailureOr<Value>(failure()) : op->getResult();
}

FailureOr<Value> ModelBuilder::gather(Value table, Value indices,
                                      int64_t axis) {
  ArrayRef<int64_t> tableShape = shapeOf(table.getType());
  std::optional<int64_t> dim = normalizeAxis(axis, tableShape.size());
  if (!dim) {
    return error("gather") << "expects an axis in ["
                           << -int64_t(tableShape.size()) << ", "
                           << tableShape.size() << "), got " << axis;
  }
  if (!isa<IntegerType>(elementTypeOf(indices))) {
    return error("gather") << "expects integer indices, got "
                           << indices.getType();
  }
  SmallVector<int64_t> shape(tableShape.take_front(*dim));
  llvm::append_range(shape, shapeOf(indices.getType()));
  llvm::append_range(shape, tableShape.drop_front(*dim + 1));
  FailureOr<GatherOp> op = createVerified<GatherOp>(
      RankedTensorType::get(shape, elementTypeOf(table)), table, indices, axis);
  return failed(op) ? FailureOr<Value>(failure()) : op->getResult();
}

FailureOr<Value> ModelBuilder::reduce(ReduceKind kind, Value input,
                                      ArrayRef<int64_t> axes, bool keepDims) {
  FailureOr<RankedTensorType> type =
      ReduceOp::inferResultType(input.getType(), axes, keepDims, [&] {
        return error(stringifyReduceKind(kind));
      });
  if (failed(type)) {
    return failure();
  }
  return ReduceOp::create(builder, location, *type,
                          ReduceKindAttr::get(context, kind), input,
                          builder.getDenseI64ArrayAttr(axes), unit(keepDims))
      .getResult();
}

FailureOr<std::pair<Value, Value>> ModelBuilder::topK(Value input, int64_t k) {
  SmallVector<int64_t> shape(shapeOf(input.getType()));
  if (shape.empty()) {
    return error("top_k") << "expects an input of rank >= 1, got rank 0";
  }
  shape.back() = k;
  FailureOr<TopKOp> op = createVerified<TopKOp>(
      RankedTensorType::get(shape, elementTypeOf(input)),
      RankedTensorType::get(shape, builder.getI64Type()), input, k);
  if (failed(op)) {
    return failure();
  }
  return std::pair<Value, Value>(op->getValues(), op->getIndices());
}

//===----------------------------------------------------------------------===//
// Positions, patches, attention, MoE
//===----------------------------------------------------------------------===//

FailureOr<Value> ModelBuilder::rope(Value input, const RopeOptions &options) {
  auto f64 = [&](std::optional<double> v) -> FloatAttr {
    return v ? builder.getF64FloatAttr(*v) : FloatAttr();
  };
  const std::optional<Llama3RopeScaling> &llama3 = options.llama3;
  FailureOr<RopeOp> op = createVerified<RopeOp>(
      input.getType(), input, options.positions,
      builder.getI64IntegerAttr(options.headDim),
      builder.getI64IntegerAttr(options.rotaryDim.value_or(options.headDim)),
      builder.getF64FloatAttr(options.theta),
      RopeStyleAttr::get(context, options.style),
      f64(llama3 ? std::optional<double>(llama3->factor) : std::nullopt),
      f64(llama3 ? std::optional<double>(llama3->lowFreqFactor) : std::nullopt),
      f64(llama3 ? std::optional<double>(llama3->highFreqFactor)
                 : std::nullopt),
      llama3 ? builder.getI64IntegerAttr(llama3->originalMaxPosition)
             : IntegerAttr());
  return failed(op) ? FailureOr<Value>(failure()) : op->getResult();
}

FailureOr<Value> ModelBuilder::patchEmbed(Value pixels, Value weight,
                                          Value bias, int64_t patchSize) {
  ArrayRef<int64_t> image = shapeOf(pixels.getType());
  ArrayRef<int64_t> w = shapeOf(weight.getType());
  if (image.size() != 4 || w.empty() || patchSize < 1) {
    return error("patch_embed")
           << "expects pixels [B, C, H, W] and a weight [D, C, P, P], got "
           << formatShape(image) << " and " << formatShape(w);
  }
  int64_t patches = (image[2] / patchSize) * (image[3] / patchSize);
  FailureOr<PatchEmbedOp> op = createVerified<PatchEmbedOp>(
      RankedTensorType::get({image[0], patches, w[0]}, elementTypeOf(pixels)),
      pixels, weight, bias, patchSize);
  return failed(op) ? FailureOr<Value>(failure()) : op->getResult();
}

FailureOr<Value> ModelBuilder::attention(Value query, Value key, Value value,
                                         const AttentionOptions &options) {
  FailureOr<AttentionOp> op = createVerified<AttentionOp>(
      query.getType(), query, key, value, options.maskOperand,
      builder.getI64IntegerAttr(options.heads),
      options.kvHeads ? builder.getI64IntegerAttr(*options.kvHeads)
                      : IntegerAttr(),
      MaskKindAttr::get(context, options.mask),
      options.scale ? builder.getF64FloatAttr(*options.scale) : FloatAttr(),
      ScalePlacementAttr::get(context, options.scaleOn),
      unit(options.softmaxF32), EmptyRowsAttr::get(context, options.emptyRows));
  return failed(op) ? FailureOr<Value>(failure()) : op->getResult();
}

FailureOr<MoeResult> ModelBuilder::moe(Value input, Value router,
                                       ArrayRef<Value> experts,
                                       ArrayRef<Value> shared,
                                       const MoeOptions &options) {
  ArrayRef<int64_t> routerShape = shapeOf(router.getType());
  if (routerShape.size() != 2) {
    return error("moe") << "expects a router [E, D], got "
                        << formatShape(routerShape);
  }
  Type counts = RankedTensorType::get({routerShape[0]}, builder.getI64Type());
  Type aux = RankedTensorType::get({}, builder.getF32Type());
  FailureOr<MoeOp> op = createVerified<MoeOp>(
      input.getType(), counts, aux, input, router, ValueRange(experts),
      ValueRange(shared), options.selectionBias,
      builder.getI64IntegerAttr(options.topK),
      MoeScoringAttr::get(context, options.scoring),
      MoeOrderAttr::get(context, options.order), unit(options.normalize),
      builder.getF64FloatAttr(options.scalingFactor),
      builder.getI64IntegerAttr(options.groups),
      builder.getI64IntegerAttr(options.topkGroups),
      GroupScoreAttr::get(context, options.groupScore),
      AuxLossAttr::get(context, options.auxLoss),
      builder.getF64FloatAttr(options.auxCoefficient));
  if (failed(op)) {
    return failure();
  }
  return MoeResult{op->getResult(), op->getCounts(), op->getAux()};
}

//===----------------------------------------------------------------------===//
// Finishing
//===----------------------------------------------------------------------===//

FailureOr<OwningOpRef<ModuleOp>> ModelBuilder::finish() {
  if (outputs.empty()) {
    return error("model") << "'" << function.getSymName() << "' has no outputs";
  }
  SmallVector<Value> values;
  SmallVector<Type> types;
  for (auto &[name, value] : outputs) {
    values.push_back(value);
    types.push_back(value.getType());
  }
  func::ReturnOp::create(builder, location, values);
  SmallVector<Type> inputs(function.getBody().front().getArgumentTypes());
  function.setFunctionType(builder.getFunctionType(inputs, types));
  for (auto [i, output] : llvm::enumerate(outputs)) {
    function.setResultAttr(i, "kiln.name", builder.getStringAttr(output.first));
  }
  if (failed(verify(*module))) {
    return failure();
  }
  return std::move(module);
}

} // namespace kiln
