//===- KdlImporter.cpp - The .kiln model language -------------------------===//
//
// Loads the model file and its imports, then elaborates the model into the
// kiln dialect. Both stages stop at the first error, which they report at
// the offending source position.
//
//===----------------------------------------------------------------------===//

#include "frontends/kdl/KdlImporter.h"
#include "frontends/kdl/ModelElaborator.h"
#include "frontends/kdl/ProgramLoader.h"

#include "dialects/Kiln/IR/KilnDialect.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

FailureOr<OwningOpRef<ModuleOp>> kiln::importKdl(llvm::SourceMgr &sourceMgr,
                                                 MLIRContext &context,
                                                 const KdlOptions &options) {
  context.loadDialect<KilnDialect, func::FuncDialect>();
  kdl::SourceLocator locator(sourceMgr, &context);
  std::unique_ptr<kdl::Program> program = kdl::loadProgram(locator, options);
  if (!program) {
    return failure();
  }
  return kdl::ModelElaborator(locator, *program, options).run();
}
