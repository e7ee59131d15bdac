//===- BlockCalls.cpp - Calls of blocks and built-ins ---------------------===//
//
// A block call binds its arguments to parameters by position and name and
// evaluates them in the caller's frame and scope (so calls nested in the
// arguments create their parameters where the caller is), then enters the
// call's `@` scope and runs the body in a fresh frame whose dimensions are
// bound from the shapes of its tensor arguments. Everything the body
// builds is located at `CallSiteLoc(position, call site)`.
//
//===----------------------------------------------------------------------===//

#include "frontends/kdl/Builtins.h"
#include "frontends/kdl/ModelElaborator.h"
#include "frontends/kdl/NameSuggestions.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"

using namespace kiln::kdl;
using namespace mlir;
using llvm::SMLoc;
using llvm::StringRef;

LogicalResult ModelElaborator::checkName(StringRef name, SMLoc loc) const {
  if (name.empty()) {
    return success();
  }
  for (StringRef part : llvm::split(name, '.')) {
    if (part.empty()) {
      return emitError(loc)
             << "the name \"" << name << "\" has an empty part between dots";
    }
    for (char c : part) {
      if (!llvm::isAlnum(c) && c != '_' && c != '-') {
        return emitError(loc)
               << "the name \"" << name
               << "\" may contain only letters, digits, '_', '-' and '.'";
      }
    }
  }
  return success();
}

FailureOr<std::string> ModelElaborator::evaluateScope(const StringExpr &scope) {
  FailureOr<std::string> text = evaluateString(scope);
  if (failed(text) || failed(checkName(*text, scope.getLoc()))) {
    return failure();
  }
  return text;
}

FailureOr<Datum> ModelElaborator::evaluateCall(const CallExpr &call) {
  if (failed(spend(call.getLoc()))) {
    return failure();
  }
  if (auto block = program.blocks.find(call.callee);
      block != program.blocks.end()) {
    return callBlock(*block->second, call);
  }
  if (const Builtin *builtin = lookupBuiltin(call.callee)) {
    std::string scope;
    if (call.scope) {
      FailureOr<std::string> text = evaluateScope(*call.scope);
      if (failed(text)) {
        return failure();
      }
      scope = *text;
    }
    return callBuiltin(*this, *builtin, call, scope);
  }
  std::vector<std::string> names = builtinNames();
  for (const auto &block : program.blocks) {
    names.push_back(block.getKey().str());
  }
  InFlightDiagnostic diag = emitError(call.getLoc())
                            << "unknown function '" << call.callee << "'"
                            << didYouMean(call.callee, names);
  if (frame().vars.count(call.callee)) {
    diag << " ('" << call.callee << "' is a variable)";
  }
  return failure();
}

FailureOr<Datum> ModelElaborator::callBlock(const Definition &block,
                                            const CallExpr &call) {
  for (const auto &outer : frames) {
    if (outer->definition == &block) {
      return emitError(call.getLoc())
             << "block '" << block.name.name
             << "' calls itself; recursion is not supported";
    }
  }
  if (frames.size() > kMaxCallDepth) {
    return emitError(call.getLoc())
           << "block calls are nested more than " << kMaxCallDepth << " deep";
  }
  // Bind the arguments to parameters, then evaluate them here, in the
  // caller's frame and scope.
  const std::vector<ParamDecl> &params = block.params;
  std::vector<const Argument *> bound(params.size(), nullptr);
  size_t positional = 0;
  for (const Argument &arg : call.args) {
    size_t index = positional;
    if (arg.name.empty()) {
      if (positional >= params.size()) {
        return emitError(arg.value->getLoc())
               << "block '" << block.name.name << "' takes " << params.size()
               << " argument" << (params.size() == 1 ? "" : "s") << ", got "
               << call.args.size();
      }
      ++positional;
    } else {
      auto it = llvm::find_if(params, [&](const ParamDecl &param) {
        return param.name.name == arg.name;
      });
      if (it == params.end()) {
        std::vector<std::string> names;
        for (const ParamDecl &param : params) {
          names.push_back(param.name.name.str());
        }
        return emitError(arg.nameLoc)
               << "block '" << block.name.name << "' has no parameter '"
               << arg.name << "'" << didYouMean(arg.name, names);
      }
      index = it - params.begin();
      if (bound[index]) {
        return emitError(arg.nameLoc)
               << "argument '" << arg.name << "' is given twice";
      }
    }
    bound[index] = &arg;
  }
  std::vector<std::optional<Datum>> values(params.size());
  std::vector<std::optional<Location>> locs(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    if (!bound[i]) {
      if (!params[i].defaultValue) {
        InFlightDiagnostic diag = emitError(call.getLoc())
                                  << "missing argument '" << params[i].name.name
                                  << "' of block '" << block.name.name << "'";
        diag.attachNote(locator.get(params[i].name.loc))
            << "the parameter is declared here";
        return failure();
      }
      continue;
    }
    FailureOr<Datum> value =
        evaluate(*bound[i]->value, takesWords(params[i].type));
    if (failed(value)) {
      return failure();
    }
    values[i] = std::move(*value);
    locs[i] = getLocation(bound[i]->value->getLoc());
  }
  std::string scope;
  if (call.scope) {
    FailureOr<std::string> text = evaluateScope(*call.scope);
    if (failed(text)) {
      return failure();
    }
    scope = *text;
  }

  // Run the body in a frame of its own.
  Location callLoc = getLocation(call.getLoc());
  frames.push_back(std::make_unique<Frame>());
  frame().definition = &block;
  frame().caller = callLoc;
  builder->pushScope(scope);
  llvm::scope_exit leave([&] {
    builder->popScope();
    frames.pop_back();
  });
  for (size_t i = 0; i < params.size(); ++i) {
    const ParamDecl &param = params[i];
    if (!values[i]) {
      FailureOr<Datum> value =
          evaluate(*param.defaultValue, takesWords(param.type));
      if (failed(value)) {
        return failure();
      }
      values[i] = std::move(*value);
      locs[i] = getLocation(param.defaultValue->getLoc());
    }
    if (failed(matchType(param.type, *values[i], *locs[i],
                         "argument '" + param.name.name + "' of '" +
                             block.name.name + "'",
                         /*bind=*/true))) {
      return failure();
    }
    frame().vars[param.name.name] = std::move(*values[i]);
  }
  // A parameter the declared results are written with (`out` in
  // `-> f32[B, out]`) is as fixed as a bound dim: the results are checked
  // after the body, so reassigning it would change what they are checked
  // against.
  for (const ResultDecl &result : block.results) {
    for (const DimPattern &dim : result.type.dims) {
      StringRef text = dim.text;
      while (!text.empty()) {
        text = text.drop_until(
            [](char c) { return llvm::isAlpha(c) || c == '_'; });
        StringRef word = text.take_while(
            [](char c) { return llvm::isAlnum(c) || c == '_'; });
        text = text.drop_front(word.size());
        auto param = llvm::find_if(
            params, [&](const ParamDecl &p) { return p.name.name == word; });
        if (!word.empty() && param != params.end()) {
          frame().dims.try_emplace(word, param->name.loc);
        }
      }
    }
  }
  if (failed(execute(block.body)) || failed(checkResults(block))) {
    return failure();
  }
  std::vector<Datum> &results = frame().results;
  if (results.size() == 1) {
    return std::move(results.front());
  }
  return Datum::ofTuple(std::move(results));
}
