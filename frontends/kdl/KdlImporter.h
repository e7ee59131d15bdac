//===- KdlImporter.h - The .kiln model language -----------------*- C++ -*-===//
//
// Parses a model written in the .kiln language (docs/language.md) and
// builds it in the kiln dialect with the ModelBuilder. Every diagnostic is
// located at `file:line:col` of the offending text.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_KDL_KDLIMPORTER_H
#define KILN_FRONTENDS_KDL_KDLIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

#include <map>
#include <string>
#include <vector>

namespace kiln {

struct KdlOptions {
  /// `-D NAME=VALUE` overrides of symbolic dimension defaults.
  std::map<std::string, int64_t> defines;
  /// Directories searched for `import`s after the importing file's own
  /// directory and before the built-in standard library.
  std::vector<std::string> importDirs;
};

/// Imports the main buffer of `sourceMgr` (imports are added to it).
/// Diagnostics go through the context's handler; on failure returns failure
/// after emitting at least one located error.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
importKdl(llvm::SourceMgr &sourceMgr, mlir::MLIRContext &context,
          const KdlOptions &options = {});

} // namespace kiln

#endif // KILN_FRONTENDS_KDL_KDLIMPORTER_H
