//===- TagGelusPlugin.cpp - A test pass plugin with an extension ----------===//
//
// Registers `test-tag-gelus`, which marks every kiln.gelu with a unit
// attribute `test.tagged` (so it sees Kiln's ops across the library
// boundary), and runs it after graph optimisation.
//
//===----------------------------------------------------------------------===//

#include "compiler/plugin/PassPlugin.h"
#include "dialects/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace {

struct TagGelusPass
    : mlir::PassWrapper<TagGelusPass, mlir::OperationPass<mlir::func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TagGelusPass)

  llvm::StringRef getArgument() const override { return "test-tag-gelus"; }
  llvm::StringRef getDescription() const override {
    return "Marks every kiln.gelu with test.tagged";
  }
  void runOnOperation() override {
    getOperation().walk([](kiln::GeluOp gelu) {
      gelu->setAttr("test.tagged", mlir::UnitAttr::get(gelu.getContext()));
    });
  }
};

} // namespace

extern "C" KILN_PASS_PLUGIN_EXPORT kiln::PassPluginInfo
kilnGetPassPluginInfo() {
  return {
      KILN_PASS_PLUGIN_API_VERSION, "tag-gelus", "1.0",
      [](kiln::PassPluginRegistrar &registrar) {
        registrar.registerPass([] { return std::make_unique<TagGelusPass>(); });
        registrar.addToPipeline(kiln::ExtensionPoint::AfterGraphOptimization,
                                "func.func(test-tag-gelus)");
      }};
}
