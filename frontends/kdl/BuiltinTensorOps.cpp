//===- BuiltinTensorOps.cpp - Built-ins that map to one tensor op ---------===//
//
// Elementwise functions, contractions, softmax, shape manipulation,
// reductions, top-k and a few introspection helpers (`dim`, `shape`,
// `rank`) that return ints for use in dimension arithmetic.
//
//===----------------------------------------------------------------------===//

#include "frontends/kdl/Builtins.h"
#include "frontends/kdl/ModelElaborator.h"

using namespace kiln;
using namespace kiln::kdl;
using namespace mlir;

/// A built-in's tensor result as a datum.
static FailureOr<Datum> result(FailureOr<Value> value) {
  if (failed(value)) {
    return failure();
  }
  return Datum::ofTensor(*value);
}

/// The shape of a tensor value.
static ArrayRef<int64_t> shapeOf(Value value) {
  return llvm::cast<RankedTensorType>(value.getType()).getShape();
}

/// The element type of a tensor value.
static Type elementTypeOf(Value value) {
  return llvm::cast<RankedTensorType>(value.getType()).getElementType();
}

/// `f(x)` for an elementwise op that cannot fail on an f32 tensor.
template <Value (ModelBuilder::*method)(Value)>
static FailureOr<Datum> buildUnary(BuiltinCall &call) {
  FailureOr<Value> x = call.floatTensor("x");
  if (failed(x)) {
    return failure();
  }
  return Datum::ofTensor((call.builder().*method)(*x));
}

/// `f(a, b)` for a broadcasting binary op.
template <FailureOr<Value> (ModelBuilder::*method)(Value, Value)>
static FailureOr<Datum> buildBinary(BuiltinCall &call) {
  FailureOr<Value> a = call.floatTensor("a");
  if (failed(a)) {
    return failure();
  }
  FailureOr<Value> b = call.floatTensor("b");
  if (failed(b)) {
    return failure();
  }
  return result((call.builder().*method)(*a, *b));
}

static FailureOr<Datum> buildGelu(BuiltinCall &call) {
  FailureOr<Value> x = call.floatTensor("x");
  if (failed(x)) {
    return failure();
  }
  FailureOr<GeluApproximation> approximation =
      call.enumeration("approximation", GeluApproximation::None);
  if (failed(approximation)) {
    return failure();
  }
  return Datum::ofTensor(call.builder().gelu(*x, *approximation));
}

static FailureOr<Datum> buildMatmul(BuiltinCall &call) {
  FailureOr<Value> a = call.floatTensor("a");
  if (failed(a)) {
    return failure();
  }
  FailureOr<Value> b = call.floatTensor("b");
  if (failed(b)) {
    return failure();
  }
  FailureOr<bool> ta = call.flag("transpose_a", false);
  if (failed(ta)) {
    return failure();
  }
  FailureOr<bool> tb = call.flag("transpose_b", false);
  if (failed(tb)) {
    return failure();
  }
  return result(call.builder().matmul(*a, *b, *ta, *tb));
}

static FailureOr<Datum> buildSoftmax(BuiltinCall &call) {
  FailureOr<Value> x = call.floatTensor("x");
  if (failed(x)) {
    return failure();
  }
  FailureOr<int64_t> axis = call.integer("axis", -1);
  if (failed(axis)) {
    return failure();
  }
  FailureOr<bool> f32 = call.flag("accumulate_f32", false);
  if (failed(f32)) {
    return failure();
  }
  return result(call.builder().softmax(*x, *axis, *f32));
}

/// Reads argument `param` as a shape whose sizes are all positive.
static FailureOr<SmallVector<int64_t>> shapeArgument(BuiltinCall &call,
                                                     StringRef param) {
  FailureOr<SmallVector<int64_t>> shape = call.integers(param);
  if (failed(shape) || failed(call.getElaborator().checkShape(
                           *shape, call.locOf(param), "the shape"))) {
    return failure();
  }
  return shape;
}

static FailureOr<Datum> buildReshape(BuiltinCall &call) {
  FailureOr<Value> x = call.tensor("x");
  if (failed(x)) {
    return failure();
  }
  FailureOr<SmallVector<int64_t>> shape = shapeArgument(call, "shape");
  if (failed(shape)) {
    return failure();
  }
  return result(call.builder().reshape(*x, *shape));
}

static FailureOr<Datum> buildBroadcast(BuiltinCall &call) {
  FailureOr<Value> x = call.tensor("x");
  if (failed(x)) {
    return failure();
  }
  FailureOr<SmallVector<int64_t>> shape = shapeArgument(call, "shape");
  if (failed(shape)) {
    return failure();
  }
  return result(call.builder().broadcast(*x, *shape));
}

static FailureOr<Datum> buildTranspose(BuiltinCall &call) {
  FailureOr<Value> x = call.tensor("x");
  if (failed(x)) {
    return failure();
  }
  FailureOr<SmallVector<int64_t>> permutation = call.integers("permutation");
  if (failed(permutation)) {
    return failure();
  }
  return result(call.builder().transpose(*x, *permutation));
}

static FailureOr<Datum> buildConcat(BuiltinCall &call) {
  FailureOr<SmallVector<Value>> inputs = call.tensors("tensors");
  if (failed(inputs)) {
    return failure();
  }
  FailureOr<int64_t> axis = call.integer("axis", 0);
  if (failed(axis)) {
    return failure();
  }
  if (inputs->empty()) {
    return call.emitError("tensors") << "'concat' needs at least one tensor";
  }
  // The op's verifier would blame the shapes.
  Type elementType = elementTypeOf(inputs->front());
  for (Value input : *inputs) {
    if (elementTypeOf(input) != elementType) {
      return call.emitError("tensors")
             << "'concat' needs tensors of one element type, got "
             << formatTensorType(inputs->front().getType()) << " and "
             << formatTensorType(input.getType());
    }
  }
  return result(call.builder().concat(*inputs, *axis));
}

/// `slice(x, axis = a, start = s, end = e, step = k)`: one axis.
static FailureOr<Datum> buildAxisSlice(BuiltinCall &call, Value x) {
  ArrayRef<int64_t> shape = shapeOf(x);
  int64_t rank = shape.size();
  FailureOr<int64_t> axis = call.integer("axis");
  if (failed(axis)) {
    return failure();
  }
  if (*axis < -rank || *axis >= rank) {
    return call.emitError("axis")
           << "axis " << *axis << " is out of range for a tensor of rank "
           << rank;
  }
  int64_t dim = *axis < 0 ? *axis + rank : *axis;
  int64_t size = shape[dim];
  FailureOr<int64_t> start = call.integer("start", 0);
  if (failed(start)) {
    return failure();
  }
  FailureOr<int64_t> end = call.integer("end", size);
  if (failed(end)) {
    return failure();
  }
  FailureOr<int64_t> step = call.integer("step", 1);
  if (failed(step)) {
    return failure();
  }
  // Negative bounds count from the end, as in Python.
  int64_t first = *start < 0 ? *start + size : *start;
  int64_t last = *end < 0 ? *end + size : *end;
  if (*step <= 0) {
    return call.emitError() << "slice step must be positive, got " << *step;
  }
  if (first < 0 || last > size) {
    return call.emitError() << "slice " << *start << ":" << *end
                            << " runs outside a dimension of " << size;
  }
  if (first >= last) {
    return call.emitError() << "slice " << *start << ":" << *end << ":" << *step
                            << " selects nothing of a dimension of " << size;
  }
  SmallVector<int64_t> offsets(rank, 0), sizes(shape), strides(rank, 1);
  offsets[dim] = first;
  // ceil((last - first) / step) without forming `last - first + step - 1`,
  // which overflows for a step near 2^63; 0 <= first < last here.
  sizes[dim] = 1 + (last - first - 1) / *step;
  strides[dim] = *step;
  return result(call.builder().slice(x, offsets, sizes, strides));
}

static FailureOr<Datum> buildSlice(BuiltinCall &call) {
  FailureOr<Value> x = call.tensor("x");
  if (failed(x)) {
    return failure();
  }
  // The two forms exclude each other: mixing them used to drop one
  // silently.
  StringRef axisForm[] = {"axis", "start", "end", "step"};
  StringRef everyAxisForm[] = {"offsets", "sizes", "strides"};
  auto given = [&](ArrayRef<StringRef> params) -> std::optional<StringRef> {
    for (StringRef param : params) {
      if (call.has(param)) {
        return param;
      }
    }
    return std::nullopt;
  };
  std::optional<StringRef> oneAxis = given(axisForm);
  if (std::optional<StringRef> everyAxis = given(everyAxisForm);
      oneAxis && everyAxis) {
    return call.emitError(*everyAxis)
           << "'slice' takes either axis/start/end/step or "
              "offsets/sizes/strides, got both '"
           << *oneAxis << "' and '" << *everyAxis << "'";
  }
  if (oneAxis && !call.has("axis")) {
    return call.emitError(*oneAxis)
           << "'" << *oneAxis << "' of 'slice' needs 'axis', the axis it "
           << "slices";
  }
  if (oneAxis) {
    return buildAxisSlice(call, *x);
  }
  FailureOr<SmallVector<int64_t>> offsets = call.integers("offsets");
  if (failed(offsets)) {
    return failure();
  }
  FailureOr<SmallVector<int64_t>> sizes = shapeArgument(call, "sizes");
  if (failed(sizes)) {
    return failure();
  }
  SmallVector<int64_t> strides;
  if (call.has("strides")) {
    FailureOr<SmallVector<int64_t>> given = call.integers("strides");
    if (failed(given)) {
      return failure();
    }
    strides = *given;
  }
  return result(call.builder().slice(*x, *offsets, *sizes, strides));
}

static FailureOr<Datum> buildGather(BuiltinCall &call) {
  FailureOr<Value> table = call.tensor("table");
  if (failed(table)) {
    return failure();
  }
  FailureOr<Value> indices = call.tensor("indices");
  if (failed(indices)) {
    return failure();
  }
  FailureOr<int64_t> axis = call.integer("axis", 0);
  if (failed(axis)) {
    return failure();
  }
  return result(call.builder().gather(*table, *indices, *axis));
}

template <ReduceKind kind>
static FailureOr<Datum> buildReduce(BuiltinCall &call) {
  FailureOr<Value> x = call.floatTensor("x");
  if (failed(x)) {
    return failure();
  }
  SmallVector<int64_t> axes;
  if (call.has("axes")) {
    FailureOr<SmallVector<int64_t>> given = call.integers("axes");
    if (failed(given)) {
      return failure();
    }
    axes = *given;
  } else {
    // Like torch.sum(x): every axis.
    axes = llvm::to_vector(llvm::seq<int64_t>(0, shapeOf(*x).size()));
  }
  FailureOr<bool> keepDims = call.flag("keep_dims", false);
  if (failed(keepDims)) {
    return failure();
  }
  return result(call.builder().reduce(kind, *x, axes, *keepDims));
}

static FailureOr<Datum> buildTopK(BuiltinCall &call) {
  FailureOr<Value> x = call.floatTensor("x");
  if (failed(x)) {
    return failure();
  }
  FailureOr<int64_t> k = call.integer("k");
  if (failed(k)) {
    return failure();
  }
  ArrayRef<int64_t> shape = shapeOf(*x);
  if (*k <= 0) {
    return call.emitError("k") << "'k' must be positive, got " << *k;
  }
  if (!shape.empty() && *k > shape.back()) {
    return call.emitError("k")
           << "'k' is " << *k << ", more than the " << shape.back()
           << " entries of the last axis of " << formatTensorType(x->getType());
  }
  FailureOr<std::pair<Value, Value>> values = call.builder().topK(*x, *k);
  if (failed(values)) {
    return failure();
  }
  return Datum::ofTuple(
      {Datum::ofTensor(values->first), Datum::ofTensor(values->second)});
}

static FailureOr<Datum> buildConstant(BuiltinCall &call) {
  const Datum *values = call.get("values");
  if (!values) {
    return call.emitError() << "missing argument 'values' of 'constant'";
  }
  if (values->isNumber() && !call.has("shape")) {
    return Datum::ofTensor(call.builder().constant(values->asDouble()));
  }
  if (!values->is(Datum::Kind::List)) {
    return call.emitError("values")
           << "argument 'values' of 'constant' must be a number or a list "
              "of numbers, got "
           << values->describe();
  }
  SmallVector<float> floats;
  for (const Datum &element : values->elements) {
    if (!element.isNumber()) {
      return call.emitError("values")
             << "argument 'values' of 'constant' must be a list of numbers, "
                "but it holds "
             << element.describe();
    }
    floats.push_back(static_cast<float>(element.asDouble()));
  }
  SmallVector<int64_t> shape{static_cast<int64_t>(floats.size())};
  if (call.has("shape")) {
    FailureOr<SmallVector<int64_t>> given = shapeArgument(call, "shape");
    if (failed(given)) {
      return failure();
    }
    shape = *given;
  }
  return result(call.builder().constant(floats, shape));
}

static FailureOr<Datum> buildDim(BuiltinCall &call) {
  FailureOr<Value> x = call.tensor("x");
  if (failed(x)) {
    return failure();
  }
  FailureOr<int64_t> axis = call.integer("axis");
  if (failed(axis)) {
    return failure();
  }
  ArrayRef<int64_t> shape = shapeOf(*x);
  int64_t rank = shape.size();
  if (*axis < -rank || *axis >= rank) {
    return call.emitError("axis")
           << "axis " << *axis << " is out of range for a tensor of rank "
           << rank;
  }
  return Datum::ofInt(shape[*axis < 0 ? *axis + rank : *axis]);
}

static FailureOr<Datum> buildShape(BuiltinCall &call) {
  FailureOr<Value> x = call.tensor("x");
  if (failed(x)) {
    return failure();
  }
  std::vector<Datum> sizes;
  for (int64_t size : shapeOf(*x)) {
    sizes.push_back(Datum::ofInt(size));
  }
  return Datum::ofList(std::move(sizes));
}

static FailureOr<Datum> buildRank(BuiltinCall &call) {
  FailureOr<Value> x = call.tensor("x");
  if (failed(x)) {
    return failure();
  }
  return Datum::ofInt(shapeOf(*x).size());
}

void kiln::kdl::addTensorOpBuiltins(std::vector<Builtin> &table) {
  addBuiltin(table, "gelu", "x | approximation*", buildGelu);
  addBuiltin(table, "silu", "x", buildUnary<&ModelBuilder::silu>);
  addBuiltin(table, "sigmoid", "x", buildUnary<&ModelBuilder::sigmoid>);
  addBuiltin(table, "tanh", "x", buildUnary<&ModelBuilder::tanh>);
  addBuiltin(table, "exp", "x", buildUnary<&ModelBuilder::exp>);
  addBuiltin(table, "rsqrt", "x", buildUnary<&ModelBuilder::rsqrt>);
  addBuiltin(table, "sqrt", "x", buildUnary<&ModelBuilder::sqrt>);
  addBuiltin(table, "neg", "x", buildUnary<&ModelBuilder::neg>);
  addBuiltin(table, "add", "a b", buildBinary<&ModelBuilder::add>);
  addBuiltin(table, "sub", "a b", buildBinary<&ModelBuilder::sub>);
  addBuiltin(table, "mul", "a b", buildBinary<&ModelBuilder::mul>);
  addBuiltin(table, "div", "a b", buildBinary<&ModelBuilder::div>);
  addBuiltin(table, "maximum", "a b", buildBinary<&ModelBuilder::maximum>);
  addBuiltin(table, "matmul", "a b | transpose_a transpose_b", buildMatmul);
  addBuiltin(table, "softmax", "x | axis accumulate_f32", buildSoftmax);
  addBuiltin(table, "reshape", "x shape", buildReshape);
  addBuiltin(table, "expand", "x shape", buildBroadcast);
  addBuiltin(table, "broadcast", "x shape", buildBroadcast);
  addBuiltin(table, "transpose", "x permutation", buildTranspose);
  addBuiltin(table, "concat", "tensors | axis", buildConcat);
  addBuiltin(table, "slice", "x | offsets sizes strides axis start end step",
             buildSlice);
  addBuiltin(table, "gather", "table indices | axis", buildGather);
  addBuiltin(table, "sum", "x axes | keep_dims", buildReduce<ReduceKind::Sum>);
  addBuiltin(table, "mean", "x axes | keep_dims",
             buildReduce<ReduceKind::Mean>);
  addBuiltin(table, "max", "x axes | keep_dims", buildReduce<ReduceKind::Max>);
  addBuiltin(table, "min", "x axes | keep_dims", buildReduce<ReduceKind::Min>);
  addBuiltin(table, "top_k", "x | k", buildTopK);
  addBuiltin(table, "constant", "values shape", buildConstant);
  addBuiltin(table, "dim", "x axis", buildDim);
  addBuiltin(table, "shape", "x", buildShape);
  addBuiltin(table, "rank", "x", buildRank);
}
