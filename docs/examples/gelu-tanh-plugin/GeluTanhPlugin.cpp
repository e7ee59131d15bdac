//===- GeluTanhPlugin.cpp - Exact GELU to tanh GELU in chosen layers ------===//
//
// A Kiln pass plugin, built outside Kiln against its installed package
// (docs/writing-a-pass.md walks through it).
//
// `gelu-to-tanh` rewrites exact GELUs (erf) to the tanh approximation, the
// activation of checkpoints trained with `gelu_new` or
// `gelu_pytorch_tanh`, or a cheaper one where the accuracy allows. Its
// option `layers` lists the layers to rewrite by parameter-name prefix: a
// GELU belongs to the layer of the linear that feeds it, named by that
// linear's weight, e.g. `encoder.layer.2.intermediate.dense.weight` is in
// layers `encoder.layer.2` and `encoder`, but not `encoder.layer.20`.
// Without `layers` every exact GELU is rewritten.
//
//   kiln-compile model.kiln -o model.kbin --load-pass-plugin=GeluTanhPlugin.so
//     --after-graph-optimization='func.func(gelu-to-tanh{layers=encoder.layer.2})'
//
//===----------------------------------------------------------------------===//

#include "kiln/compiler/plugin/PassPlugin.h"
#include "kiln/dialects/Kiln/IR/KilnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

#include <optional>

using namespace mlir;

namespace {

class GeluToTanhPass
    : public PassWrapper<GeluToTanhPass, OperationPass<func::FuncOp>> {
public:
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(GeluToTanhPass)

  GeluToTanhPass() = default;
  // Passes are cloned per thread; MLIR copies the option values.
  GeluToTanhPass(const GeluToTanhPass &other) : PassWrapper(other) {}

  // The name in IR dumps and timings, and the flag.
  StringRef getName() const override { return "GeluToTanhPass"; }
  StringRef getArgument() const override { return "gelu-to-tanh"; }
  StringRef getDescription() const override {
    return "Rewrite exact GELUs to the tanh approximation in chosen layers";
  }

  void runOnOperation() override {
    getOperation().walk([&](kiln::GeluOp gelu) {
      if (gelu.getApproximation() != kiln::GeluApproximation::None) {
        return;
      }
      if (!layers.empty() && !inChosenLayer(gelu)) {
        return;
      }
      gelu.setApproximation(kiln::GeluApproximation::Tanh);
    });
  }

private:
  /// The parameter name of the weight of the linear feeding `gelu`.
  static std::optional<StringRef> layerName(kiln::GeluOp gelu) {
    auto linear = gelu.getInput().getDefiningOp<kiln::LinearOp>();
    if (!linear) {
      return std::nullopt;
    }
    auto param = linear.getWeight().getDefiningOp<kiln::ParamOp>();
    if (!param) {
      return std::nullopt;
    }
    return param.getName();
  }

  bool inChosenLayer(kiln::GeluOp gelu) const {
    std::optional<StringRef> name = layerName(gelu);
    if (!name) {
      return false;
    }
    for (const std::string &layer : layers) {
      if (name->starts_with(layer) && name->size() > layer.size() &&
          (*name)[layer.size()] == '.') {
        return true;
      }
    }
    return false;
  }

  ListOption<std::string> layers{
      *this, "layers",
      llvm::cl::desc("Parameter-name prefixes of the layers to rewrite, e.g. "
                     "encoder.layer.2 (default: every layer)")};
};

} // namespace

extern "C" KILN_PASS_PLUGIN_EXPORT kiln::PassPluginInfo
kilnGetPassPluginInfo() {
  return {KILN_PASS_PLUGIN_API_VERSION, "gelu-tanh", "1.0",
          [](kiln::PassPluginRegistrar &registrar) {
            registrar.registerPass(
                [] { return std::make_unique<GeluToTanhPass>(); });
          }};
}
