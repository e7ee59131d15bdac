//===- Pipeline.cpp - Kiln's pass pipelines -------------------------------===//

#include "compiler/Pipeline.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

std::vector<kiln::PipelinePhase> kiln::defaultGraphPhases() {
  return {
      {"graph", "canonicalize, cse"},
      {"lowering",
       "func.func(kiln-lower-to-linalg, canonicalize, cse, "
       "kiln-materialize-weight-layouts, kiln-materialize-outputs)"},
      {"dispatch", "func.func(kiln-form-dispatch-regions), "
                   "kiln-outline-dispatches, "
                   "func.func(kiln-schedule-regions, kiln-plan-memory), "
                   "kiln-cpu-select-workgroup-tiles"},
  };
}

std::string kiln::defaultGraphPipeline() {
  std::string text = "builtin.module(";
  for (const PipelinePhase &phase : defaultGraphPhases()) {
    text += (text.back() == '(' ? "" : ", ") + phase.passes;
  }
  return text + ")";
}

void kiln::buildCpuKernelPipeline(OpPassManager &pm) {
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
}
