//===- DuplicatePassPlugin.cpp - A plugin reusing a pass name -------------===//
//
// Registers a pass under `canonicalize`, which the host already has: the
// host must refuse it with a message instead of MLIR's fatal error.
//
//===----------------------------------------------------------------------===//

#include "compiler/plugin/PassPlugin.h"

#include "mlir/Pass/Pass.h"

namespace {

struct ImpostorPass : mlir::PassWrapper<ImpostorPass, mlir::OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ImpostorPass)

  llvm::StringRef getArgument() const override { return "canonicalize"; }
  void runOnOperation() override {}
};

} // namespace

extern "C" KILN_PASS_PLUGIN_EXPORT kiln::PassPluginInfo
kilnGetPassPluginInfo() {
  return {KILN_PASS_PLUGIN_API_VERSION, "impostor", "1.0",
          [](kiln::PassPluginRegistrar &registrar) {
            registrar.registerPass(
                [] { return std::make_unique<ImpostorPass>(); });
          }};
}
