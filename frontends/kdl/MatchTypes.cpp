//===- MatchTypes.cpp - Declared types against elaborated values ----------===//
//
// A block's parameter types are patterns: `x: f32[B, S, D]` binds B, S
// and D from the shape of the argument at the first occurrence of each
// name and checks it at every other; `...` matches any number of leading
// (or middle) dimensions. Model inputs, outputs and results only check.
//
//===----------------------------------------------------------------------===//

#include "frontends/kdl/Builtins.h"
#include "frontends/kdl/ModelElaborator.h"
#include "frontends/kdl/NameSuggestions.h"

#include "llvm/ADT/StringExtras.h"

using namespace kiln::kdl;
using namespace mlir;
using llvm::StringRef;

Type ModelElaborator::elementType(const TypeExpr &type) const {
  if (type.name == "i32") {
    return IntegerType::get(context, 32);
  }
  if (type.name == "i64") {
    return IntegerType::get(context, 64);
  }
  return Float32Type::get(context);
}

bool ModelElaborator::takesWords(const TypeExpr &type) const {
  return type.kind == TypeExpr::Kind::Enum ||
         (type.kind == TypeExpr::Kind::Named &&
          kilnEnumWords(type.name).has_value());
}

FailureOr<SmallVector<int64_t>>
ModelElaborator::evaluateShape(const TypeExpr &type) {
  SmallVector<int64_t> shape;
  for (const DimPattern &dim : type.dims) {
    if (dim.ellipsis) {
      return emitError(dim.loc)
             << "'...' stands for dimensions only in the parameter types "
                "of blocks";
    }
    FailureOr<Datum> size = evaluate(*dim.expr);
    if (failed(size)) {
      return failure();
    }
    if (!size->is(Datum::Kind::Int)) {
      return emitError(dim.loc)
             << "a dimension must be an int, got " << size->describe();
    }
    shape.push_back(size->intValue);
  }
  return shape;
}

LogicalResult ModelElaborator::matchType(const TypeExpr &type, Datum &value,
                                         Location valueLoc,
                                         const llvm::Twine &what, bool bind) {
  auto mismatch = [&](StringRef expected) {
    InFlightDiagnostic diag = mlir::emitError(valueLoc)
                              << what << " must be " << expected << ", got "
                              << value.describe();
    diag.attachNote(getLocation(type.loc)) << "the type is declared here";
    return diag;
  };
  if (type.kind == TypeExpr::Kind::Tensor) {
    if (!value.is(Datum::Kind::Tensor)) {
      return mismatch(("a tensor " + type.text).str());
    }
    return matchTensorType(type, value.tensor, valueLoc, what, bind);
  }
  std::optional<std::vector<std::string>> words;
  if (type.kind == TypeExpr::Kind::Enum) {
    words.emplace();
    for (StringRef word : type.cases) {
      words->push_back(word.str());
    }
  } else {
    words = kilnEnumWords(type.name);
  }
  if (words) {
    bool isText = value.is(Datum::Kind::Word) || value.is(Datum::Kind::String);
    if (!isText || !llvm::is_contained(*words, value.text)) {
      std::string expected = "one of " + llvm::join(*words, ", ");
      InFlightDiagnostic diag = mismatch(expected);
      if (isText) {
        diag << didYouMean(value.text, *words);
      }
      return diag;
    }
    value = Datum::ofWord(value.text);
    return success();
  }
  if (type.name == "int") {
    return value.is(Datum::Kind::Int) ? success() : mismatch("an int");
  }
  if (type.name == "float") {
    if (!value.isNumber()) {
      return mismatch("a number");
    }
    value = Datum::ofFloat(value.asDouble());
    return success();
  }
  if (type.name == "bool") {
    return value.is(Datum::Kind::Bool) ? success() : mismatch("a bool");
  }
  if (type.name == "string") {
    return value.is(Datum::Kind::String) ? success() : mismatch("a string");
  }
  std::vector<std::string> names = {"int",  "float", "bool", "string",
                                    "enum", "f32",   "i32",  "i64"};
  for (const std::string &name : kilnEnumTypeNames()) {
    names.push_back(name);
  }
  return emitError(type.loc) << "unknown type '" << type.name << "'"
                             << didYouMean(type.name, names);
}

LogicalResult ModelElaborator::matchTensorType(const TypeExpr &type,
                                               Value value, Location valueLoc,
                                               const llvm::Twine &what,
                                               bool bind) {
  auto tensor = llvm::cast<RankedTensorType>(value.getType());
  auto mismatch = [&]() {
    InFlightDiagnostic diag = mlir::emitError(valueLoc)
                              << what << " is " << formatTensorType(tensor)
                              << ", expected " << type.text;
    diag.attachNote(getLocation(type.loc)) << "the type is declared here";
    return diag;
  };
  if (tensor.getElementType() != elementType(type)) {
    return mismatch();
  }
  const std::vector<DimPattern> &dims = type.dims;
  auto ellipsis =
      llvm::find_if(dims, [](const DimPattern &dim) { return dim.ellipsis; });
  size_t fixed = dims.size() - (ellipsis != dims.end() ? 1 : 0);
  size_t rank = tensor.getRank();
  if (ellipsis != dims.end() ? rank < fixed : rank != fixed) {
    return mismatch() << " (rank " << rank << " instead of "
                      << (ellipsis != dims.end() ? "at least " : "") << fixed
                      << ")";
  }
  size_t afterEllipsis = ellipsis - dims.begin();
  for (size_t k = 0; k < dims.size(); ++k) {
    const DimPattern &dim = dims[k];
    if (dim.ellipsis) {
      continue;
    }
    size_t axis = k < afterEllipsis ? k : rank - (dims.size() - k);
    int64_t size = tensor.getDimSize(axis);
    auto *name = llvm::dyn_cast<NameExpr>(dim.expr.get());
    if (bind && name && !frame().vars.count(name->name)) {
      frame().vars[name->name] = Datum::ofInt(size);
      frame().dims[name->name] = dim.loc;
      continue;
    }
    FailureOr<Datum> expected = evaluate(*dim.expr);
    if (failed(expected)) {
      return failure();
    }
    if (!expected->is(Datum::Kind::Int)) {
      return emitError(dim.loc)
             << "a dimension must be an int, got " << expected->describe();
    }
    if (expected->intValue != size) {
      InFlightDiagnostic diag = mismatch();
      diag << ": dimension " << axis << " is " << size << ", but ";
      if (dim.text == std::to_string(expected->intValue)) {
        diag << "must be " << expected->intValue;
      } else {
        diag << "'" << dim.text << "' is " << expected->intValue;
      }
      return diag;
    }
  }
  return success();
}
