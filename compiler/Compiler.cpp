//===- Compiler.cpp - The compiler's C++ entry points ---------------------===//

#include "compiler/Compiler.h"
#include "compiler/Pipeline.h"
#include "compiler/Registration.h"
#include "dialects/Kiln/IR/KilnOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringSet.h"

#include <mutex>

using namespace mlir;

namespace kiln {

LogicalResult checkParameters(ModuleOp module, WeightSource &weights) {
  llvm::StringSet<> seen;
  bool ok = true;
  module.walk([&](ParamOp param) {
    if (seen.insert(param.getName()).second) {
      ok &= succeeded(weights.check(param.getName(), param.getDeclaredShape(),
                                    param.getLoc()));
    }
  });
  return success(ok && succeeded(weights.checkAllUsed(module.getLoc())));
}

LogicalResult runGraphPipeline(ModuleOp module, GraphStage stage) {
  // The phases are textual pipelines: their passes must be registered.
  static std::once_flag registered;
  std::call_once(registered, registerCompilerPasses);
  std::vector<PipelinePhase> phases = defaultGraphPhases();
  size_t count = static_cast<size_t>(stage) + 1;
  PassManager pm(module.getContext());
  for (size_t i = 0; i < count && i < phases.size(); ++i) {
    if (failed(parsePassPipeline(phases[i].passes, pm))) {
      return emitError(module.getLoc(), "invalid pipeline of phase '")
             << phases[i].name << "'";
    }
  }
  return pm.run(module);
}

/// Runs the graph pipeline and compiles the kernels.
static FailureOr<CompiledKernels> compileThrough(ModuleOp module,
                                                 const CompileOptions &options,
                                                 FailureOr<CpuTarget> &target) {
  if (failed(runGraphPipeline(module, GraphStage::Exec)) ||
      failed(checkArtifactSignature(module))) {
    return failure();
  }
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  target = createCpuTarget(options.cpu, errorStream);
  if (failed(target)) {
    return emitError(module.getLoc(), error);
  }
  return compileCpuKernels(module, *target, options.hooks);
}

LogicalResult compileToArtifact(ModuleOp module, const CompileOptions &options,
                                StringRef path) {
  if (options.artifact.weights &&
      failed(checkParameters(module, *options.artifact.weights))) {
    return failure();
  }
  FailureOr<CpuTarget> target = failure();
  FailureOr<CompiledKernels> kernels = compileThrough(module, options, target);
  if (failed(kernels)) {
    return failure();
  }
  return emitArtifact(module, *kernels, *target, options.artifact, path);
}

LogicalResult compileKernels(ModuleOp module, const CompileOptions &options) {
  FailureOr<CpuTarget> target = failure();
  return compileThrough(module, options, target);
}

} // namespace kiln
