//===- SourceLocator.h - Source positions as MLIR locations -----*- C++ -*-===//
//
// Turns a pointer into one of the SourceMgr's buffers into the
// `file:line:col` location that MLIR diagnostics print, so that the
// SourceMgr diagnostic handler shows the offending line with a caret.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_KDL_SOURCELOCATOR_H
#define KILN_FRONTENDS_KDL_SOURCELOCATOR_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "llvm/Support/SourceMgr.h"

namespace kiln::kdl {

/// Maps source positions to `FileLineColLoc`s named by buffer identifier.
class SourceLocator {
public:
  SourceLocator(llvm::SourceMgr &sourceMgr, mlir::MLIRContext *context)
      : sourceMgr(sourceMgr), context(context) {}

  /// The location of `loc`; an unknown file position if it lies in no
  /// buffer (which would be a bug in the frontend).
  mlir::Location get(llvm::SMLoc loc) const {
    unsigned id = sourceMgr.FindBufferContainingLoc(loc);
    if (!id) {
      return mlir::FileLineColLoc::get(context, "<unknown>", 0, 0);
    }
    auto [line, column] = sourceMgr.getLineAndColumn(loc, id);
    return mlir::FileLineColLoc::get(
        context, sourceMgr.getMemoryBuffer(id)->getBufferIdentifier(), line,
        column);
  }

  llvm::SourceMgr &getSourceMgr() const { return sourceMgr; }
  mlir::MLIRContext *getContext() const { return context; }

private:
  llvm::SourceMgr &sourceMgr;
  mlir::MLIRContext *context;
};

} // namespace kiln::kdl

#endif // KILN_FRONTENDS_KDL_SOURCELOCATOR_H
