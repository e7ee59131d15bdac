//===- KernelCompiler.h - Executables to one shared object ------*- C++ -*-===//

#ifndef KILN_COMPILER_CPU_KERNELCOMPILER_H
#define KILN_COMPILER_CPU_KERNELCOMPILER_H

#include "compiler/Pipeline.h"
#include "compiler/cpu/CpuTarget.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kiln {

/// The kernels of a model, linked into one freestanding ELF shared object.
struct CompiledKernels {
  std::vector<char> image;
  /// Exported symbols, one per executable, in `image`.
  std::vector<std::string> exports;
  /// Scratch bytes each executable's workgroups need.
  std::map<std::string, int64_t> scratchSize;
};

/// How far a compile has come, for progress reports.
struct CompileProgress {
  enum class Stage {
    /// The graph pipeline starts.
    Graph,
    /// `done` of `total` executables are compiled (0 before the first);
    /// `dispatches` dispatches run them.
    Kernels,
    /// The kernels are being linked into one shared object.
    Link,
    /// The artifact is being written: once with `total` 0 as it starts,
    /// then after each parameter with `done` of `total` weight bytes
    /// written.
    Write,
  };
  Stage stage = Stage::Graph;
  uint64_t done = 0, total = 0;
  size_t dispatches = 0;
};

/// How kernels are compiled, and what a caller may observe of it.
struct KernelCompileHooks {
  /// Pipelines to run on each executable before the kernel pipeline.
  PipelineExtensions extensions;
  /// Called on every pass manager before it runs (e.g. to apply the
  /// --mlir-print-ir-* options), with the name of its pipeline: "graph", or
  /// "kernel" for each executable's.
  std::function<mlir::LogicalResult(mlir::PassManager &,
                                    llvm::StringRef pipeline)>
      configurePassManager;
  /// Called with each executable's module after the kernel pipeline.
  std::function<void(mlir::ModuleOp)> onLoweredModule;
  /// Called with each executable's LLVM IR after optimisation, in order
  /// (kernels are then optimised one at a time).
  std::function<void(llvm::Module &)> onLlvmModule;
  /// Threads that optimise kernels and generate their code at once, while
  /// the next kernels go through their MLIR pipelines: 0 for one per
  /// hardware thread; 1 when the MLIR context's multithreading is off
  /// (--mlir-disable-threading). The artifact is the same for any count.
  unsigned threads = 0;
  /// Called at the start of each stage of a compile and after each kernel.
  std::function<void(const CompileProgress &)> onProgress;
};

/// Compiles every exec.executable of `module` for `target` and links them.
/// Errors are reported as MLIR diagnostics on the executables.
mlir::FailureOr<CompiledKernels>
compileCpuKernels(mlir::ModuleOp module, CpuTarget &target,
                  const KernelCompileHooks &hooks = {});

} // namespace kiln

#endif // KILN_COMPILER_CPU_KERNELCOMPILER_H
