//===- ProgramLoader.h - A model file and everything it imports -*- C++ -*-===//
//
// Parses the main buffer of a SourceMgr, resolves its imports (the
// importing file's directory, then `-I` directories, then the standard
// library), parses each file once, and collects the blocks and the model.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_KDL_PROGRAMLOADER_H
#define KILN_FRONTENDS_KDL_PROGRAMLOADER_H

#include "frontends/kdl/Ast.h"
#include "frontends/kdl/KdlImporter.h"
#include "frontends/kdl/SourceLocator.h"

#include "llvm/ADT/StringMap.h"

namespace kiln::kdl {

/// All parsed files with their blocks and the one model.
struct Program {
  std::vector<std::unique_ptr<SourceFile>> files;
  llvm::StringMap<const Definition *> blocks;
  const Definition *model = nullptr;
};

/// Loads the program rooted at the SourceMgr's main buffer; imported files
/// are added to the SourceMgr. Returns null after reporting an error.
std::unique_ptr<Program> loadProgram(const SourceLocator &locator,
                                     const KdlOptions &options);

} // namespace kiln::kdl

#endif // KILN_FRONTENDS_KDL_PROGRAMLOADER_H
