//===- ModelFunction.cpp - What makes a module a kiln model ---------------===//

#include "dialects/Kiln/IR/ModelFunction.h"
#include "dialects/Kiln/IR/KilnOps.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;

namespace kiln {

/// Where an error about the whole module goes: the parser gives a file's
/// module line 0, which editors do not show; its first line instead.
static Location moduleLocation(ModuleOp module) {
  auto file = dyn_cast<FileLineColLoc>(module.getLoc());
  if (file && file.getLine() == 0) {
    return FileLineColLoc::get(file.getFilename(), 1, 1);
  }
  return module.getLoc();
}

FailureOr<func::FuncOp> findModelFunction(ModuleOp module) {
  func::FuncOp model;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal() || !func.isPublic()) {
      continue;
    }
    if (model) {
      InFlightDiagnostic error =
          func.emitError("expects one public model function per module; @")
          << model.getSymName() << " is one already";
      error.attachNote(model.getLoc()) << "the model function is here";
      return error;
    }
    model = func;
  }
  if (model) {
    return model;
  }
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isExternal()) {
      return func.emitError("expects a public function with a body, the "
                            "model; @")
             << func.getSymName() << " is private";
    }
  }
  return emitError(moduleLocation(module),
                   "expects a public function with a body, the model; the "
                   "module has none");
}

/// Checks the types and names of a model's inputs or outputs.
static LogicalResult
checkTensorList(func::FuncOp model, StringRef kind, unsigned count,
                function_ref<Type(unsigned)> typeOf,
                function_ref<DictionaryAttr(unsigned)> attrsOf,
                function_ref<Location(unsigned)> locOf) {
  llvm::StringMap<unsigned> seen;
  for (unsigned i = 0; i < count; ++i) {
    auto ranked = dyn_cast<RankedTensorType>(typeOf(i));
    Type element = ranked ? ranked.getElementType() : Type();
    if (!ranked || !ranked.hasStaticShape() ||
        !(element.isF32() || element.isSignlessInteger(32) ||
          element.isSignlessInteger(64))) {
      return emitError(locOf(i))
             << kind << " " << i << " of @" << model.getSymName()
             << " has type " << typeOf(i)
             << ": a model's inputs and outputs are tensors of static shape "
                "with elements f32, i32 or i64";
    }
    DictionaryAttr attrs = attrsOf(i);
    Attribute nameAttr = attrs ? attrs.get("kiln.name") : nullptr;
    if (!nameAttr) {
      continue; // named "<kind><i>"
    }
    auto name = dyn_cast<StringAttr>(nameAttr);
    if (!name || name.getValue().empty() || name.getValue().contains('\0')) {
      return emitError(locOf(i))
             << kind << " " << i << ": 'kiln.name' "
             << (!name                     ? "must be a string"
                 : name.getValue().empty() ? "is empty"
                                           : "contains a NUL character");
    }
    auto [it, inserted] = seen.try_emplace(name.getValue(), i);
    if (!inserted) {
      return emitError(locOf(i))
             << kind << "s " << it->second << " and " << i
             << " are both named '" << name.getValue() << "'";
    }
  }
  return success();
}

LogicalResult checkModelFunction(func::FuncOp model) {
  if (failed(checkTensorList(
          model, "input", model.getNumArguments(),
          [&](unsigned i) { return model.getArgument(i).getType(); },
          [&](unsigned i) { return model.getArgAttrDict(i); },
          [&](unsigned i) { return model.getArgument(i).getLoc(); })) ||
      failed(checkTensorList(
          model, "output", model.getNumResults(),
          [&](unsigned i) { return model.getResultTypes()[i]; },
          [&](unsigned i) { return model.getResultAttrDict(i); },
          [&](unsigned) { return model.getLoc(); }))) {
    return failure();
  }
  if (!model.getBody().hasOneBlock()) {
    return model.emitError("expects @")
           << model.getSymName() << " to have a body of one block";
  }
  for (Operation &op : model.getBody().front()) {
    if (isa_and_nonnull<KilnDialect>(op.getDialect()) ||
        isa<func::ReturnOp>(op)) {
      continue;
    }
    InFlightDiagnostic error =
        op.emitError("'")
        << op.getName()
        << "' is not a kiln op: a model's body holds kiln ops and its return";
    if (isa<func::CallOp>(op)) {
      error << " (inline the function it calls)";
    } else if (op.hasTrait<OpTrait::ConstantLike>()) {
      error << " (a constant is a kiln.constant)";
    } else if (op.getName().getStringRef() == "tensor.empty") {
      error << " (its contents are undefined; a constant is a "
               "kiln.constant)";
    }
    return error;
  }
  return checkParameterDeclarations(model);
}

FailureOr<func::FuncOp> findCheckedModel(ModuleOp module) {
  FailureOr<func::FuncOp> model = findModelFunction(module);
  if (failed(model) || failed(checkModelFunction(*model))) {
    return failure();
  }
  return model;
}

} // namespace kiln
