//===- KdlFixture.h - Running the .kiln importer in tests -------*- C++ -*-===//

#ifndef KILN_TESTS_UNIT_FRONTENDS_KDLFIXTURE_H
#define KILN_TESTS_UNIT_FRONTENDS_KDLFIXTURE_H

#include "frontends/kdl/KdlImporter.h"

#include "mlir/IR/MLIRContext.h"

#include <string>
#include <vector>

namespace kiln::test {

/// One diagnostic as the importer reported it.
struct Reported {
  std::string severity;
  /// `file:line:col` of the location shown first; empty if it has none.
  std::string where;
  std::string message;
};

/// What one import produced.
struct ImportResult {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<Reported> diagnostics;
  /// The module printed, when the import succeeded.
  std::string text;
  bool succeeded() const { return static_cast<bool>(module); }
  /// The first error as `file:line:col: message`.
  std::string firstError() const;
};

/// Imports `source` as the file `name` with `options`, collecting the
/// diagnostics instead of printing them.
ImportResult importSource(mlir::MLIRContext &context, llvm::StringRef source,
                          const KdlOptions &options = {},
                          llvm::StringRef name = "test.kiln");

} // namespace kiln::test

#endif // KILN_TESTS_UNIT_FRONTENDS_KDLFIXTURE_H
