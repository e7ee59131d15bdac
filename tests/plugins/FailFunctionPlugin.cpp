//===- FailFunctionPlugin.cpp - A test pass that fails on one function ----===//
//
// Registers `test-fail-function{name=F}`, which fails on func.func @F and
// passes every other function. Given to kiln-compile's --before-codegen, it
// makes one kernel's pipeline fail after the kernels before it went to the
// code generation pool.
//
//===----------------------------------------------------------------------===//

#include "compiler/plugin/PassPlugin.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace {

struct FailFunctionPass
    : mlir::PassWrapper<FailFunctionPass,
                        mlir::OperationPass<mlir::func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(FailFunctionPass)

  FailFunctionPass() = default;
  FailFunctionPass(const FailFunctionPass &other) : PassWrapper(other) {}

  llvm::StringRef getArgument() const override { return "test-fail-function"; }
  llvm::StringRef getDescription() const override {
    return "Fails on the function named by `name`";
  }
  void runOnOperation() override {
    if (getOperation().getSymName() == name) {
      getOperation().emitError("test-fail-function: failing @") << name;
      signalPassFailure();
    }
  }

  Option<std::string> name{*this, "name",
                           llvm::cl::desc("The function to fail on")};
};

} // namespace

extern "C" KILN_PASS_PLUGIN_EXPORT kiln::PassPluginInfo
kilnGetPassPluginInfo() {
  return {KILN_PASS_PLUGIN_API_VERSION, "fail-function", "1.0",
          [](kiln::PassPluginRegistrar &registrar) {
            registrar.registerPass(
                [] { return std::make_unique<FailFunctionPass>(); });
          }};
}
