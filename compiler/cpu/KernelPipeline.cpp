//===- KernelPipeline.cpp - The CPU kernel pipeline -----------------------===//

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

LogicalResult kiln::buildCpuKernelPipeline(OpPassManager &pm,
                                           const PipelineExtensions &extensions,
                                           const KernelBlocking &blocking) {
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
  loops.addPass(createCpuFlashAttentionPass());
  loops.addPass(createCpuAllocateScratchPass());
  CpuLowerContractionsPassOptions gemm;
  gemm.mr = blocking.mr;
  gemm.nr = blocking.nr;
  gemm.kc = blocking.kc;
  gemm.unroll = blocking.unroll;
  gemm.spreadPrefetches = blocking.spreadPrefetches;
  gemm.vectorWidth = blocking.vectorWidth;
  gemm.prefetchRows = blocking.kc; // the next slab
  loops.addPass(createCpuLowerContractionsPass(gemm));
  CpuLowerDotProductsPassOptions dots;
  dots.vectorWidth = blocking.vectorWidth;
  loops.addPass(createCpuLowerDotProductsPass(dots));
  loops.addPass(createCpuLowerRowReductionsPass());
  loops.addPass(createCpuLowerTransposesPass());
  CpuLowerCopiesPassOptions copies;
  copies.vectorWidth = blocking.vectorWidth;
  loops.addPass(createCpuLowerCopiesPass(copies));
  loops.addPass(createCpuLimitKeyLoopsPass());
  loops.addPass(createCpuLimitRowLoopsPass());
  loops.addPass(createConvertLinalgToLoopsPass());
  loops.addPass(createCpuHoistInvariantLoadsPass());
  CpuExpandMathPassOptions math;
  math.roundingInstructions = blocking.rounding;
  loops.addPass(createCpuExpandMathPass(math));
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
  if (!blocking.fma) {
    pm.addPass(createCpuRelaxFmaPass());
  }
  pm.addPass(createCpuEmitKernelAbiPass());
  pm.addPass(createCanonicalizerPass());
  return success();
}
