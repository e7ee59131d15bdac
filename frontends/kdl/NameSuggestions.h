//===- NameSuggestions.h - "did you mean" for unknown names -----*- C++ -*-===//

#ifndef KILN_FRONTENDS_KDL_NAMESUGGESTIONS_H
#define KILN_FRONTENDS_KDL_NAMESUGGESTIONS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace kiln::kdl {

/// "; did you mean 'x'?" when one of `candidates` is a likely misspelling
/// of `name` (closest by edit distance, ignoring case), else "".
std::string didYouMean(llvm::StringRef name,
                       llvm::ArrayRef<std::string> candidates);

} // namespace kiln::kdl

#endif // KILN_FRONTENDS_KDL_NAMESUGGESTIONS_H
