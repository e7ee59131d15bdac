//===- ModelElaborator.cpp - The model and its statements -----------------===//
//
// Binds the dims (defaults, then `-D`), declares the inputs, executes the
// body statement by statement and checks what `return` gives against the
// declared outputs. Block calls are in BlockCalls.cpp, expressions in
// EvaluateExpressions.cpp.
//
//===----------------------------------------------------------------------===//

#include "frontends/kdl/ModelElaborator.h"
#include "frontends/kdl/NameSuggestions.h"

#include "llvm/Support/MathExtras.h"

using namespace kiln::kdl;
using namespace mlir;
using llvm::SMLoc;
using llvm::StringRef;

ModelElaborator::ModelElaborator(const SourceLocator &locator,
                                 const Program &program,
                                 const KdlOptions &options)
    : locator(locator), program(program), options(options),
      context(locator.getContext()) {}

ModelElaborator::~ModelElaborator() = default;

//===----------------------------------------------------------------------===//
// Services for built-ins
//===----------------------------------------------------------------------===//

Location ModelElaborator::getLocation(SMLoc loc) const {
  Location file = locator.get(loc);
  if (frames.empty() || !frame().caller) {
    return file;
  }
  return CallSiteLoc::get(file, *frame().caller);
}

InFlightDiagnostic ModelElaborator::emitError(SMLoc loc) const {
  return mlir::emitError(getLocation(loc));
}

kiln::ModelBuilder &ModelElaborator::getBuilder(SMLoc loc) {
  builder->setLocation(getLocation(loc));
  return *builder;
}

LogicalResult ModelElaborator::NestingGuard::check(SMLoc loc) {
  if (elaborator.nesting <= kMaxNesting) {
    return success();
  }
  return elaborator.emitError(loc)
         << "the model nests calls, statements and expressions more than "
         << kMaxNesting << " levels deep";
}

LogicalResult ModelElaborator::spend(SMLoc loc, uint64_t count) {
  steps += count;
  if (steps <= kMaxSteps) {
    return success();
  }
  return emitError(loc) << "the model is too large to elaborate (more than "
                        << kMaxSteps
                        << " steps); check its loop bounds and dimensions";
}

LogicalResult ModelElaborator::checkShape(ArrayRef<int64_t> shape, SMLoc loc,
                                          const llvm::Twine &what) {
  // 2^40 elements is far beyond any model and keeps every product of
  // sizes the ops compute within 64 bits.
  constexpr int64_t kMaxElements = int64_t(1) << 40;
  int64_t elements = 1;
  for (int64_t size : shape) {
    if (size <= 0) {
      return emitError(loc)
             << what << " has a size " << size << "; sizes must be positive";
    }
    if (llvm::MulOverflow(elements, size, elements) ||
        elements > kMaxElements) {
      return emitError(loc) << what << " has more than 2^40 elements";
    }
  }
  return success();
}

FailureOr<Value> ModelElaborator::createParam(StringRef name,
                                              ArrayRef<int64_t> shape,
                                              SMLoc loc) {
  std::string fullName = builder->scopedName(name);
  if (failed(checkShape(shape, loc, "parameter '" + fullName + "'")) ||
      failed(spend(loc))) {
    return failure();
  }
  auto [it, inserted] = paramOrigins.try_emplace(fullName, getLocation(loc));
  if (!inserted) {
    InFlightDiagnostic diag = emitError(loc)
                              << "parameter '" << fullName
                              << "' is created twice; give the calls distinct "
                                 "scopes with '@ \"..\"'";
    diag.attachNote(it->second) << "it was first created here";
    return failure();
  }
  return getBuilder(loc).param(name, shape);
}

//===----------------------------------------------------------------------===//
// The model
//===----------------------------------------------------------------------===//

FailureOr<OwningOpRef<ModuleOp>> ModelElaborator::run() {
  const Definition &model = *program.model;
  frames.push_back(std::make_unique<Frame>());
  frame().definition = &model;
  if (failed(bindDims(model)) || failed(selectOutputs(model))) {
    return failure();
  }
  builder = std::make_unique<ModelBuilder>(context, model.name.name,
                                           locator.get(model.name.loc));
  if (failed(declareInputs(model)) || failed(execute(model.body)) ||
      failed(declareOutputs(model))) {
    return failure();
  }
  builder->setLocation(locator.get(model.name.loc));
  return builder->finish();
}

LogicalResult ModelElaborator::bindDims(const Definition &model) {
  std::vector<std::string> names;
  for (const DimDecl &dim : model.dims) {
    names.push_back(dim.name.name.str());
  }
  for (const auto &[name, value] : options.defines) {
    if (llvm::is_contained(names, name)) {
      continue;
    }
    InFlightDiagnostic diag = emitError(model.name.loc)
                              << "-D " << name << "=" << value
                              << " does not name a dimension of model '"
                              << model.name.name << "'"
                              << didYouMean(name, names);
    if (names.empty()) {
      diag << " (it declares no 'dims')";
    }
    return failure();
  }
  for (const DimDecl &dim : model.dims) {
    auto defined = options.defines.find(dim.name.name.str());
    int64_t value;
    if (defined != options.defines.end()) {
      value = defined->second;
      if (value < 0) {
        return emitError(dim.name.loc) << "-D " << dim.name.name << "=" << value
                                       << ": a dimension cannot be negative";
      }
    } else {
      FailureOr<Datum> datum = evaluate(*dim.value);
      if (failed(datum)) {
        return failure();
      }
      if (!datum->is(Datum::Kind::Int)) {
        return emitError(dim.value->getLoc())
               << "dimension '" << dim.name.name << "' must be an int, got "
               << datum->describe();
      }
      value = datum->intValue;
      if (value < 0) {
        return emitError(dim.value->getLoc())
               << "dimension '" << dim.name.name << "' cannot be negative, got "
               << value;
      }
    }
    frame().vars[dim.name.name] = Datum::ofInt(value);
    frame().dims[dim.name.name] = dim.name.loc;
  }
  return success();
}

LogicalResult ModelElaborator::declareInputs(const Definition &model) {
  for (const ParamDecl &input : model.params) {
    if (input.type.kind != TypeExpr::Kind::Tensor) {
      return emitError(input.type.loc)
             << "model input '" << input.name.name
             << "' must be a tensor, such as 'f32[B, S, D]'; got '"
             << input.type.text << "'";
    }
    FailureOr<SmallVector<int64_t>> shape = evaluateShape(input.type);
    if (failed(shape) ||
        failed(checkShape(*shape, input.type.loc,
                          "input '" + input.name.name + "'"))) {
      return failure();
    }
    FailureOr<Value> value =
        getBuilder(input.name.loc)
            .input(input.name.name, *shape, elementType(input.type));
    if (failed(value)) {
      return failure();
    }
    frame().vars[input.name.name] = Datum::ofTensor(*value);
  }
  return success();
}

LogicalResult ModelElaborator::selectOutputs(const Definition &model) {
  for (const ResultDecl &result : model.results) {
    if (!result.condition) {
      modelOutputs.push_back(&result);
      continue;
    }
    FailureOr<Datum> condition = evaluate(*result.condition);
    if (failed(condition)) {
      return failure();
    }
    if (!condition->is(Datum::Kind::Bool)) {
      return emitError(result.condition->getLoc())
             << "a condition must be a bool, got " << condition->describe();
    }
    if (condition->boolValue) {
      modelOutputs.push_back(&result);
    }
  }
  return success();
}

std::vector<const ResultDecl *>
ModelElaborator::resultsOf(const Definition &def) const {
  if (def.isModel) {
    return modelOutputs;
  }
  std::vector<const ResultDecl *> results;
  for (const ResultDecl &result : def.results) {
    results.push_back(&result);
  }
  return results;
}

LogicalResult ModelElaborator::declareOutputs(const Definition &model) {
  if (failed(checkResults(model))) {
    return failure();
  }
  const Frame &top = frame();
  // An unnamed output is `output`, or `output<i>` among several; a name
  // given explicitly to another output cannot take that place.
  auto automaticName = [&](size_t i) {
    return model.results.size() == 1 ? std::string("output")
                                     : "output" + std::to_string(i);
  };
  for (auto [i, result] : llvm::enumerate(modelOutputs)) {
    if (!result->name.name.empty()) {
      continue;
    }
    for (const ResultDecl *other : modelOutputs) {
      if (other->name.name == automaticName(i)) {
        InFlightDiagnostic diag =
            emitError(other->name.loc)
            << "output '" << other->name.name
            << "' has the name that the unnamed output " << i
            << " gets; name that output too, as in 'y: " << result->type.text
            << "'";
        diag.attachNote(getLocation(result->type.loc))
            << "the unnamed output is declared here";
        return failure();
      }
    }
  }
  for (auto [i, result] : llvm::enumerate(modelOutputs)) {
    std::string name = result->name.name.str();
    if (name.empty()) {
      name = automaticName(i);
    }
    if (failed(getBuilder(top.resultLocs[i])
                   .output(name, top.results[i].tensor))) {
      return failure();
    }
  }
  return success();
}

LogicalResult ModelElaborator::checkResults(const Definition &def) {
  const Frame &current = frame();
  StringRef what = def.isModel ? "model" : "block";
  if (!current.returned) {
    return emitError(def.endLoc)
           << what << " '" << def.name.name << "' ends without 'return'";
  }
  if (!def.hasResults) {
    return success();
  }
  std::vector<const ResultDecl *> results = resultsOf(def);
  if (current.results.size() != results.size()) {
    return emitError(current.returnLoc)
           << what << " '" << def.name.name << "' declares " << results.size()
           << (def.isModel ? " output" : " result")
           << (results.size() == 1 ? "" : "s")
           << (results.size() != def.results.size() ? " under these dims" : "")
           << ", but 'return' gives " << current.results.size();
  }
  for (auto [i, result] : llvm::enumerate(results)) {
    std::string name = result->name.name.empty()
                           ? "result " + std::to_string(i)
                           : "output '" + result->name.name.str() + "'";
    Datum value = current.results[i];
    if (failed(matchType(result->type, value,
                         getLocation(current.resultLocs[i]),
                         name + " of '" + def.name.name + "'",
                         /*bind=*/false))) {
      return failure();
    }
    if (def.isModel && !value.is(Datum::Kind::Tensor)) {
      return emitError(current.resultLocs[i])
             << "an output must be a tensor, got " << value.describe();
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

LogicalResult ModelElaborator::execute(const Body &body) {
  for (const StmtPtr &stmt : body) {
    if (failed(execute(*stmt))) {
      return failure();
    }
    if (frame().returned) {
      break;
    }
  }
  return success();
}

LogicalResult ModelElaborator::execute(const Stmt &stmt) {
  NestingGuard nesting(*this);
  if (failed(nesting.check(stmt.getLoc())) || failed(spend(stmt.getLoc()))) {
    return failure();
  }
  switch (stmt.getKind()) {
  case Stmt::Kind::Assign:
    return executeAssign(llvm::cast<AssignStmt>(stmt));
  case Stmt::Kind::Param:
    return executeParam(llvm::cast<ParamStmt>(stmt));
  case Stmt::Kind::Return:
    return executeReturn(llvm::cast<ReturnStmt>(stmt));
  case Stmt::Kind::For:
    return executeFor(llvm::cast<ForStmt>(stmt));
  case Stmt::Kind::If:
    return executeIf(llvm::cast<IfStmt>(stmt));
  }
  llvm_unreachable("unknown statement");
}

LogicalResult ModelElaborator::checkAssignable(const Binding &target) {
  auto dim = frame().dims.find(target.name);
  if (dim == frame().dims.end()) {
    return success();
  }
  // The declared outputs (or results) are checked against the dims after
  // the body has run, so rebinding one silently changed what was checked.
  const Definition &def = *frame().definition;
  InFlightDiagnostic diag = emitError(target.loc) << "'" << target.name << "'";
  if (def.isModel) {
    diag << " is a dim of the model and cannot be reassigned";
  } else {
    diag << " is a dimension of block '" << def.name.name
         << "' and cannot be reassigned";
  }
  diag << "; use another name";
  diag.attachNote(getLocation(dim->second)) << "it is declared here";
  return failure();
}

LogicalResult ModelElaborator::executeAssign(const AssignStmt &stmt) {
  for (const Binding &target : stmt.targets) {
    if (failed(checkAssignable(target))) {
      return failure();
    }
  }
  FailureOr<Datum> value = evaluate(*stmt.value);
  if (failed(value)) {
    return failure();
  }
  size_t count = stmt.targets.size();
  if (count == 1) {
    if (value->is(Datum::Kind::Tuple)) {
      return emitError(stmt.value->getLoc())
             << "this gives " << value->elements.size()
             << " values; assign them to as many names, as in 'a, b = ..'";
    }
    frame().vars[stmt.targets[0].name] = std::move(*value);
    return success();
  }
  if (!value->is(Datum::Kind::Tuple) || value->elements.size() != count) {
    return emitError(stmt.value->getLoc())
           << count << " names are assigned, but this gives "
           << (value->is(Datum::Kind::Tuple)
                   ? std::to_string(value->elements.size()) + " values"
                   : "one value");
  }
  for (auto [target, element] : llvm::zip(stmt.targets, value->elements)) {
    frame().vars[target.name] = element;
  }
  return success();
}

LogicalResult ModelElaborator::executeParam(const ParamStmt &stmt) {
  if (failed(checkAssignable(stmt.name))) {
    return failure();
  }
  if (!elementType(stmt.type).isF32()) {
    return emitError(stmt.type.loc)
           << "parameters are f32 tensors, got '" << stmt.type.text << "'";
  }
  FailureOr<SmallVector<int64_t>> shape = evaluateShape(stmt.type);
  if (failed(shape)) {
    return failure();
  }
  std::string name = stmt.name.name.str();
  if (stmt.checkpointName) {
    FailureOr<std::string> scoped = evaluateScope(*stmt.checkpointName);
    if (failed(scoped)) {
      return failure();
    }
    if (scoped->empty()) {
      return emitError(stmt.checkpointName->getLoc())
             << "a parameter name cannot be empty";
    }
    name = *scoped;
  }
  FailureOr<Value> value = createParam(name, *shape, stmt.name.loc);
  if (failed(value)) {
    return failure();
  }
  frame().vars[stmt.name.name] = Datum::ofTensor(*value);
  return success();
}

LogicalResult ModelElaborator::executeReturn(const ReturnStmt &stmt) {
  std::vector<Datum> results;
  std::vector<SMLoc> locs;
  for (const ExprPtr &expr : stmt.values) {
    FailureOr<Datum> value = evaluate(*expr);
    if (failed(value)) {
      return failure();
    }
    // `return top_k(x, k = 2)` returns both values.
    if (value->is(Datum::Kind::Tuple)) {
      for (Datum &element : value->elements) {
        results.push_back(std::move(element));
        locs.push_back(expr->getLoc());
      }
      continue;
    }
    results.push_back(std::move(*value));
    locs.push_back(expr->getLoc());
  }
  Frame &current = frame();
  current.returned = true;
  current.returnLoc = stmt.getLoc();
  current.results = std::move(results);
  current.resultLocs = std::move(locs);
  return success();
}

LogicalResult ModelElaborator::executeFor(const ForStmt &stmt) {
  if (failed(checkAssignable(stmt.var))) {
    return failure();
  }
  FailureOr<Datum> lower = evaluate(*stmt.lower);
  if (failed(lower)) {
    return failure();
  }
  std::vector<Datum> items;
  int64_t first = 0, count = 0;
  if (stmt.upper) {
    FailureOr<Datum> upper = evaluate(*stmt.upper);
    if (failed(upper)) {
      return failure();
    }
    for (auto [bound, expr] : {std::pair(&*lower, stmt.lower.get()),
                               std::pair(&*upper, stmt.upper.get())}) {
      if (!bound->is(Datum::Kind::Int)) {
        return emitError(expr->getLoc())
               << "a loop bound must be an int, got " << bound->describe();
      }
    }
    first = lower->intValue;
    if (upper->intValue > first &&
        (llvm::SubOverflow(upper->intValue, first, count) ||
         static_cast<uint64_t>(count) > kMaxSteps)) {
      return emitError(stmt.getLoc())
             << "a loop of more than " << kMaxSteps << " iterations";
    }
  } else if (lower->is(Datum::Kind::List)) {
    items = std::move(lower->elements);
    count = items.size();
  } else {
    return emitError(stmt.lower->getLoc())
           << "a loop runs over 'first..end' or a list, got "
           << lower->describe();
  }
  for (int64_t i = 0; i < count; ++i) {
    if (failed(spend(stmt.getLoc()))) {
      return failure();
    }
    frame().vars[stmt.var.name] =
        stmt.upper ? Datum::ofInt(first + i) : items[i];
    std::optional<std::string> scope;
    if (stmt.scope) {
      FailureOr<std::string> text = evaluateScope(*stmt.scope);
      if (failed(text)) {
        return failure();
      }
      builder->pushScope(*text);
    }
    LogicalResult result = execute(stmt.body);
    if (stmt.scope) {
      builder->popScope();
    }
    if (failed(result)) {
      return failure();
    }
    if (frame().returned) {
      break;
    }
  }
  return success();
}

LogicalResult ModelElaborator::executeIf(const IfStmt &stmt) {
  FailureOr<Datum> condition = evaluate(*stmt.condition);
  if (failed(condition)) {
    return failure();
  }
  if (!condition->is(Datum::Kind::Bool)) {
    return emitError(stmt.condition->getLoc())
           << "a condition must be a bool, got " << condition->describe()
           << " (compare it, as in 'i % 2 == 0')";
  }
  return execute(condition->boolValue ? stmt.thenBody : stmt.elseBody);
}
