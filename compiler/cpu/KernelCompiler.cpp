//===- KernelCompiler.cpp - Executables to one shared object --------------===//
//
// Each executable's function is moved into a module of its own, lowered by
// the kernel pipeline, translated to LLVM IR, optimised at O3 for the target
// CPU and emitted as an object file: the MLIR pipelines run one after another
// in the compile's context, the LLVM optimisation and code generation (most
// of a kernel's compile time) on a pool of threads, each kernel in an LLVM
// context and on a target machine of its own. The objects are linked by lld,
// in the executables' order, into one shared object. Kernels are freestanding:
// the optimiser is told that no library functions exist, so it never turns
// loops into calls to memset or memcpy, and lld refuses any undefined symbol.
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
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Scalar/LoopIdiomRecognize.h"

#include <algorithm>
#include <mutex>
#include <optional>

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
  // HashRecognize on (a MoE layer, then a top_k: a hang). compileCpuKernels
  // sets it before any kernel of a compile is optimised: kernels optimise
  // on several threads, and none may read the flag while it is written.
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

/// Emits `module` as an object file into `object`; returns false when the
/// target cannot.
static bool emitObject(llvm::Module &module, llvm::TargetMachine &machine,
                       std::vector<char> &object) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager pm;
  pm.add(new llvm::TargetLibraryInfoWrapperPass(
      llvm::TargetLibraryInfoImpl(machine.getTargetTriple())));
  if (machine.addPassesToEmitFile(pm, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile)) {
    return false;
  }
  pm.run(module);
  object.assign(buffer.begin(), buffer.end());
  return true;
}

namespace {

/// One executable's kernel between its translation to LLVM IR and its
/// object file. Each has an LLVM context of its own, so that kernels can be
/// optimised and emitted on several threads at once.
struct KernelJob {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  std::vector<char> object;
  bool emitted = false;
};

} // namespace

/// How many threads optimise and emit kernels: `hooks.threads` (0: one per
/// hardware thread), 1 when the context is single-threaded
/// (--mlir-disable-threading) or the LLVM IR is observed (its order would
/// depend on the threads), never more than there are kernels.
static size_t codegenThreads(const KernelCompileHooks &hooks, MLIRContext *ctx,
                             size_t kernels) {
  if (!ctx->isMultithreadingEnabled() || hooks.onLlvmModule) {
    return 1;
  }
  size_t threads = hooks.threads
                       ? hooks.threads
                       : llvm::hardware_concurrency().compute_thread_count();
  return std::clamp<size_t>(threads, 1, std::max<size_t>(kernels, 1));
}

FailureOr<CompiledKernels> compileCpuKernels(ModuleOp module, CpuTarget &target,
                                             const KernelCompileHooks &hooks) {
  MLIRContext *ctx = module.getContext();
  CompiledKernels kernels;
  CompileProgress progress{CompileProgress::Stage::Kernels};
  std::mutex progressMutex;
  auto report = [&] {
    if (hooks.onProgress) {
      hooks.onProgress(progress);
    }
  };
  auto executables = llvm::to_vector(module.getOps<exec::ExecutableOp>());
  progress.total = executables.size();
  module.walk([&](exec::DispatchOp) { ++progress.dispatches; });
  report();

  // Set before any kernel is optimised, and before every compile: see
  // optimize().
  llvm::DisableLIRP::HashRecognize = true;
  // Each kernel's MLIR pipeline and translation run here, one after
  // another, in the one MLIR context; its optimisation and code generation
  // go to the pool as soon as its LLVM IR exists, on a target machine of
  // their own. The objects keep the executables' order, so the artifact
  // does not depend on the thread count.
  std::vector<KernelJob> jobs(executables.size());
  size_t threads = codegenThreads(hooks, ctx, executables.size());
  auto generate = [&](KernelJob &job, llvm::TargetMachine &machine) {
    optimize(*job.module, machine);
    if (hooks.onLlvmModule) {
      hooks.onLlvmModule(*job.module);
    }
    job.emitted = emitObject(*job.module, machine, job.object);
    job.module.reset();
    job.context.reset();
    std::lock_guard<std::mutex> lock(progressMutex);
    ++progress.done;
    report();
  };
  // Declared after everything its tasks use: on an early return its
  // destructor runs the queued tasks and joins before they go.
  std::optional<llvm::DefaultThreadPool> pool;
  if (threads > 1) {
    pool.emplace(llvm::hardware_concurrency(threads));
  }

  for (auto [executable, job] : llvm::zip_equal(executables, jobs)) {
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
    job.context = std::make_unique<llvm::LLVMContext>();
    job.module = translateModuleToLLVMIR(*kernelModule, *job.context, name);
    if (!job.module) {
      return executable.emitError("cannot translate the kernel to LLVM IR");
    }
    job.module->setTargetTriple(target.machine->getTargetTriple());
    job.module->setDataLayout(target.machine->createDataLayout());
    kernels.exports.push_back(name);
    if (!pool) {
      generate(job, *target.machine);
      continue;
    }
    pool->async([&generate, &job, &target] {
      // A target machine per kernel: they cost far less than a kernel's
      // code generation, and the pool's threads own no state.
      std::unique_ptr<llvm::TargetMachine> machine = target.createMachine();
      generate(job, *machine);
    });
  }
  if (pool) {
    pool->wait();
  }

  std::vector<std::vector<char>> objects;
  for (auto [executable, job] : llvm::zip_equal(executables, jobs)) {
    if (!job.emitted) {
      return executable.emitError("the target cannot emit object files");
    }
    objects.push_back(std::move(job.object));
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
