//===- KernelCompiler.cpp - Executables to one shared object --------------===//
//
// Each executable's function is moved into a module of its own, lowered by
// the kernel pipeline, translated to LLVM IR, optimised at O3 for the target
// CPU and emitted as an object file. The objects are linked by lld into one
// shared object. Kernels are freestanding: the optimiser is told that no
// library functions exist, so it never turns loops into calls to memset or
// memcpy, and lld refuses any undefined symbol.
//
//===----------------------------------------------------------------------===//

#include "compiler/cpu/KernelCompiler.h"
#include "compiler/Pipeline.h"
#include "compiler/cpu/SharedObjectLinker.h"
#include "dialects/Exec/IR/ExecOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Scalar/LoopIdiomRecognize.h"

using namespace mlir;

namespace kiln {

/// Runs the LLVM O3 pipeline for `machine` with no library functions.
static void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  // LLVM 22.1's CRC recognition (loop-idiom's HashRecognize) walks a
  // recurrence's use-def chain without a visited set: on a loop of at most
  // 64 iterations carrying a chain of selects (top_k over a row of 48, MoE
  // routing) it ran for minutes. Fixed upstream in July 2026
  // (llvm-project#211711, #211887); until Debian's LLVM has the fix, it is
  // off. Kernels compute no CRCs. Set before every kernel, not once per
  // process: the flag is the storage of a command-line option, and the
  // in-process lld that links each artifact's kernels resets every option
  // to its default (readConfigs), so a process's second compile ran with
  // HashRecognize on (a MoE layer, then a top_k: a hang). Kernels compile
  // one after another, so nothing reads the flag while it is written.
  llvm::DisableLIRP::HashRecognize = true;
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder builder(&machine);
  llvm::TargetLibraryInfoImpl libraryInfo(machine.getTargetTriple());
  libraryInfo.disableAllFunctions();
  fam.registerPass([&] { return llvm::TargetLibraryAnalysis(libraryInfo); });
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3)
      .run(module, mam);
}

static FailureOr<std::vector<char>>
emitObject(llvm::Module &module, llvm::TargetMachine &machine, Location loc) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  pm.add(new llvm::TargetLibraryInfoWrapperPass(
      llvm::TargetLibraryInfoImpl(machine.getTargetTriple())));
  if (machine.addPassesToEmitFile(pm, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile)) {
    return emitError(loc, "the target cannot emit object files");
  }
  pm.run(module);
  return std::vector<char>(buffer.begin(), buffer.end());
}

FailureOr<CompiledKernels> compileCpuKernels(ModuleOp module, CpuTarget &target,
                                             const KernelCompileHooks &hooks) {
  MLIRContext *ctx = module.getContext();
  CompiledKernels kernels;
  std::vector<std::vector<char>> objects;
  CompileProgress progress{CompileProgress::Stage::Kernels};
  auto report = [&] {
    if (hooks.onProgress) {
      hooks.onProgress(progress);
    }
  };
  progress.total = llvm::range_size(module.getOps<exec::ExecutableOp>());
  module.walk([&](exec::DispatchOp) { ++progress.dispatches; });
  report();
  for (auto executable : module.getOps<exec::ExecutableOp>()) {
    func::FuncOp func = executable.getFunction();
    OwningOpRef<ModuleOp> kernelModule = ModuleOp::create(executable.getLoc());
    kernelModule->push_back(func->clone());
    PassManager pm(ctx);
    if (failed(buildCpuKernelPipeline(pm, hooks.extensions, target.blocking)) ||
        (hooks.configurePassManager &&
         failed(hooks.configurePassManager(pm, "kernel")))) {
      return executable.emitError("invalid before-codegen pipeline");
    }
    if (failed(pm.run(*kernelModule))) {
      return executable.emitError("failed to compile the kernel of @")
             << executable.getSymName();
    }
    std::string name = executable.getSymName().str();
    // Record what the runtime needs, then drop attributes LLVM IR has no
    // place for.
    kernelModule->walk([&](LLVM::LLVMFuncOp fn) {
      if (auto scratch = fn->getAttrOfType<IntegerAttr>("exec.scratch_size")) {
        kernels.scratchSize[name] = scratch.getInt();
      }
      for (NamedAttribute attr : llvm::to_vector(fn->getDiscardableAttrs())) {
        if (attr.getName().getValue().starts_with("exec.")) {
          fn->removeDiscardableAttr(attr.getName());
        }
      }
    });
    if (hooks.onLoweredModule) {
      hooks.onLoweredModule(*kernelModule);
    }
    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> llvmModule =
        translateModuleToLLVMIR(*kernelModule, llvmContext, name);
    if (!llvmModule) {
      return executable.emitError("cannot translate the kernel to LLVM IR");
    }
    llvmModule->setTargetTriple(target.machine->getTargetTriple());
    llvmModule->setDataLayout(target.machine->createDataLayout());
    optimize(*llvmModule, *target.machine);
    if (hooks.onLlvmModule) {
      hooks.onLlvmModule(*llvmModule);
    }
    FailureOr<std::vector<char>> object =
        emitObject(*llvmModule, *target.machine, executable.getLoc());
    if (failed(object)) {
      return failure();
    }
    objects.push_back(std::move(*object));
    kernels.exports.push_back(name);
    ++progress.done;
    report();
  }
  progress.stage = CompileProgress::Stage::Link;
  report();
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  FailureOr<std::vector<char>> image =
      linkSharedObject(objects, "kiln_kernels", errorStream);
  if (failed(image)) {
    return emitError(module.getLoc(), "linking the kernels failed: ") << error;
  }
  kernels.image = std::move(*image);
  return kernels;
}

} // namespace kiln
