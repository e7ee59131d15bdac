//===- ModelDefines.h - The tools' -D NAME=INTEGER options --*- C++ -*-===//
//
// kiln-compile and kiln-reference read `-D` alike: each value is
// NAME=INTEGER (decimal, optionally signed), and a name given twice takes
// its last value, as CMake's -D does. Whether the model has such a dim is
// the frontend's to say, at the model.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_MODELDEFINES_H
#define KILN_TOOLS_MODELDEFINES_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln::tools {

/// Adds each `-D` value of `values` to `defines`; on a malformed one, the
/// usage error to print (the tool exits 2).
inline std::optional<std::string>
parseDefines(const std::vector<std::string> &values,
             std::map<std::string, int64_t> &defines) {
  for (const std::string &define : values) {
    auto [name, value] = llvm::StringRef(define).split('=');
    int64_t number = 0;
    if (name.empty() || value.getAsInteger(10, number)) {
      return "-D expects NAME=INTEGER, got '" + define + "'";
    }
    defines[name.str()] = number;
  }
  return std::nullopt;
}

} // namespace kiln::tools

#endif // KILN_TOOLS_MODELDEFINES_H
