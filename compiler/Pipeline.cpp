//===- Pipeline.cpp - Kiln's pass pipelines -------------------------------===//

#include "compiler/Pipeline.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

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
kiln::defaultGraphPhases(const PipelineExtensions &extensions) {
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
  phases.push_back({"graph", "canonicalize, cse"});
  extend(ExtensionPoint::AfterGraphOptimization);
  phases.push_back({"lowering",
                    "func.func(kiln-lower-to-linalg, canonicalize, cse, "
                    "kiln-materialize-weight-layouts, "
                    "kiln-materialize-outputs)"});
  phases.push_back({"dispatch",
                    "func.func(kiln-form-dispatch-regions), "
                    "kiln-outline-dispatches, "
                    "func.func(kiln-schedule-regions, kiln-plan-memory)"});
  extend(ExtensionPoint::AfterDispatchFormation);
  phases.push_back({"codegen-config", "kiln-cpu-select-workgroup-tiles"});
  return phases;
}

std::string kiln::defaultGraphPipeline(const PipelineExtensions &extensions) {
  std::string text = "builtin.module(";
  for (const PipelinePhase &phase : defaultGraphPhases(extensions)) {
    text += (text.back() == '(' ? "" : ", ") + phase.passes;
  }
  return text + ")";
}

LogicalResult
kiln::buildCpuKernelPipeline(OpPassManager &pm,
                             const PipelineExtensions &extensions) {
  auto it = extensions.find(ExtensionPoint::BeforeCodegen);
  if (it != extensions.end()) {
    for (const std::string &pipeline : it->second) {
      if (failed(parsePassPipeline(pipeline, pm))) {
        return failure();
      }
    }
  }
  OpPassManager &tiles = pm.nest<func::FuncOp>();
  tiles.addPass(createCpuTileWorkgroupsPass());
  tiles.addPass(createCanonicalizerPass());
  tiles.addPass(createCSEPass());
  pm.addPass(createCpuBufferizePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  OpPassManager &loops = pm.nest<func::FuncOp>();
  loops.addPass(createCpuAllocateScratchPass());
  loops.addPass(createCpuLowerContractionsPass());
  loops.addPass(createConvertLinalgToLoopsPass());
  loops.addPass(createCpuExpandMathPass());
  loops.addPass(createCanonicalizerPass());
  loops.addPass(createCSEPass());

  // To the LLVM dialect, with bare pointers for the statically shaped
  // bindings so that the entry point can pass them straight through.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCpuEmitKernelAbiPass());
  pm.addPass(createCanonicalizerPass());
  return success();
}
