//===- KdlFixture.cpp - Running the .kiln importer in tests ---------------===//

#include "KdlFixture.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

/// The file position a diagnostic is shown at (the innermost of a call
/// chain), or "" for a location without one.
static std::string describe(Location loc) {
  if (auto call = dyn_cast<CallSiteLoc>(loc)) {
    return describe(call.getCallee());
  }
  if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    return (file.getFilename().str() + ":" + std::to_string(file.getLine()) +
            ":" + std::to_string(file.getColumn()));
  }
  return "";
}

std::string kiln::test::ImportResult::firstError() const {
  for (const Reported &reported : diagnostics) {
    if (reported.severity == "error") {
      return reported.where + ": " + reported.message;
    }
  }
  return "";
}

kiln::test::ImportResult kiln::test::importSource(MLIRContext &context,
                                                  llvm::StringRef source,
                                                  const KdlOptions &options,
                                                  llvm::StringRef name) {
  ImportResult result;
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, name), llvm::SMLoc());
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    StringRef severity =
        diag.getSeverity() == DiagnosticSeverity::Error     ? "error"
        : diag.getSeverity() == DiagnosticSeverity::Warning ? "warning"
                                                            : "note";
    result.diagnostics.push_back(
        {severity.str(), describe(diag.getLocation()), diag.str()});
    return success();
  });
  FailureOr<OwningOpRef<ModuleOp>> module =
      importKdl(sourceMgr, context, options);
  if (succeeded(module)) {
    result.module = std::move(*module);
    llvm::raw_string_ostream os(result.text);
    result.module->print(os);
  }
  return result;
}
