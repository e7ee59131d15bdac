//===- Pipeline.cpp - Kiln's pass pipelines -------------------------------===//

#include "compiler/Pipeline.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

StringRef kiln::extensionPointName(ExtensionPoint point) {
  switch (point) {
  case ExtensionPoint::AfterImport:
    return "after-import";
  case ExtensionPoint::AfterGraphOptimization:
    return "after-graph-optimization";
  case ExtensionPoint::AfterDispatchFormation:
    return "after-dispatch-formation";
  case ExtensionPoint::BeforeCodegen:
    return "before-codegen";
  }
  llvm_unreachable("unknown extension point");
}

std::vector<kiln::PipelinePhase>
kiln::defaultGraphPhases(const PipelineExtensions &extensions,
                         const GraphPipelineOptions &graph) {
  std::vector<PipelinePhase> phases;
  auto extend = [&](ExtensionPoint point) {
    auto it = extensions.find(point);
    if (it == extensions.end() || it->second.empty()) {
      return;
    }
    std::string passes;
    for (const std::string &pipeline : it->second) {
      passes += (passes.empty() ? "" : ", ") + pipeline;
    }
    phases.push_back({extensionPointName(point).str(), passes});
  };
  extend(ExtensionPoint::AfterImport);
  phases.push_back(
      {"graph",
       "canonicalize, cse, func.func(kiln-absorb-attention-projections, "
       "kiln-sink-broadcasts)"});
  extend(ExtensionPoint::AfterGraphOptimization);
  std::string panel =
      graph.panel ? "{panel=" + std::to_string(*graph.panel) + "}" : "";
  std::string budget =
      graph.memoryBudgetKib
          ? "memory-budget-kib=" + std::to_string(*graph.memoryBudgetKib)
          : "";
  std::string lowering;
  if (graph.keysInPlaceRows) {
    lowering = "keys-in-place-rows=" + std::to_string(*graph.keysInPlaceRows);
  }
  if (!budget.empty()) {
    lowering += (lowering.empty() ? "" : " ") + budget;
  }
  if (!lowering.empty()) {
    lowering = "{" + lowering + "}";
  }
  phases.push_back({"lowering", "func.func(kiln-lower-to-linalg" + lowering +
                                    ", canonicalize, cse, "
                                    "kiln-fold-gemm-transposes, "
                                    "kiln-materialize-weight-layouts" +
                                    panel + ", kiln-pack-gemm-operands" +
                                    panel + ", kiln-materialize-outputs)"});
  std::string schedule = "kiln-schedule-regions";
  if (!budget.empty()) {
    schedule += "{" + budget + "}";
  }
  phases.push_back({"dispatch", "func.func(kiln-form-dispatch-regions), "
                                "kiln-outline-dispatches, func.func(" +
                                    schedule + ", kiln-plan-memory)"});
  extend(ExtensionPoint::AfterDispatchFormation);
  phases.push_back({"codegen-config", "kiln-cpu-select-workgroup-tiles"});
  return phases;
}

std::string kiln::defaultGraphPipeline(const PipelineExtensions &extensions,
                                       const GraphPipelineOptions &graph) {
  std::string text = "builtin.module(";
  for (const PipelinePhase &phase : defaultGraphPhases(extensions, graph)) {
    text += (text.back() == '(' ? "" : ", ") + phase.passes;
  }
  return text + ")";
}

std::string kiln::defaultKernelPipeline(const PipelineExtensions &extensions,
                                        const KernelBlocking &blocking) {
  OpPassManager pm("builtin.module");
  if (failed(buildCpuKernelPipeline(pm, extensions, blocking))) {
    return "";
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  pm.printAsTextualPipeline(os);
  return text;
}

void kiln::registerDefaultPipelines() {
  PassPipelineRegistration<>(
      "kiln-graph-pipeline",
      "Kiln's default graph pipeline: kiln dialect to dispatches and "
      "executables (what kiln-compile runs before code generation)",
      [](OpPassManager &pm) {
        for (const PipelinePhase &phase : defaultGraphPhases()) {
          // The phases are Kiln's own text: they parse.
          (void)parsePassPipeline(phase.passes, pm);
        }
      });
  PassPipelineRegistration<>(
      "kiln-cpu-kernel-pipeline",
      "Kiln's CPU kernel pipeline, run on a module holding one executable's "
      "function: tiling, bufferization, vector code, the LLVM dialect",
      [](OpPassManager &pm) { (void)buildCpuKernelPipeline(pm); });
}
