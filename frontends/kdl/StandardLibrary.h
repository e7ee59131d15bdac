//===- StandardLibrary.h - The .kiln files built into the tools -*- C++ -*-===//
//
// `import "std/attention"` resolves, after the user's directories, to a
// file of frontends/kdl/stdlib/ that is compiled into the binary (the
// build embeds them as StandardLibrary.inc), so the tools work without the
// source tree.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_KDL_STANDARDLIBRARY_H
#define KILN_FRONTENDS_KDL_STANDARDLIBRARY_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>
#include <vector>

namespace kiln::kdl {

/// The text of the standard library file imported as `path` (such as
/// "std/attention" or "std/attention.kiln"), if there is one.
std::optional<llvm::StringRef> findStandardLibraryFile(llvm::StringRef path);

/// The import paths of all standard library files ("std/attention", ..).
std::vector<std::string> standardLibraryPaths();

} // namespace kiln::kdl

#endif // KILN_FRONTENDS_KDL_STANDARDLIBRARY_H
