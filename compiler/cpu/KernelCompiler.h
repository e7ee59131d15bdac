//===- KernelCompiler.h - Executables to one shared object ------*- C++ -*-===//

#ifndef KILN_COMPILER_CPU_KERNELCOMPILER_H
#define KILN_COMPILER_CPU_KERNELCOMPILER_H

#include "compiler/cpu/CpuTarget.h"
#include "mlir/IR/BuiltinOps.h"

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

/// What a caller may observe of the compilation, e.g. to print IR.
struct KernelCompileHooks {
  /// Called with each executable's module after the kernel pipeline.
  std::function<void(mlir::ModuleOp)> onLoweredModule;
  /// Called with each executable's LLVM IR after optimisation.
  std::function<void(llvm::Module &)> onLlvmModule;
};

/// Compiles every exec.executable of `module` for `target` and links them.
/// Errors are reported as MLIR diagnostics on the executables.
mlir::FailureOr<CompiledKernels>
compileCpuKernels(mlir::ModuleOp module, CpuTarget &target,
                  const KernelCompileHooks &hooks = {});

} // namespace kiln

#endif // KILN_COMPILER_CPU_KERNELCOMPILER_H
