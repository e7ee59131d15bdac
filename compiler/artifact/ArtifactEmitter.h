//===- ArtifactEmitter.h - exec dialect + kernels to a .kbin ----*- C++ -*-===//

#ifndef KILN_COMPILER_ARTIFACT_ARTIFACTEMITTER_H
#define KILN_COMPILER_ARTIFACT_ARTIFACTEMITTER_H

#include "compiler/cpu/KernelCompiler.h"
#include "compiler/weights/WeightSource.h"
#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <functional>
#include <string>

namespace kiln {

struct ArtifactOptions {
  /// Recorded as the artifact's producer.
  std::string producer = "kiln-compile";
  /// Where parameter data comes from; null means the seeded initialiser
  /// with its default seed.
  WeightSource *weights = nullptr;
  /// Called as the weights are written, with the bytes written so far and
  /// in all.
  std::function<void(uint64_t done, uint64_t total)> onWeightsWritten;
};

/// Checks, before the graph pipeline, that `module` is a model
/// (`findCheckedModel`, dialects/Kiln/IR/ModelFunction.h) whose values the
/// runtime can hold: none over 2^62 bytes. The passes assume it (a scalar
/// or an index tensor as input crashed them).
mlir::LogicalResult checkModelInterface(mlir::ModuleOp module);

/// Checks, before kernels are compiled, that the model function (after the
/// graph pipeline) can become an artifact: one public function whose outputs
/// are distinct dispatch results.
mlir::LogicalResult checkArtifactSignature(mlir::ModuleOp module);

/// Writes the artifact of `module` (after the graph pipeline) with its
/// compiled `kernels` to `path`, atomically. Reports errors as diagnostics.
mlir::LogicalResult emitArtifact(mlir::ModuleOp module,
                                 const CompiledKernels &kernels,
                                 const CpuTarget &target,
                                 const ArtifactOptions &options,
                                 llvm::StringRef path);

} // namespace kiln

#endif // KILN_COMPILER_ARTIFACT_ARTIFACTEMITTER_H
