//===- Registration.h - Dialects and passes of the compiler -----*- C++ -*-===//

#ifndef KILN_COMPILER_REGISTRATION_H
#define KILN_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace kiln {

/// Registers every dialect the compiler produces or consumes (kiln, exec and
/// the upstream dialects it lowers through) and their external interface
/// models (tiling, bufferization, LLVM translation).
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// Registers Kiln's passes and the upstream passes its pipelines name, so
/// that textual pipelines (kiln-opt, --pass-pipeline) can use them.
void registerCompilerPasses();

} // namespace kiln

#endif // KILN_COMPILER_REGISTRATION_H
