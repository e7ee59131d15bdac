//===- TextOutput.h - Text results of the LLVM-based tools -------*- C++
//-*-===//
//
// kiln-compile and kiln-opt print IR, tables and pipelines through LLVM's
// streams. A file they write is whole or left as it was (the runtime's
// OutputFile), and a failed write to standard output is an error, not
// LLVM's "IO failure on output stream" abort at exit.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_TEXTOUTPUT_H
#define KILN_TOOLS_TEXTOUTPUT_H

#include "runtime/OutputFile.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

namespace kiln::tools {

/// Flushes llvm::outs(); false, with an error naming `tool`, when it could
/// not take what was written. The error is cleared: LLVM would otherwise
/// abort at exit.
inline bool flushStandardOutput(llvm::StringRef tool) {
  llvm::outs().flush();
  if (!llvm::outs().has_error()) {
    return true;
  }
  llvm::errs() << tool << ": error: cannot write to standard output: "
               << llvm::outs().error().message() << "\n";
  llvm::outs().clear_error();
  return false;
}

/// Writes `text` to `path` ("-" for standard output) in one go. False on
/// an error, reported with `tool`'s name.
inline bool writeTextFile(llvm::StringRef tool, llvm::StringRef path,
                          llvm::StringRef text) {
  if (path == "-") {
    llvm::outs() << text;
    return flushStandardOutput(tool);
  }
  rt::Status status = rt::writeWholeFile(
      path.str(), {{text.data(), static_cast<uint64_t>(text.size())}});
  if (!status.ok()) {
    llvm::errs() << tool << ": error: " << status.message() << "\n";
    return false;
  }
  return true;
}

} // namespace kiln::tools

#endif // KILN_TOOLS_TEXTOUTPUT_H
