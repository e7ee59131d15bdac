//===- Builtins.cpp - The table of built-ins and their arguments ----------===//

#include "frontends/kdl/Builtins.h"
#include "frontends/kdl/ModelElaborator.h"
#include "frontends/kdl/NameSuggestions.h"

#include "llvm/ADT/StringExtras.h"

using namespace kiln;
using namespace kiln::kdl;
using namespace mlir;
using llvm::SMLoc;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

void kiln::kdl::addBuiltin(std::vector<Builtin> &table, StringRef name,
                           StringRef signature,
                           FailureOr<Datum> (*build)(BuiltinCall &)) {
  Builtin builtin;
  builtin.name = name.str();
  builtin.build = build;
  bool positional = true;
  SmallVector<StringRef> words;
  signature.split(words, ' ', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  for (StringRef word : words) {
    if (word == "|") {
      positional = false;
      continue;
    }
    BuiltinParam param;
    param.positional = positional;
    param.word = word.consume_back("*");
    param.name = word.str();
    builtin.params.push_back(std::move(param));
  }
  table.push_back(std::move(builtin));
}

/// All built-ins, sorted by name.
static const std::vector<Builtin> &builtinTable() {
  static const std::vector<Builtin> table = [] {
    std::vector<Builtin> entries;
    addTensorOpBuiltins(entries);
    addLayerBuiltins(entries);
    addCompositeBuiltins(entries);
    llvm::sort(entries, [](const Builtin &a, const Builtin &b) {
      return a.name < b.name;
    });
    return entries;
  }();
  return table;
}

const Builtin *kiln::kdl::lookupBuiltin(StringRef name) {
  const std::vector<Builtin> &table = builtinTable();
  auto it = llvm::lower_bound(
      table, name, [](const Builtin &b, StringRef n) { return b.name < n; });
  return it != table.end() && it->name == name ? &*it : nullptr;
}

bool kiln::kdl::isBuiltinFunction(StringRef name) {
  return lookupBuiltin(name) != nullptr;
}

std::vector<std::string> kiln::kdl::builtinNames() {
  std::vector<std::string> names;
  for (const Builtin &builtin : builtinTable()) {
    names.push_back(builtin.name);
  }
  return names;
}

std::optional<std::vector<std::string>>
kiln::kdl::kilnEnumWords(StringRef typeName) {
  return llvm::StringSwitch<std::optional<std::vector<std::string>>>(typeName)
      .Case("gelu_approximation", EnumWords<GeluApproximation>::get())
      .Case("reduce_kind", EnumWords<ReduceKind>::get())
      .Case("rope_style", EnumWords<RopeStyle>::get())
      .Case("mask_kind", EnumWords<MaskKind>::get())
      .Case("scale_placement", EnumWords<ScalePlacement>::get())
      .Case("empty_rows", EnumWords<EmptyRows>::get())
      .Case("moe_scoring", EnumWords<MoeScoring>::get())
      .Case("moe_order", EnumWords<MoeOrder>::get())
      .Case("group_score", EnumWords<GroupScore>::get())
      .Case("aux_loss", EnumWords<AuxLoss>::get())
      .Default(std::nullopt);
}

std::vector<std::string> kiln::kdl::kilnEnumTypeNames() {
  return {"gelu_approximation", "reduce_kind", "rope_style",  "mask_kind",
          "scale_placement",    "empty_rows",  "moe_scoring", "moe_order",
          "group_score",        "aux_loss"};
}

FailureOr<Datum> kiln::kdl::callBuiltin(ModelElaborator &elaborator,
                                        const Builtin &builtin,
                                        const CallExpr &call, StringRef scope) {
  BuiltinCall arguments(elaborator, builtin, call);
  if (failed(arguments.bindArguments())) {
    return failure();
  }
  ModelBuilder &builder = elaborator.getBuilder(call.getLoc());
  builder.pushScope(scope);
  FailureOr<Datum> result = builtin.build(arguments);
  builder.popScope();
  return result;
}

//===----------------------------------------------------------------------===//
// Binding
//===----------------------------------------------------------------------===//

LogicalResult BuiltinCall::bindArguments() {
  const std::vector<BuiltinParam> &params = builtin.params;
  arguments.assign(params.size(), nullptr);
  size_t positional = 0;
  for (const Argument &arg : call.args) {
    size_t index = positional;
    if (arg.name.empty()) {
      if (positional >= params.size() || !params[positional].positional) {
        size_t count = llvm::count_if(
            params, [](const BuiltinParam &p) { return p.positional; });
        InFlightDiagnostic diag = elaborator.emitError(arg.value->getLoc())
                                  << "'" << builtin.name << "' takes " << count
                                  << " positional argument"
                                  << (count == 1 ? "" : "s");
        if (count < params.size()) {
          diag << "; name the others, as in '" << params[count].name
               << " = ..'";
        }
        return diag;
      }
      ++positional;
    } else {
      auto it = llvm::find_if(
          params, [&](const BuiltinParam &p) { return p.name == arg.name; });
      if (it == params.end()) {
        std::vector<std::string> names;
        for (const BuiltinParam &param : params) {
          names.push_back(param.name);
        }
        return elaborator.emitError(arg.nameLoc)
               << "'" << builtin.name << "' has no parameter '" << arg.name
               << "'" << didYouMean(arg.name, names);
      }
      index = it - params.begin();
      if (arguments[index]) {
        return elaborator.emitError(arg.nameLoc)
               << "argument '" << arg.name << "' is given twice";
      }
    }
    arguments[index] = &arg;
  }
  values.resize(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    if (!arguments[i]) {
      continue;
    }
    FailureOr<Datum> value =
        elaborator.evaluate(*arguments[i]->value, params[i].word);
    if (failed(value)) {
      return failure();
    }
    if (value->is(Datum::Kind::Tuple)) {
      return elaborator.emitError(arguments[i]->value->getLoc())
             << "an argument must be one value, got " << value->describe();
    }
    values[i] = std::move(*value);
  }
  return success();
}

/// The index of `param` in the built-in's parameters.
static size_t indexOf(const Builtin &builtin, StringRef param) {
  for (size_t i = 0; i < builtin.params.size(); ++i) {
    if (builtin.params[i].name == param) {
      return i;
    }
  }
  llvm_unreachable("a built-in reads a parameter it does not declare");
}

const Datum *BuiltinCall::get(StringRef param) const {
  size_t i = indexOf(builtin, param);
  return arguments[i] ? &values[i] : nullptr;
}

bool BuiltinCall::has(StringRef param) const { return get(param) != nullptr; }

SMLoc BuiltinCall::locOf(StringRef param) const {
  size_t i = indexOf(builtin, param);
  return arguments[i] ? arguments[i]->value->getLoc() : call.getLoc();
}

InFlightDiagnostic BuiltinCall::emitError(StringRef param) const {
  return elaborator.emitError(locOf(param));
}

InFlightDiagnostic BuiltinCall::emitError() const {
  return elaborator.emitError(call.getLoc());
}

InFlightDiagnostic BuiltinCall::wrongType(StringRef param,
                                          StringRef expected) const {
  return emitError(param) << "argument '" << param << "' of '" << builtin.name
                          << "' must be " << expected << ", got "
                          << get(param)->describe();
}

ModelBuilder &BuiltinCall::builder() {
  return elaborator.getBuilder(call.getLoc());
}

FailureOr<Value> BuiltinCall::param(StringRef name, ArrayRef<int64_t> shape) {
  return elaborator.createParam(name, shape, call.getLoc());
}

//===----------------------------------------------------------------------===//
// Typed accessors
//===----------------------------------------------------------------------===//

/// Reports a missing required argument.
static InFlightDiagnostic missing(const BuiltinCall &call, StringRef param) {
  return call.emitError() << "missing argument '" << param << "' of '"
                          << call.getName() << "'";
}

FailureOr<Value> BuiltinCall::tensor(StringRef param, bool optional) {
  const Datum *value = get(param);
  if (!value) {
    if (optional) {
      return Value();
    }
    return missing(*this, param);
  }
  if (value->isNumber()) {
    return elaborator.toTensor(*value, locOf(param), "");
  }
  if (!value->is(Datum::Kind::Tensor)) {
    return wrongType(param, "a tensor");
  }
  return value->tensor;
}

FailureOr<Value> BuiltinCall::floatTensor(StringRef param) {
  FailureOr<Value> value = tensor(param);
  if (succeeded(value) && !llvm::cast<RankedTensorType>(value->getType())
                               .getElementType()
                               .isF32()) {
    return wrongType(param, "an f32 tensor");
  }
  return value;
}

FailureOr<int64_t> BuiltinCall::integer(StringRef param,
                                        std::optional<int64_t> defaultValue) {
  const Datum *value = get(param);
  if (!value) {
    if (defaultValue) {
      return *defaultValue;
    }
    return missing(*this, param);
  }
  if (!value->is(Datum::Kind::Int)) {
    return wrongType(param, "an int");
  }
  return value->intValue;
}

FailureOr<double> BuiltinCall::number(StringRef param,
                                      std::optional<double> defaultValue) {
  const Datum *value = get(param);
  if (!value) {
    if (defaultValue) {
      return *defaultValue;
    }
    return missing(*this, param);
  }
  if (!value->isNumber()) {
    return wrongType(param, "a number");
  }
  return value->asDouble();
}

FailureOr<bool> BuiltinCall::flag(StringRef param,
                                  std::optional<bool> defaultValue) {
  const Datum *value = get(param);
  if (!value) {
    if (defaultValue) {
      return *defaultValue;
    }
    return missing(*this, param);
  }
  if (!value->is(Datum::Kind::Bool)) {
    return wrongType(param, "true or false");
  }
  return value->boolValue;
}

FailureOr<std::string>
BuiltinCall::string(StringRef param, std::optional<StringRef> defaultValue) {
  const Datum *value = get(param);
  if (!value) {
    if (defaultValue) {
      return defaultValue->str();
    }
    return missing(*this, param);
  }
  if (!value->is(Datum::Kind::String)) {
    return wrongType(param, "a string");
  }
  return value->text;
}

FailureOr<SmallVector<int64_t>> BuiltinCall::integers(StringRef param) {
  const Datum *value = get(param);
  if (!value) {
    return missing(*this, param);
  }
  if (value->is(Datum::Kind::Int)) {
    return SmallVector<int64_t>{value->intValue};
  }
  if (!value->is(Datum::Kind::List)) {
    return wrongType(param, "a list of ints");
  }
  SmallVector<int64_t> result;
  for (const Datum &element : value->elements) {
    if (!element.is(Datum::Kind::Int)) {
      return emitError(param)
             << "argument '" << param << "' of '" << builtin.name
             << "' must be a list of ints, but it holds " << element.describe();
    }
    result.push_back(element.intValue);
  }
  return result;
}

FailureOr<SmallVector<Value>> BuiltinCall::tensors(StringRef param) {
  const Datum *value = get(param);
  if (!value) {
    return missing(*this, param);
  }
  if (!value->is(Datum::Kind::List)) {
    return wrongType(param, "a list of tensors, as in '[a, b]'");
  }
  SmallVector<Value> result;
  for (const Datum &element : value->elements) {
    if (!element.is(Datum::Kind::Tensor)) {
      return emitError(param)
             << "argument '" << param << "' of '" << builtin.name
             << "' must be a list of tensors, but it holds "
             << element.describe();
    }
    result.push_back(element.tensor);
  }
  return result;
}

FailureOr<std::string> BuiltinCall::word(StringRef param,
                                         ArrayRef<std::string> words,
                                         StringRef defaultValue) {
  const Datum *value = get(param);
  if (!value) {
    return defaultValue.str();
  }
  bool isText = value->is(Datum::Kind::Word) || value->is(Datum::Kind::String);
  if (isText && llvm::is_contained(words, value->text)) {
    return value->text;
  }
  InFlightDiagnostic diag = emitError(param);
  if (isText) {
    diag << "'" << value->text << "' is not a value of '" << param << "' of '"
         << builtin.name << "'";
  } else {
    diag << "argument '" << param << "' of '" << builtin.name
         << "' must be a word, got " << value->describe();
  }
  diag << " (expected " << llvm::join(words, ", ") << ")";
  // `mask = bias` reads the variable `bias` when there is one.
  const auto *name =
      llvm::dyn_cast<NameExpr>(arguments[indexOf(builtin, param)]->value.get());
  if (!isText && name && llvm::is_contained(words, name->name)) {
    diag << "; a variable named '" << name->name << "' hides the word: write \""
         << name->name << "\"";
  }
  if (isText) {
    diag << didYouMean(value->text, words);
  }
  return diag;
}
