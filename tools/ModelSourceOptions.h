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

#include "frontends/kdl/KdlImporter.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <cstdint>
#include <optional>
#include <string>

namespace kiln::tools {

/// What a model source holds: `--source-format`.
enum class SourceFormat { Auto, Kiln, Mlir };

/// The options both tools take about their model source, declared once:
/// each tool holds one, in its own option category, as a global.
struct ModelSourceFlags {
  explicit ModelSourceFlags(llvm::cl::OptionCategory &category)
      : defines("D", llvm::cl::Prefix,
                llvm::cl::desc("Override a dimension of a .kiln model "
                               "(repeatable; the last value of a name wins)"),
                llvm::cl::value_desc("NAME=VALUE"), llvm::cl::cat(category)),
        format("source-format", llvm::cl::desc("What the model source holds"),
               llvm::cl::init(SourceFormat::Auto),
               llvm::cl::values(
                   clEnumValN(SourceFormat::Auto, "auto",
                              "by the file name: .kiln is the model "
                              "language, anything else (standard input "
                              "included) the kiln dialect"),
                   clEnumValN(SourceFormat::Kiln, "kiln",
                              "the .kiln model language"),
                   clEnumValN(SourceFormat::Mlir, "mlir",
                              "the kiln dialect in MLIR")),
               llvm::cl::cat(category)),
        importDirs("I", llvm::cl::Prefix,
                   llvm::cl::desc("Search directory for imports"),
                   llvm::cl::value_desc("dir"), llvm::cl::cat(category)) {}

  /// Whether the source `path` is read as the .kiln model language.
  bool isKdl(llvm::StringRef path) const {
    return format == SourceFormat::Kiln ||
           (format == SourceFormat::Auto && path.ends_with(".kiln"));
  }

  /// Fills `options` from -D and -I for the source `path`; on a malformed
  /// -D, or -D for an MLIR source, the usage error to print (the tool
  /// exits 2).
  std::optional<std::string> kdlOptions(llvm::StringRef path,
                                        KdlOptions &options) const {
    options.importDirs.assign(importDirs.begin(), importDirs.end());
    for (const std::string &define : defines) {
      auto [name, value] = llvm::StringRef(define).split('=');
      int64_t number = 0;
      if (name.empty() || value.getAsInteger(10, number)) {
        return "-D expects NAME=INTEGER, got '" + define + "'";
      }
      options.defines[name.str()] = number;
    }
    if (!isKdl(path) && !defines.empty()) {
      return "-D applies to .kiln models only (see --source-format)";
    }
    return std::nullopt;
  }

  llvm::cl::list<std::string> defines;
  llvm::cl::opt<SourceFormat> format;
  llvm::cl::list<std::string> importDirs;
};

} // namespace kiln::tools

#endif // KILN_TOOLS_MODELSOURCEOPTIONS_H
