//===- ModelSourceOptions.h - Options naming a model source -*- C++ -*-===//
//
// kiln-compile and kiln-reference read a model source alike. Its format
// follows the file name (`.kiln` is the model language, anything else the
// kiln dialect in MLIR), or `--source-format` for standard input or an
// unusual name. `-D` values are NAME=INTEGER (decimal, optionally signed),
// and a name given twice takes its last value, as CMake's -D does; whether
// the model has such a dim is the frontend's to say, at the model.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_TOOLS_MODELSOURCEOPTIONS_H
#define KILN_TOOLS_MODELSOURCEOPTIONS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiln::tools {

/// What a model source holds: `--source-format`.
enum class SourceFormat { Auto, Kiln, Mlir };

/// The values of a tool's `--source-format` option.
inline llvm::cl::ValuesClass sourceFormatValues() {
  return llvm::cl::values(
      clEnumValN(SourceFormat::Auto, "auto",
                 "by the file name: .kiln is the model language, anything "
                 "else (standard input included) the kiln dialect"),
      clEnumValN(SourceFormat::Kiln, "kiln", "the .kiln model language"),
      clEnumValN(SourceFormat::Mlir, "mlir", "the kiln dialect in MLIR"));
}

/// Whether the source `path` is read as the .kiln model language.
inline bool isKdlSource(llvm::StringRef path, SourceFormat format) {
  return format == SourceFormat::Kiln ||
         (format == SourceFormat::Auto && path.ends_with(".kiln"));
}

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

#endif // KILN_TOOLS_MODELSOURCEOPTIONS_H
