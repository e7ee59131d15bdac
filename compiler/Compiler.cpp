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

LogicalResult runGraphPipeline(ModuleOp module, GraphStage stage,
                               const CompileOptions &options) {
  // The phases are textual pipelines: their passes must be registered.
  static std::once_flag registered;
  std::call_once(registered, registerCompilerPasses);
  PassManager pm(module.getContext());
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (!options.graphPipeline.empty()) {
    if (failed(parsePassPipeline(options.graphPipeline, pm, errorStream))) {
      return emitError(module.getLoc(), "invalid --pass-pipeline: ") << error;
    }
  } else {
    // The last phase each stage runs.
    StringRef last = stage == GraphStage::Kiln     ? "graph"
                     : stage == GraphStage::Linalg ? "lowering"
                                                   : "";
    std::vector<PipelinePhase> phases = defaultGraphPhases(options.extensions);
    for (size_t i = 0; i < phases.size(); ++i) {
      if (failed(parsePassPipeline(phases[i].passes, pm, errorStream))) {
        return emitError(module.getLoc(), "invalid pipeline at '")
               << phases[i].name << "': " << error;
      }
      // A stage includes the extensions right after its last phase.
      bool nextIsExtension = i + 1 < phases.size() &&
                             phases[i + 1].name == "after-graph-optimization";
      if (phases[i].name == last && !(last == "graph" && nextIsExtension)) {
        break;
      }
      if (phases[i].name == "after-graph-optimization" && last == "graph") {
        break;
      }
    }
  }
  if (options.hooks.configurePassManager &&
      failed(options.hooks.configurePassManager(pm))) {
    return failure();
  }
  return pm.run(module);
}

/// Runs the graph pipeline and compiles the kernels.
static FailureOr<CompiledKernels> compileThrough(ModuleOp module,
                                                 const CompileOptions &options,
                                                 FailureOr<CpuTarget> &target) {
  if (failed(runGraphPipeline(module, GraphStage::Exec, options)) ||
      failed(checkArtifactSignature(module))) {
    return failure();
  }
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  target = createCpuTarget(options.cpu, errorStream);
  if (failed(target)) {
    return emitError(module.getLoc(), error);
  }
  KernelCompileHooks hooks = options.hooks;
  for (auto &[point, pipelines] : options.extensions) {
    if (point == ExtensionPoint::BeforeCodegen) {
      llvm::append_range(hooks.extensions[point], pipelines);
    }
  }
  return compileCpuKernels(module, *target, hooks);
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
