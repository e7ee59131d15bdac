//===- Compiler.cpp - The compiler's C++ entry points ---------------------===//

#include "compiler/Compiler.h"
#include "compiler/Pipeline.h"
#include "compiler/Registration.h"
#include "dialects/Kiln/IR/KilnOps.h"
#include "passes/Passes.h"
#include "passes/StorageBytes.h"

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

/// The first phase a stage does not run.
static StringRef firstPhaseAfter(GraphStage stage) {
  switch (stage) {
  case GraphStage::Kiln:
    return "lowering";
  case GraphStage::Linalg:
    return "dispatch";
  case GraphStage::Exec:
    return "";
  }
  llvm_unreachable("unknown stage");
}

LogicalResult runGraphPipeline(ModuleOp module, GraphStage stage,
                               const CompileOptions &options) {
  // The phases are textual pipelines: their passes must be registered.
  static std::once_flag registered;
  std::call_once(registered, registerCompilerPasses);
  if (failed(checkModelInterface(module))) {
    return failure();
  }
  if (options.hooks.onProgress) {
    options.hooks.onProgress({CompileProgress::Stage::Graph});
  }
  PassManager pm(module.getContext());
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  if (!options.graphPipeline.empty()) {
    FailureOr<OpPassManager> parsed =
        parsePassPipeline(options.graphPipeline, errorStream);
    if (failed(parsed)) {
      return emitError(module.getLoc(), "invalid --pass-pipeline: ") << error;
    }
    if (parsed->getOpAnchorName() != ModuleOp::getOperationName()) {
      return emitError(module.getLoc(), "--pass-pipeline must be anchored on "
                                        "'builtin.module', not '")
             << parsed->getOpAnchorName() << "'";
    }
    static_cast<OpPassManager &>(pm) = *parsed;
  } else {
    // Operands are packed in the panels of the target's GEMM kernels, and
    // attention reads keys in place up to the target's row count
    // (compileThrough sets them; a stage run alone asks the target).
    GraphPipelineOptions graph = options.graph;
    if (!graph.panel || !graph.keysInPlaceRows) {
      FailureOr<CpuTarget> target = createCpuTarget(options.cpu, errorStream);
      if (failed(target)) {
        return emitError(module.getLoc(), error);
      }
      graph.panel = graph.panel.value_or(target->blocking.panel);
      graph.keysInPlaceRows =
          graph.keysInPlaceRows.value_or(target->blocking.keysInPlaceRows);
    }
    // A stage runs its phases and the extensions right after them.
    StringRef stop = firstPhaseAfter(stage);
    for (const PipelinePhase &phase :
         defaultGraphPhases(options.extensions, graph)) {
      if (phase.name == stop) {
        break;
      }
      if (failed(parsePassPipeline(phase.passes, pm, errorStream))) {
        return emitError(module.getLoc(), "invalid pipeline at '")
               << phase.name << "': " << error;
      }
    }
  }
  if (options.hooks.configurePassManager &&
      failed(options.hooks.configurePassManager(pm, "graph"))) {
    return failure();
  }
  return pm.run(module);
}

/// Bytes of the model's weights (its `kiln.param`s, as stored).
static int64_t weightBytes(ModuleOp module) {
  int64_t bytes = 0;
  module.walk([&](ParamOp param) {
    bytes += storageBytes(cast<RankedTensorType>(param.getType()));
  });
  return bytes;
}

/// Runs the graph pipeline and compiles the kernels.
static FailureOr<CompiledKernels> compileThrough(ModuleOp module,
                                                 const CompileOptions &options,
                                                 FailureOr<CpuTarget> &target) {
  // One target for both pipelines: the graph packs operands in the panels
  // of the kernels' blocking.
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  target = createCpuTarget(options.cpu, errorStream);
  if (failed(target)) {
    return emitError(module.getLoc(), error);
  }
  CompileOptions graphOptions = options;
  if (!graphOptions.graph.panel) {
    graphOptions.graph.panel = target->blocking.panel;
  }
  if (!graphOptions.graph.keysInPlaceRows) {
    graphOptions.graph.keysInPlaceRows = target->blocking.keysInPlaceRows;
  }
  if (failed(runGraphPipeline(module, GraphStage::Exec, graphOptions)) ||
      (options.onDispatchesFormed &&
       failed(options.onDispatchesFormed(module))) ||
      failed(checkArtifactSignature(module))) {
    return failure();
  }
  // Weights streamed from memory: the GEMMs' row blocks share the
  // prefetches of each next slab rather than the first one issuing them
  // all in a burst (only with the unrolled depth loops of Intel's blocking,
  // where it was measured).
  if (target->blocking.unroll > 1 && weightBytes(module) >= kStreamedBytes) {
    target->blocking.spreadPrefetches = true;
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
  if (options.hooks.onProgress) {
    options.hooks.onProgress({CompileProgress::Stage::Write});
  }
  ArtifactOptions artifact = options.artifact;
  if (options.hooks.onProgress && !artifact.onWeightsWritten) {
    artifact.onWeightsWritten = [&](uint64_t done, uint64_t total) {
      options.hooks.onProgress({CompileProgress::Stage::Write, done, total});
    };
  }
  return emitArtifact(module, *kernels, *target, artifact, path);
}

LogicalResult compileKernels(ModuleOp module, const CompileOptions &options) {
  FailureOr<CpuTarget> target = failure();
  return compileThrough(module, options, target);
}

} // namespace kiln
