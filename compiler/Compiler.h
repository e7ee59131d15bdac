//===- Compiler.h - The compiler's C++ entry points -------------*- C++ -*-===//

#ifndef KILN_COMPILER_COMPILER_H
#define KILN_COMPILER_COMPILER_H

#include "compiler/artifact/ArtifactEmitter.h"
#include "compiler/cpu/KernelCompiler.h"
#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <string>

namespace kiln {

/// Where the graph pipeline stops.
enum class GraphStage {
  /// After the graph-level cleanups: the kiln dialect.
  Kiln,
  /// After lowering: linalg on tensors.
  Linalg,
  /// After dispatch formation: the exec dialect, ready for code generation.
  Exec,
};

struct CompileOptions {
  /// LLVM CPU name to compile kernels for, or "host".
  std::string cpu = "host";
  ArtifactOptions artifact;
  /// Kernel compilation: its extensions (before-codegen), pass manager
  /// configuration and observers (printing IR).
  KernelCompileHooks hooks;
  /// Pipelines added at the graph pipeline's extension points.
  PipelineExtensions extensions;
  /// Settings of the default graph pipeline's passes.
  GraphPipelineOptions graph;
  /// A textual pipeline (anchored on builtin.module) replacing the whole
  /// default graph pipeline; empty for the default.
  std::string graphPipeline;
  /// Called once the graph pipeline has formed the dispatches, before any
  /// kernel is compiled (so that what it writes is there even if code
  /// generation fails); a failure stops the compile.
  std::function<mlir::LogicalResult(mlir::ModuleOp)> onDispatchesFormed;
};

/// Checks, before anything is compiled, that `weights` holds every parameter
/// of `module` with its declared shape and nothing else. Errors are located
/// at the parameters.
mlir::LogicalResult checkParameters(mlir::ModuleOp module,
                                    WeightSource &weights);

/// Runs the graph pipeline (`options.graphPipeline`, or the default one with
/// `options.extensions`) on `module` up to and including `stage`.
mlir::LogicalResult runGraphPipeline(mlir::ModuleOp module, GraphStage stage,
                                     const CompileOptions &options = {});

/// Compiles `module` (the kiln dialect) to an artifact at `path`. Errors are
/// reported as diagnostics; on failure no file is written.
mlir::LogicalResult compileToArtifact(mlir::ModuleOp module,
                                      const CompileOptions &options,
                                      llvm::StringRef path);

/// Compiles `module` up to optimised LLVM IR of its kernels, calling
/// `options.hooks` on each, without writing an artifact.
mlir::LogicalResult compileKernels(mlir::ModuleOp module,
                                   const CompileOptions &options);

} // namespace kiln

#endif // KILN_COMPILER_COMPILER_H
