//===- KdlImporter.cpp - The .kiln model language (placeholder) -----------===//

#include "frontends/kdl/KdlImporter.h"
#include "mlir/IR/Diagnostics.h"

using namespace mlir;

FailureOr<OwningOpRef<ModuleOp>>
kiln::importKdl(llvm::SourceMgr &sourceMgr, MLIRContext &context,
                const KdlOptions &) {
  emitError(UnknownLoc::get(&context), "the .kiln frontend is not built yet");
  return failure();
}
